package runtime

import (
	"strings"
	"testing"
)

// TestDecide covers every way a call can end: which error it returns and
// whether its instance serves another call.
func TestDecide(t *testing.T) {
	const mib = 1 << 20
	answer := []byte(`{"user": {"id": "1", "email": "a@example.com"}}`)
	trap := callErrorf(KindTrap, "login: unreachable")
	fuel := callErrorf(KindOutOfFuel, "login ran out of fuel")
	deadline := callErrorf(KindDeadline, "login: the call ran out of time")
	tests := []struct {
		name     string
		end      ending
		kind     string // the error's kind, "" for success
		contains string // in the error's message
		keep     bool
		output   bool // the output is returned
	}{
		{name: "answered", end: ending{outputSet: true, output: answer}, keep: true, output: true},
		{name: "exited 0 with an answer", end: ending{exited: true, outputSet: true, output: answer}, output: true},
		{name: "returned non-zero", end: ending{ret: 3}, kind: KindScriptFailed, contains: "login returned 3", keep: true},
		{name: "returned non-zero after output_set", end: ending{ret: -1, outputSet: true, output: answer}, kind: KindScriptFailed, keep: true},
		{name: "exited 0 ignores the return slot", end: ending{exited: true, ret: 3, outputSet: true, output: answer}, output: true},
		{name: "no answer", end: ending{}, kind: KindBadOutput, contains: "without calling output_set"},
		{name: "exited 0 without an answer", end: ending{exited: true}, kind: KindBadOutput},
		{name: "malformed answer", end: ending{outputSet: true, output: []byte(`{}`)}, kind: KindBadOutput, output: true},
		{name: "trapped", end: ending{failed: trap, outputSet: true, output: answer}, kind: KindTrap},
		{name: "memory refused, then answered", end: ending{memRefused: true, outputSet: true, output: answer},
			kind: KindLimit, contains: "memory.grow was refused, the module then answered", output: true},
		{name: "memory refused, then trapped", end: ending{memRefused: true, failed: trap},
			kind: KindLimit, contains: "then trap: login: unreachable"},
		{name: "memory refused, then returned non-zero", end: ending{memRefused: true, ret: 1},
			kind: KindLimit, contains: "then script_failed"},
		{name: "memory refused, then out of fuel", end: ending{memRefused: true, failed: fuel}, kind: KindOutOfFuel},
		{name: "memory refused, then out of time", end: ending{memRefused: true, failed: deadline}, kind: KindDeadline},
		{name: "memory grew past the limit", end: ending{memSize: 3 * mib, outputSet: true, output: answer},
			kind: KindLimit, contains: "memory grew to 3 MiB, above the limit of 2 MiB", output: true},
		{name: "memory grew past the limit and trapped", end: ending{memSize: 3 * mib, failed: trap}, kind: KindTrap},
		{name: "memory grew past the limit and returned non-zero", end: ending{memSize: 3 * mib, ret: 1}, kind: KindScriptFailed},
		{name: "memory at the limit", end: ending{memSize: 2 * mib, outputSet: true, output: answer}, keep: true, output: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.end.op = OpLogin
			if tt.end.memLimit == 0 {
				tt.end.memLimit = 2 * mib
			}
			if tt.end.memSize == 0 {
				tt.end.memSize = mib
			}
			o := tt.end.decide()
			if got := ErrorKind(o.err); got != tt.kind || (o.err != nil && tt.kind == "") {
				t.Fatalf("error %v, want kind %q", o.err, tt.kind)
			}
			if tt.contains != "" && !strings.Contains(o.err.Error(), tt.contains) {
				t.Errorf("error %q does not say %q", o.err, tt.contains)
			}
			if o.keep != tt.keep {
				t.Errorf("keep %v, want %v", o.keep, tt.keep)
			}
			if (o.output != nil) != tt.output {
				t.Errorf("output %q, want returned: %v", o.output, tt.output)
			}
			if (o.answer != nil) != (o.err == nil) {
				t.Errorf("answer %+v with error %v", o.answer, o.err)
			}
		})
	}
}
