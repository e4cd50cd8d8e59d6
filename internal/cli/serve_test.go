package cli

import (
	"bytes"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
)

func TestServeMaxLimits(t *testing.T) {
	tests := []struct {
		name    string
		flag    string
		env     string
		want    auth.Limits
		wantErr bool
	}{
		{name: "none"},
		{name: "flag", flag: `{"timeout_ms": 30000, "memory_mb": 512}`, want: auth.Limits{TimeoutMS: 30000, MemoryMB: 512}},
		{name: "env", env: `{"instances": 16}`, want: auth.Limits{Instances: 16}},
		{name: "unknown field", flag: `{"timeout": 3}`, wantErr: true},
		{name: "not JSON", flag: `30s`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"WASMAUTH_MAX_LIMITS": tt.env}
			sys := IO{Getenv: func(k string) string { return env[k] }, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
			f, parseArgs := bindServerFlags(sys, "serve", "serve", "")
			var args []string
			if tt.flag != "" {
				args = []string{"--max-limits", tt.flag}
			}
			if err := parseArgs(args); err != nil {
				t.Fatal(err)
			}
			cfg, err := f.config(sys)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && cfg.MaxLimits != tt.want {
				t.Fatalf("MaxLimits = %+v, want %+v", cfg.MaxLimits, tt.want)
			}
		})
	}
}
