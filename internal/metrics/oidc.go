package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// oidcEvents are the OpenID Provider's events and their outcomes, exported
// at zero from the start so rates work before the first event.
var oidcEvents = map[string][]string{
	"authorization": {"form", "sso", "login_required", "refused"},
	"code_exchange": {"ok", "invalid_grant", "invalid_client", "invalid_request", "error"},
	"hosted_login":  {"ok", "rejected", "rate_limited", "unavailable"},
}

// OIDC returns the counter of the OpenID Provider's events, registering it
// (with every known event and outcome at zero) on first use.
func (m *Metrics) OIDC() *prometheus.CounterVec {
	m.oidcOnce.Do(func() {
		m.oidc = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "oidc", Name: "events_total",
			Help: "OpenID Provider events by kind and outcome: authorization requests (form, sso, login_required, refused), code exchanges (ok or the OAuth error), hosted-form logins (ok, rejected, rate_limited, unavailable).",
		}, []string{"event", "outcome"})
		for ev, outcomes := range oidcEvents {
			for _, o := range outcomes {
				m.oidc.WithLabelValues(ev, o)
			}
		}
		m.reg.MustRegister(m.oidc)
	})
	return m.oidc
}

// OIDCEvent counts one event of the OpenID Provider.
func (m *Metrics) OIDCEvent(event, outcome string) {
	m.OIDC().WithLabelValues(event, outcome).Inc()
}
