package cli

import (
	"bytes"
	"testing"
)

func TestServeStoreFlag(t *testing.T) {
	const pg = "postgres://postgres@127.0.0.1:5432/wasmauth"
	tests := []struct {
		name, flag, env, want string
	}{
		{name: "default", want: "badger"},
		{name: "flag", flag: pg, want: pg},
		{name: "env", env: pg, want: pg},
		{name: "flag over env", flag: "badger", env: pg, want: "badger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"WASMAUTH_STORE": tt.env}
			sys := IO{Getenv: func(k string) string { return env[k] }, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
			f, parseArgs := bindServerFlags(sys, "serve", "serve", "")
			var args []string
			if tt.flag != "" {
				args = []string{"--store", tt.flag}
			}
			if err := parseArgs(args); err != nil {
				t.Fatal(err)
			}
			cfg, err := f.config(sys)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Store != tt.want {
				t.Fatalf("Store = %q, want %q", cfg.Store, tt.want)
			}
		})
	}
}
