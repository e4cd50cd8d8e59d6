package runtime_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/runtime"
)

// FuzzValidate feeds arbitrary upload bytes to Compile: it must never panic,
// hang or allocate out of proportion, and every refusal must be a ModuleError.
func FuzzValidate(f *testing.F) {
	entries, err := testdata.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add(module(f, e.Name()[:len(e.Name())-len(".wasm")]))
	}
	f.Add(wasmOf(section(2, 0xff, 0xff, 0xff, 0xff, 0x0f)))
	f.Add(wasmOf(section(1, 1, 0x60, 0, 0), section(3, 1, 0), section(10, 1, 7, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f)))
	f.Add([]byte("\x00asm"))
	e, err := runtime.New(context.Background(), runtime.Config{MaxModuleSize: 1 << 20, CompileTimeout: 20 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { e.Close(context.Background()) })
	f.Fuzz(func(t *testing.T, wasm []byte) {
		info, err := e.Compile(context.Background(), wasm)
		var me *runtime.ModuleError
		switch {
		case err == nil:
			if len(info.Exports) != 2 || info.Size != len(wasm) {
				t.Fatalf("accepted with info %+v", info)
			}
		case !errors.As(err, &me) || me.Reason == "":
			t.Fatalf("err = %v (%T), want a ModuleError with a reason", err, err)
		case strings.Contains(me.Reason, "took longer") || strings.Contains(me.Reason, "busy"):
			t.Fatalf("a module of %d bytes compiled too slowly: %v", len(wasm), err)
		}
	})
}

// FuzzParseAnswer checks that ParseAnswer never panics and that what it
// accepts obeys the ABI's rules.
func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{
		`{"user": null}`,
		`{"user": null, "reason": "wrong_password"}`,
		`{"user": null, "reason": "wrong_password", "id": "1"}`,
		`{"user": {"id": "1", "email": "a@example.com", "email_verified": true, "name": "A", "profile": {"k": [1]}}}`,
		`{"user": {"id": 1, "email": "a@example.com"}}`,
		`{"user": {"id": "1"}}`,
		`[]`, `{}`, `{"user": null} x`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		ans, err := runtime.ParseAnswer(out)
		if err != nil {
			return
		}
		if u := ans.User; u != nil {
			if u.ID == "" || (u.Email == "" && u.Username == "") || ans.Reason != "" || ans.ID != "" {
				t.Fatalf("accepted %q as %+v", out, u)
			}
		} else if ans.Reason != "" && !slices.Contains(runtime.Reasons, ans.Reason) {
			t.Fatalf("accepted reason %q", ans.Reason)
		} else if len(ans.ID) > 256 {
			t.Fatalf("accepted an id of %d bytes", len(ans.ID))
		}
	})
}

func TestParseAnswer(t *testing.T) {
	tests := []struct {
		name, out string
		ok        bool
	}{
		{"no user", `{"user": null}`, true},
		{"no user with reason", `{"user": null, "reason": "wrong_password"}`, true},
		{"full user", `{"user": {"id": "1", "email": "a@example.com", "username": "a", "email_verified": true, "name": "A", "profile": {"plan": "pro"}}}`, true},
		{"username only", `{"user": {"id": "1", "username": "a"}}`, true},
		{"unknown fields ignored", `{"user": {"id": "1", "email": "a@example.com", "x": 1}, "y": 2}`, true},
		{"numeric id", `{"user": {"id": 1, "email": "a@example.com"}}`, false},
		{"empty id", `{"user": {"id": "", "email": "a@example.com"}}`, false},
		{"no email or username", `{"user": {"id": "1"}}`, false},
		{"no user key", `{}`, false},
		{"unknown reason", `{"user": null, "reason": "banned"}`, false},
		{"profile not an object", `{"user": {"id": "1", "email": "a@example.com", "profile": [1]}}`, false},
		{"email_verified not a boolean", `{"user": {"id": "1", "email": "a@example.com", "email_verified": "yes"}}`, false},
		{"trailing data", `{"user": null} {}`, false},
		{"not an object", `[{"user": null}]`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runtime.ParseAnswer([]byte(tt.out))
			if (err == nil) != tt.ok {
				t.Fatalf("ParseAnswer(%s) err = %v, want ok %v", tt.out, err, tt.ok)
			}
		})
	}
}

// FuzzParseCountUsers checks that a count_users answer never panics and that
// what it accepts is a count from 0 to 2^53.
func FuzzParseCountUsers(f *testing.F) {
	for _, s := range []string{`{"count": 0}`, `{"count": 12}`, `{"count": -1}`, `{"count": 1e3}`, `{"count": "1"}`, `{}`, `[]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		ans, err := runtime.ParseOutput(runtime.OpCountUsers, out)
		if err == nil && (ans.Count < 0 || ans.Count > 1<<53) {
			t.Fatalf("accepted %q as %d", out, ans.Count)
		}
	})
}
