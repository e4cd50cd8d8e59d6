package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// drainMetrics count the migration drains' progress.
type drainMetrics struct {
	users *prometheus.CounterVec
	pages *prometheus.CounterVec
}

func newDrainMetrics(reg *prometheus.Registry) *drainMetrics {
	d := &drainMetrics{
		users: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "drain", Name: "users_total",
			Help: "Users the migration drains handled, by tenant and outcome: imported, already_local, conflict, without_password, unsupported_hash, error (without_password and unsupported_hash are parts of imported).",
		}, []string{"tenant", "outcome"}),
		pages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "drain", Name: "pages_total",
			Help: "list_users pages the migration drains committed, by tenant.",
		}, []string{"tenant"}),
	}
	reg.MustRegister(d.users, d.pages)
	return d
}

var _ auth.DrainObserver = (*Metrics)(nil)

// Drained counts one committed page of a tenant's drain. It implements
// auth.DrainObserver.
func (m *Metrics) Drained(tenant string, delta auth.ImportCounts) {
	d := m.drain
	for outcome, n := range map[string]int64{
		"imported": delta.Imported, "already_local": delta.AlreadyLocal, "conflict": delta.Conflicts,
		"without_password": delta.WithoutPassword, "unsupported_hash": delta.UnsupportedHash, "error": delta.Errors,
	} {
		d.users.WithLabelValues(tenant, outcome).Add(float64(n))
	}
	d.pages.WithLabelValues(tenant).Inc()
}

// forget drops a deleted tenant's drain series.
func (d *drainMetrics) forget(l prometheus.Labels) {
	d.users.DeletePartialMatch(l)
	d.pages.DeletePartialMatch(l)
}
