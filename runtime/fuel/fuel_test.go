package fuel_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/runtime/fuel"
)

const bigBudget = 1_000_000_000

func TestRunawayIsStopped(t *testing.T) {
	tests := []struct {
		name   string
		fn     string
		args   []uint64
		budget int64
	}{
		{name: "tight loop", fn: "spin", budget: 1_000_000},
		{name: "naive fib(45), recursion without loops", fn: "fib", args: []uint64{45}, budget: 10_000_000},
		{name: "loop inside recursion", fn: "walk", args: []uint64{40}, budget: 10_000_000},
		{name: "memory.fill of 1 MiB in a loop", fn: "fill_forever", budget: 10_000_000},
	}
	r := newRuntime(t, compilerConfig())
	wasm := instrument(t, readWasm(t, "spin.wasm"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mod := instantiate(t, r, wasm)
			_, left, err := callWithFuel(t, mod, tt.budget, tt.fn, tt.args...)
			if err == nil {
				t.Fatal("call returned, want a trap")
			}
			if !errors.Is(err, fuel.ErrOutOfFuel) {
				t.Errorf("error = %v, want fuel.ErrOutOfFuel", err)
			}
			if left >= 0 {
				t.Errorf("remaining = %d, want < 0", left)
			}
			// The trap fires at the first charge that goes below zero,
			// so the overdraft is at most one charge: here at most a
			// bulk charge of 1 MiB.
			if min := -int64(1<<20)/fuel.MemoryBytesPerUnit - 64; left < min {
				t.Errorf("remaining = %d, overdrawn by more than one charge (%d)", left, min)
			}
		})
	}
}

func TestGuestTrapIsNotOutOfFuel(t *testing.T) {
	r := newRuntime(t, compilerConfig())
	mod := instantiate(t, r, instrument(t, readWasm(t, "spin.wasm")))
	_, left, err := callWithFuel(t, mod, bigBudget, "trap")
	if err == nil {
		t.Fatal("call returned, want a trap")
	}
	if left < 0 {
		t.Errorf("remaining = %d after the guest's own trap, want >= 0", left)
	}
}

type call struct {
	fn   string
	args []uint64
}

func TestSameResults(t *testing.T) {
	f64 := func(f float64) uint64 { return math.Float64bits(f) }
	tests := []struct {
		name  string
		file  string
		calls []call
	}{
		{name: "arithmetic", file: "arith.wasm", calls: []call{
			{"gcd", []uint64{1071, 462}},
			{"gcd", []uint64{1 << 40, 3 << 20}},
			{"collatz", []uint64{27}},
			{"collatz", []uint64{1}},
			{"floats", []uint64{f64(2)}},
			{"floats", []uint64{f64(1e10)}},
			{"bits", []uint64{0x80ff}},
			{"bits", []uint64{0xfffffffb}},
			{"choose", []uint64{0}},
			{"choose", []uint64{1}},
			{"div", []uint64{7, 2}},
			{"div", []uint64{7, 0}},
		}},
		{name: "memory", file: "memory.wasm", calls: []call{
			{"sum", []uint64{1024, 8}},
			{"widths", nil},
			{"bulk", []uint64{1000}},
			{"bulk", []uint64{10}}, // memory.init of a dropped segment traps
			{"grow", []uint64{1}},
			{"grow", []uint64{10}}, // over the maximum: -1
			{"sum", []uint64{0, 65536 * 2}},
			{"sum", []uint64{65536*2 - 4, 8}}, // out of bounds
		}},
		{name: "control flow", file: "control.wasm", calls: []call{
			{"switch", []uint64{0}},
			{"switch", []uint64{2}},
			{"switch", []uint64{3}},
			{"switch", []uint64{4}},
			{"switch", []uint64{99}},
			{"digits", []uint64{12345, 10}},
			{"digits", []uint64{255, 2}},
			{"digits", []uint64{7, 0}}, // division by zero
			{"blocks", []uint64{5}},
			{"blocks", []uint64{20}},
			{"nested", []uint64{50}},
			{"nested", []uint64{1000}},
		}},
		{name: "tables, globals and start function", file: "tables.wasm", calls: []call{
			{"started", nil},
			{"apply", []uint64{0, 3, 4}},
			{"apply", []uint64{2, 3, 4}},
			{"apply", []uint64{3, 3, 4}}, // null entry
			{"calls", nil},
			{"shuffle", nil},
			{"apply", []uint64{5, 6, 7}},
			{"apply", []uint64{9, 6, 7}}, // out of bounds
			{"calls", nil},
		}},
		{name: "imported function, globals and memory", file: "imports.wasm", calls: []call{
			{"run", []uint64{3}},
			{"run", []uint64{4}},
		}},
		{name: "simd", file: "simd.wasm", calls: []call{
			{"simd", []uint64{5}},
			{"simd", []uint64{0xffffffff}},
		}},
		{name: "cpu-bound", file: "bench.wasm", calls: []call{
			{"hash", []uint64{10000}},
			{"fib", []uint64{20}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			wasm := readWasm(t, tt.file)
			// Separate runtimes, so that the imported mutable global
			// starts from the same value on both sides.
			plain := instantiate(t, newRuntime(t, compilerConfig()), wasm)
			metered := instantiate(t, newRuntime(t, compilerConfig()), instrument(t, wasm))
			for _, c := range tt.calls {
				want, wantErr := plain.ExportedFunction(c.fn).Call(ctx, c.args...)
				got, left, err := callWithFuel(t, metered, bigBudget, c.fn, c.args...)
				if (err != nil) != (wantErr != nil) {
					t.Fatalf("%s%v: error %v, plain module's error %v", c.fn, c.args, err, wantErr)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s%v = %v, plain module returns %v", c.fn, c.args, got, want)
				}
				if left < 0 || left >= bigBudget {
					t.Errorf("%s%v: remaining = %d, want in [0, %d)", c.fn, c.args, left, bigBudget)
				}
			}
		})
	}
}

func TestExactCosts(t *testing.T) {
	tests := []struct {
		fn   string
		args []uint64
		want int64
	}{
		{"straight", nil, 3},
		{"calls", nil, 3 + 2*3},
		{"count", []uint64{1}, 5},
		{"count", []uint64{1000}, 5000},
		{"ifelse", []uint64{1}, 7},
		{"ifelse", []uint64{0}, 5},
		{"guard", []uint64{1}, 4},
		{"guard", []uint64{0}, 6},
		{"skip", []uint64{1}, 5},
		{"skip", []uint64{0}, 5},
		{"while", []uint64{0}, 8},
		{"while", []uint64{100}, 8 * 101},
		{"fill", []uint64{15}, 4},
		{"fill", []uint64{1000}, 4 + 1000/fuel.MemoryBytesPerUnit},
		{"copy", []uint64{65000}, 4 + 65000/fuel.MemoryBytesPerUnit},
	}
	r := newRuntime(t, compilerConfig())
	mod := instantiate(t, r, instrument(t, readWasm(t, "costs.wasm")))
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s%v", tt.fn, tt.args), func(t *testing.T) {
			_, left, err := callWithFuel(t, mod, bigBudget, tt.fn, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if used := bigBudget - left; used != tt.want {
				t.Errorf("%s%v used %d, want %d", tt.fn, tt.args, used, tt.want)
			}
		})
	}
}

func TestBudgetBoundary(t *testing.T) {
	r := newRuntime(t, compilerConfig())
	mod := instantiate(t, r, instrument(t, readWasm(t, "costs.wasm")))
	const n, cost = 1000, 5000 // count(n) costs 5n
	tests := []struct {
		name    string
		budget  int64
		wantErr bool
	}{
		{name: "exact budget", budget: cost},
		{name: "one unit short", budget: cost - 1, wantErr: true},
		{name: "nothing", budget: 0, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, left, err := callWithFuel(t, mod, tt.budget, "count", n)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %t", err, tt.wantErr)
			}
			if tt.wantErr && left >= 0 {
				t.Errorf("remaining = %d, want < 0", left)
			}
			if !tt.wantErr && left != 0 {
				t.Errorf("remaining = %d, want 0", left)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	tests := []struct {
		file string
		call
	}{
		{"bench.wasm", call{"hash", []uint64{100000}}},
		{"bench.wasm", call{"fib", []uint64{22}}},
		{"control.wasm", call{"nested", []uint64{500}}},
		{"memory.wasm", call{"bulk", []uint64{5000}}},
		{"simd.wasm", call{"simd", []uint64{3}}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.fn, func(t *testing.T) {
			wasm := instrument(t, readWasm(t, tt.file))
			var used []int64
			for range 2 { // a fresh runtime and instance each time
				mod := instantiate(t, newRuntime(t, compilerConfig()), wasm)
				_, left, err := callWithFuel(t, mod, bigBudget, tt.fn, tt.args...)
				if err != nil {
					t.Fatal(err)
				}
				used = append(used, bigBudget-left)
			}
			if used[0] <= 0 || used[0] != used[1] {
				t.Errorf("fuel used: %v, want the same positive amount twice", used)
			}
		})
	}
}

func TestStartFunctionPaysFromInitialFuel(t *testing.T) {
	wasm := readWasm(t, "tables.wasm")
	t.Run("enough", func(t *testing.T) {
		out, err := fuel.Instrument(wasm, fuel.Options{InitialFuel: 100})
		if err != nil {
			t.Fatal(err)
		}
		mod := instantiate(t, newRuntime(t, compilerConfig()), out)
		// The start function is global.get, i64.const, i64.add and
		// global.set: 4 units.
		if left, ok := fuel.Remaining(mod); !ok || left != 100-4 {
			t.Errorf("remaining after start = %d, %t; want 96", left, ok)
		}
	})
	t.Run("too little", func(t *testing.T) {
		out, err := fuel.Instrument(wasm, fuel.Options{InitialFuel: 3})
		if err != nil {
			t.Fatal(err)
		}
		r := newRuntime(t, compilerConfig())
		if _, err := r.Instantiate(context.Background(), out); err == nil {
			t.Error("instantiation succeeded, want the start function to run out of fuel")
		}
	})
}

func TestHelpersOnPlainModule(t *testing.T) {
	mod := instantiate(t, newRuntime(t, compilerConfig()), readWasm(t, "costs.wasm"))
	if err := fuel.Set(mod, 10); !errors.Is(err, fuel.ErrNotInstrumented) {
		t.Errorf("Set = %v, want ErrNotInstrumented", err)
	}
	if _, ok := fuel.Remaining(mod); ok {
		t.Error("Remaining reports an instrumented module")
	}
	metered := instantiate(t, newRuntime(t, compilerConfig()), instrument(t, readWasm(t, "costs.wasm")))
	if err := fuel.Set(metered, -1); err == nil {
		t.Error("Set accepted a negative budget")
	}
}

func TestCustomSections(t *testing.T) {
	wasm := readWasm(t, "spin.wasm")
	tests := []struct {
		name     string
		opts     fuel.Options
		wantName string
	}{
		{name: "kept", wantName: "fib"},
		{name: "stripped", opts: fuel.Options{StripCustomSections: true}, wantName: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := fuel.Instrument(wasm, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			r := newRuntime(t, compilerConfig())
			cm, err := r.CompileModule(context.Background(), out)
			if err != nil {
				t.Fatal(err)
			}
			if got := cm.ExportedFunctions()["fib"].Name(); got != tt.wantName {
				t.Errorf("name of fib = %q, want %q", got, tt.wantName)
			}
		})
	}
}

// module returns a module with one function of type () -> () whose body
// (locals included) is body, and the given extra sections appended.
func module(body []byte, extra ...byte) []byte {
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	m = append(m, 1, 4, 1, 0x60, 0, 0) // type section
	m = append(m, 3, 2, 1, 0)          // function section
	m = append(m, extra...)
	code := append([]byte{1, byte(len(body))}, body...)
	m = append(m, 10, byte(len(code)))
	return append(m, code...)
}

func TestInstrumentRejects(t *testing.T) {
	exportGlobal0 := []byte{7, 5, 1, 1, 'g', 3, 0} // export "g" global 0
	tests := []struct {
		name    string
		wasm    []byte
		opts    fuel.Options
		wantErr string
	}{
		{name: "empty", wasm: nil, wantErr: "not a WebAssembly"},
		{name: "text", wasm: []byte("(module)"), wantErr: "not a WebAssembly"},
		{name: "truncated section", wasm: module([]byte{0, 0x0b})[:20], wantErr: "runs past"},
		{name: "exception handling try", wasm: module([]byte{0, 0x06, 0x40, 0x0b, 0x0b}), wantErr: "opcode 0x06"},
		{name: "tail call", wasm: module([]byte{0, 0x12, 0x00, 0x0b}), wantErr: "opcode 0x12"},
		{name: "atomics", wasm: module([]byte{0, 0xfe, 0x03, 0x00, 0x0b}), wantErr: "opcode 0xfe"},
		{name: "unknown 0xfc", wasm: module([]byte{0, 0xfc, 0x12, 0x0b}), wantErr: "opcode 0xfc 18"},
		{name: "unknown 0xfd", wasm: module([]byte{0, 0xfd, 0x9a, 0x01, 0x0b}), wantErr: "opcode 0xfd 0x9a"},
		{name: "global beyond the module's", wasm: module([]byte{0, 0x23, 0x00, 0x1a, 0x0b}), wantErr: "global index 0 out of range"},
		{name: "local beyond the function's", wasm: module([]byte{0, 0x20, 0x00, 0x1a, 0x0b}), wantErr: "local index 0 out of range"},
		{name: "exported global beyond the module's", wasm: module([]byte{0, 0x0b}, exportGlobal0...), wantErr: "global index 0 out of range"},
		{name: "body without end", wasm: module([]byte{0, 0x01}), wantErr: "before its final end"},
		{name: "bytes after the final end", wasm: module([]byte{0, 0x0b, 0x01}), wantErr: "after the final end"},
		{name: "branch too deep", wasm: module([]byte{0, 0x0c, 0x01, 0x0b}), wantErr: "branch depth 1"},
		{name: "count larger than the section", wasm: module([]byte{0, 0x0b}, 7, 5, 0xff, 0xff, 0xff, 0xff, 0x0f), wantErr: "4294967295 entries declared in 0 bytes"},
		{name: "four billion locals", wasm: module([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x0b}), wantErr: "more than 50000 locals"},
		{name: "custom section name longer than the section", wasm: module([]byte{0, 0x0b}, 0, 5, 0xff, 0xff, 0xff, 0xff, 0x0f), wantErr: "implausible"},
		{name: "billions of function names", wasm: module([]byte{0, 0x0b}, 0, 12, 4, 'n', 'a', 'm', 'e', 1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f), wantErr: "4294967295 entries declared"},
		{name: "name subsection longer than declared", wasm: module([]byte{0, 0x0b}, 0, 10, 4, 'n', 'a', 'm', 'e', 0, 1, 2, 'm', 'n'), wantErr: "not the 1 it declares"},
		{name: "negative initial fuel", wasm: module([]byte{0, 0x0b}), opts: fuel.Options{InitialFuel: -1}, wantErr: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fuel.Instrument(tt.wasm, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}

	t.Run("minimal module is accepted", func(t *testing.T) {
		out := instrument(t, module([]byte{0, 0x0b}))
		r := newRuntime(t, compilerConfig())
		if _, err := r.CompileModule(context.Background(), out); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("already instrumented", func(t *testing.T) {
		once := instrument(t, readWasm(t, "bench.wasm"))
		// Its refuel import is found first.
		if _, err := fuel.Instrument(once, fuel.Options{}); !errors.Is(err, fuel.ErrReservedImport) {
			t.Errorf("error = %v, want ErrReservedImport", err)
		}
	})
}
