package cli

import (
	"bytes"
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestServeEdgeFlags(t *testing.T) {
	tests := []struct {
		name          string
		args          []string
		env           map[string]string
		proxies       []netip.Prefix
		metricsPublic bool
		cert, key     string
		wantErr       string
	}{
		{name: "defaults"},
		{name: "proxies by flag", args: []string{"--trusted-proxies", "10.0.0.0/8, 192.0.2.7"},
			proxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}},
		{name: "proxies by env", env: map[string]string{"WASMAUTH_TRUSTED_PROXIES": "::1/128"},
			proxies: []netip.Prefix{netip.MustParsePrefix("::1/128")}},
		{name: "bad proxy", args: []string{"--trusted-proxies", "10.0.0.0/33"}, wantErr: "--trusted-proxies"},
		{name: "metrics public by flag", args: []string{"--metrics-public"}, metricsPublic: true},
		{name: "metrics public by env", env: map[string]string{"WASMAUTH_METRICS_PUBLIC": "true"}, metricsPublic: true},
		{name: "metrics env not a boolean", env: map[string]string{"WASMAUTH_METRICS_PUBLIC": "yes please"}, wantErr: "WASMAUTH_METRICS_PUBLIC"},
		{name: "TLS by env", env: map[string]string{"WASMAUTH_TLS_CERT": "c.pem", "WASMAUTH_TLS_KEY": "k.pem"}, cert: "c.pem", key: "k.pem"},
		{name: "TLS flags win", args: []string{"--tls-cert", "a.pem", "--tls-key", "b.pem"}, env: map[string]string{"WASMAUTH_TLS_CERT": "c.pem"}, cert: "a.pem", key: "b.pem"},
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
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.TrustedProxies, tt.proxies) || cfg.MetricsPublic != tt.metricsPublic || cfg.TLSCert != tt.cert || cfg.TLSKey != tt.key {
				t.Fatalf("config: proxies %v, metrics public %v, cert %q, key %q", cfg.TrustedProxies, cfg.MetricsPublic, cfg.TLSCert, cfg.TLSKey)
			}
		})
	}
}

func TestServeRefusesShortAdminToken(t *testing.T) {
	var out, errOut bytes.Buffer
	env := map[string]string{"WASMAUTH_ADMIN_TOKEN": "op-secret-123", "WASMAUTH_ADDR": "127.0.0.1:0", "WASMAUTH_DATA_DIR": t.TempDir()}
	// Bounded, so that a server that starts anyway stops and fails the test.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code := Run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "at least 32") {
		t.Fatalf("exit %d, stderr %q: want a refusal", code, errOut.String())
	}
}
