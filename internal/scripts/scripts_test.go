package scripts

import (
	"context"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/runtime"
)

func TestOperatorMaxima(t *testing.T) {
	base := runtime.DefaultMaxLimits()
	newMax := func(l auth.Limits) runtime.Limits {
		e, err := runtime.New(context.Background(), runtime.Config{Max: RuntimeLimits(l)})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close(context.Background())
		return e.MaxLimits()
	}
	got := newMax(auth.Limits{TimeoutMS: 30_000, MemoryMB: 512, Instances: 8})
	if got.Timeout != 30*time.Second || got.Memory != 512<<20 || got.Instances != 8 {
		t.Fatalf("set fields: %+v", got)
	}
	if got.Fuel != base.Fuel || got.MaxQueries != base.MaxQueries || got.MaxRows != base.MaxRows || got.MaxOutput != base.MaxOutput {
		t.Fatalf("zero fields must keep the base: %+v", got)
	}
	if newMax(auth.Limits{}) != base {
		t.Fatal("no limits must change nothing")
	}
}

func TestCallInput(t *testing.T) {
	conn := &auth.Connection{Driver: "postgres", Config: map[string]any{"table": "members"}, Limits: auth.Limits{TimeoutMS: 2000}}
	tests := []struct {
		name string
		call auth.ScriptCall
		want string
	}{
		{"login", auth.ScriptCall{Tenant: &auth.Tenant{ID: "acme", Connection: conn}, Op: auth.OpLogin, Identifier: "Alice@Example.com", Password: " pw "},
			`{"identifier":"Alice@Example.com","password":" pw ","tenant":"acme","config":{"table":"members"},"driver":"postgres"}`},
		{"get_user has no password", auth.ScriptCall{Tenant: &auth.Tenant{ID: "acme", Connection: conn}, Op: auth.OpGetUser, Identifier: "alice"},
			`{"identifier":"alice","tenant":"acme","config":{"table":"members"},"driver":"postgres"}`},
		{"empty password is sent", auth.ScriptCall{Tenant: &auth.Tenant{ID: "acme"}, Op: auth.OpLogin, Identifier: "alice"},
			`{"identifier":"alice","password":"","tenant":"acme","config":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _, err := callInput(tt.call)
			if err != nil || string(body) != tt.want {
				t.Fatalf("input = %s, %v\nwant    %s", body, err, tt.want)
			}
		})
	}
	if _, lim, _ := callInput(tests[0].call); lim.Timeout != 2*time.Second {
		t.Fatalf("limits: %+v", lim)
	}
}
