package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

func TestServeTokenSettings(t *testing.T) {
	tests := []struct {
		name            string
		args            []string
		env             map[string]string
		access, session time.Duration
		alg             string
		wantErr         string
	}{
		{name: "defaults", access: auth.DefaultAccessTTL, session: auth.DefaultSessionTTL, alg: auth.DefaultSigningAlgorithm},
		{
			name:   "flags",
			args:   []string{"--access-ttl", "5m", "--session-ttl", "12h", "--signing-alg", "EdDSA"},
			access: 5 * time.Minute, session: 12 * time.Hour, alg: "EdDSA",
		},
		{
			name:   "env",
			env:    map[string]string{"WASMAUTH_ACCESS_TTL": "1h", "WASMAUTH_SESSION_TTL": "7d", "WASMAUTH_SIGNING_ALG": "ES256"},
			access: time.Hour, session: 7 * 24 * time.Hour, alg: "ES256",
		},
		{name: "zero access", args: []string{"--access-ttl", "0s"}, wantErr: "--access-ttl"},
		{name: "not a duration", args: []string{"--session-ttl", "forever"}, wantErr: "--session-ttl"},
		{name: "access outlives session", args: []string{"--access-ttl", "2d", "--session-ttl", "1d"}, wantErr: "longer than the session"},
		{name: "unknown algorithm", args: []string{"--signing-alg", "HS256"}, wantErr: `not "HS256"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := IO{Getenv: func(k string) string { return tt.env[k] }, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
			f, parseArgs := bindServerFlags(sys, "serve", "serve", "")
			if err := parseArgs(tt.args); err != nil {
				t.Fatal(err)
			}
			cfg, err := f.config(sys)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one that says %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.AccessTTL != tt.access || cfg.SessionTTL != tt.session || cfg.SigningAlgorithm != tt.alg {
				t.Fatalf("access %v, session %v, alg %q; want %v, %v, %q", cfg.AccessTTL, cfg.SessionTTL, cfg.SigningAlgorithm, tt.access, tt.session, tt.alg)
			}
		})
	}
}

func TestFormatDefaults(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * 24 * time.Hour: "90d", 36 * time.Hour: "36h", 15 * time.Minute: "15m", 90 * time.Second: "90s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := parseDays(formatDuration(d)); err != nil || back != d {
			t.Errorf("parseDays(formatDuration(%v)) = %v, %v", d, back, err)
		}
	}
	for n, want := range map[int64]string{256 << 20: "256MiB", 2 << 30: "2GiB", 3 << 10: "3KiB", 1000: "1000"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
		if back, err := parseSize(formatSize(n)); err != nil || back != n {
			t.Errorf("parseSize(formatSize(%d)) = %d, %v", n, back, err)
		}
	}
}
