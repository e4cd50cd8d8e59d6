package metrics_test

import (
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/metrics"
)

func TestDrainMetrics(t *testing.T) {
	m := metrics.New()
	m.Drained("acme", auth.ImportCounts{Imported: 90, AlreadyLocal: 5, Conflicts: 3, WithoutPassword: 2, UnsupportedHash: 1, Errors: 2})
	m.Drained("acme", auth.ImportCounts{Imported: 10})
	out := scrape(t, m)
	for _, want := range []string{
		`wasmauth_drain_users_total{outcome="imported",tenant="acme"} 100`,
		`wasmauth_drain_users_total{outcome="already_local",tenant="acme"} 5`,
		`wasmauth_drain_users_total{outcome="conflict",tenant="acme"} 3`,
		`wasmauth_drain_users_total{outcome="without_password",tenant="acme"} 2`,
		`wasmauth_drain_users_total{outcome="unsupported_hash",tenant="acme"} 1`,
		`wasmauth_drain_users_total{outcome="error",tenant="acme"} 2`,
		`wasmauth_drain_pages_total{tenant="acme"} 2`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	m.ForgetTenant("acme")
	if out := scrape(t, m); strings.Contains(out, `tenant="acme"`) {
		t.Errorf("a deleted tenant's drain series remain:\n%s", out)
	}
}
