package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestServeLegacyNetworks(t *testing.T) {
	tests := []struct {
		name, cmd, flag, env string
		want                 string // the parsed list, or the error's start
		wantErr              bool
	}{
		{name: "none", want: "[]"},
		{name: "empty", env: " ", want: "[]"},
		{name: "demo", cmd: "demo", want: "[127.0.0.0/8 ::1/128]"},
		{name: "demo flag", cmd: "demo", flag: "10.0.0.0/8", want: "[10.0.0.0/8]"},
		{name: "flag", flag: "10.0.0.0/8,192.168.1.0/24", want: "[10.0.0.0/8 192.168.1.0/24]"},
		{name: "env", env: "10.0.0.0/8", want: "[10.0.0.0/8]"},
		{name: "flag over env", flag: "192.168.1.0/24", env: "10.0.0.0/8", want: "[192.168.1.0/24]"},
		{name: "invalid", flag: "10.0.0.0/8,localhost", want: `--legacy-networks: invalid network "localhost"`, wantErr: true},
		{name: "invalid env", env: "10.0.0.0/40", want: `--legacy-networks: invalid network "10.0.0.0/40"`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"WASMAUTH_LEGACY_NETWORKS": tt.env}
			sys := IO{Getenv: func(k string) string { return env[k] }, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
			cmd := tt.cmd
			if cmd == "" {
				cmd = "serve"
			}
			f, parseArgs := bindServerFlags(sys, cmd, cmd, "")
			var args []string
			if tt.flag != "" {
				args = []string{"--legacy-networks", tt.flag}
			}
			if err := parseArgs(args); err != nil {
				t.Fatal(err)
			}
			cfg, err := f.config(sys)
			if tt.wantErr {
				if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
					t.Fatalf("err = %v, want one starting %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(cfg.LegacyNetworks); got != tt.want {
				t.Fatalf("LegacyNetworks = %s, want %s", got, tt.want)
			}
		})
	}
}
