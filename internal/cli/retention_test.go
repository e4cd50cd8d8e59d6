package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

func TestServeQuotaAndRetention(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name        string
		args        []string
		env         map[string]string
		quota       auth.ScriptQuota
		audit, logs time.Duration
		wantErr     bool
	}{
		{name: "defaults", quota: auth.ScriptQuota{Versions: 20, Bytes: 256 << 20}, audit: 90 * day, logs: 7 * day},
		{
			name:  "flags",
			args:  []string{"--max-script-versions", "5", "--max-script-bytes", "1048576", "--audit-retention", "36h", "--log-retention", "1d"},
			quota: auth.ScriptQuota{Versions: 5, Bytes: 1 << 20}, audit: 36 * time.Hour, logs: day,
		},
		{
			name: "env",
			env: map[string]string{
				"WASMAUTH_MAX_SCRIPT_VERSIONS": "3", "WASMAUTH_MAX_SCRIPT_BYTES": "2GiB",
				"WASMAUTH_AUDIT_RETENTION": "365d", "WASMAUTH_LOG_RETENTION": "90m",
			},
			quota: auth.ScriptQuota{Versions: 3, Bytes: 2 << 30}, audit: 365 * day, logs: 90 * time.Minute,
		},
		{name: "zero versions", args: []string{"--max-script-versions", "0"}, wantErr: true},
		{name: "size without number", args: []string{"--max-script-bytes", "MiB"}, wantErr: true},
		{name: "negative size", args: []string{"--max-script-bytes", "-5"}, wantErr: true},
		{name: "zero days", args: []string{"--audit-retention", "0d"}, wantErr: true},
		{name: "not a duration", args: []string{"--log-retention", "a week"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := IO{Getenv: func(k string) string { return tt.env[k] }, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
			f, parseArgs := bindServerFlags(sys, "serve", "serve", "")
			if err := parseArgs(tt.args); err != nil {
				t.Fatal(err)
			}
			cfg, err := f.config(sys)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if cfg.ScriptQuota != tt.quota || cfg.AuditRetention != tt.audit || cfg.LogRetention != tt.logs {
				t.Fatalf("quota %+v, audit %v, logs %v; want %+v, %v, %v", cfg.ScriptQuota, cfg.AuditRetention, cfg.LogRetention, tt.quota, tt.audit, tt.logs)
			}
		})
	}
}
