package metrics

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// namespace prefixes every wasmauth metric.
const namespace = "wasmauth"

// latencyBuckets are the HTTP and script latency buckets in seconds: from a
// cached token check (about a millisecond) to a slow legacy database call.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// fuelBuckets are the script fuel buckets: a thousand to ten billion units.
var fuelBuckets = prometheus.ExponentialBuckets(1e3, 10, 8)

// loginOutcomes are the outcomes auth reports; they are exported at zero
// from the start so rates work before the first event.
var loginOutcomes = []string{
	auth.OutcomeLocalOK, auth.OutcomeLegacyMigrated, auth.OutcomeRejected,
	auth.OutcomeLegacyError, auth.OutcomeRateLimited, auth.OutcomeConflict,
}

// Metrics is one server's registry and instruments. It is safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	logins         *prometheus.CounterVec
	scriptCalls    *prometheus.CounterVec
	scriptDuration *prometheus.HistogramVec
	scriptFuel     *prometheus.HistogramVec
	drain          *drainMetrics

	oidcOnce sync.Once // registers oidc on first use (oidc.go)
	oidc     *prometheus.CounterVec
}

var _ auth.Observer = (*Metrics)(nil)

// New returns Metrics with a fresh registry holding the wasmauth
// instruments and the Go and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by method, route template and status.",
		}, []string{"method", "route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method and route template.",
			Buckets: latencyBuckets,
		}, []string{"method", "route"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "logins_total",
			Help: "Login attempts by outcome: local_ok, legacy_migrated, rejected, legacy_error, rate_limited, migration_conflict.",
		}, []string{"outcome"}),
		scriptCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "script", Name: "calls_total",
			Help: "Calls of tenant modules by tenant, operation and outcome (ok or the failure kind).",
		}, []string{"tenant", "op", "outcome"}),
		scriptDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "script", Name: "call_duration_seconds",
			Help:    "Duration of tenant module calls by tenant and operation.",
			Buckets: latencyBuckets,
		}, []string{"tenant", "op"}),
		scriptFuel: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "script", Name: "call_fuel",
			Help:    "Fuel used by tenant module calls by tenant and operation.",
			Buckets: fuelBuckets,
		}, []string{"tenant", "op"}),
	}
	m.reg.MustRegister(
		m.httpRequests, m.httpDuration, m.logins,
		m.scriptCalls, m.scriptDuration, m.scriptFuel,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for _, o := range loginOutcomes {
		m.logins.WithLabelValues(o)
	}
	m.drain = newDrainMetrics(m.reg)
	return m
}

// Registry returns the registry, to register more collectors or to gather
// in tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format. Errors
// while gathering are logged to log (which may be nil) and the metrics that
// could be gathered are still served.
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	opts := promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, Registry: m.reg}
	if log != nil {
		opts.ErrorLog = slogPrinter{log}
	}
	return promhttp.HandlerFor(m.reg, opts)
}

// slogPrinter adapts a slog.Logger to promhttp's Logger.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.log.Warn("metrics: gathering failed", "err", fmt.Sprint(v...))
}

// ObserveHTTP counts one answered request. route must be a route template
// (such as "/t/:tenant/login"), never the raw path, so the number of series
// stays bounded; method must be a standard method name.
func (m *Metrics) ObserveHTTP(method, route string, status int, d time.Duration) {
	m.httpRequests.WithLabelValues(method, route, statusLabel(status)).Inc()
	m.httpDuration.WithLabelValues(method, route).Observe(d.Seconds())
}

// Login counts one login attempt by outcome. It implements auth.Observer.
func (m *Metrics) Login(outcome string) {
	m.logins.WithLabelValues(outcome).Inc()
}

// ScriptCall counts one module call with its duration and fuel. A call that
// never ran (d and fuel zero) is counted but not observed in the
// histograms. It implements auth.Observer.
func (m *Metrics) ScriptCall(tenant, op, outcome string, d time.Duration, fuel int64) {
	m.scriptCalls.WithLabelValues(tenant, op, outcome).Inc()
	if d <= 0 && fuel <= 0 {
		return
	}
	m.scriptDuration.WithLabelValues(tenant, op).Observe(d.Seconds())
	m.scriptFuel.WithLabelValues(tenant, op).Observe(float64(fuel))
}

// ForgetTenant drops the script series of a deleted tenant.
func (m *Metrics) ForgetTenant(tenant string) {
	l := prometheus.Labels{"tenant": tenant}
	m.scriptCalls.DeletePartialMatch(l)
	m.scriptDuration.DeletePartialMatch(l)
	m.scriptFuel.DeletePartialMatch(l)
	m.drain.forget(l)
}

// statusLabels holds the label of every HTTP status, so counting a request
// does not format one.
var statusLabels = func() [600]string {
	var a [600]string
	for i := range a {
		a[i] = strconv.Itoa(i)
	}
	return a
}()

func statusLabel(status int) string {
	if status >= 0 && status < len(statusLabels) {
		return statusLabels[status]
	}
	return "other"
}
