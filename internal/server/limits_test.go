package server_test

import (
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// TestConnectionLimits: a tenant's limits above the operator's maxima, or
// negative, are 422 invalid_limits; the operator can raise a maximum.
func TestConnectionLimits(t *testing.T) {
	ts := testserver.Start(t, server.Config{MaxLimits: auth.Limits{TimeoutMS: 30_000}})
	key := ts.CreateTenant("acme")
	ts.CopyLegacySQLite("acme")
	tests := []struct {
		name   string
		limits map[string]any
		status int
		detail string
	}{
		{"within the raised maximum", map[string]any{"timeout_ms": 25_000}, 200, ""},
		{"above the raised maximum", map[string]any{"timeout_ms": 40_000}, 422, "timeout_ms"},
		{"above a default maximum", map[string]any{"instances": 1000}, 422, "instances"},
		{"negative", map[string]any{"max_rows": -1}, 422, "max_rows must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.Do("PUT", "/admin/v1/tenants/acme/connection", key, map[string]any{
				"driver": "sqlite", "dsn": "legacy.db", "limits": tt.limits,
			})
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if tt.status == 422 && (r.ProblemCode() != "invalid_limits" || !strings.Contains(r.Str("detail"), tt.detail)) {
				t.Fatalf("answer %s, want invalid_limits naming %q", r.Body, tt.detail)
			}
		})
	}
}
