package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/metrics"
	"github.com/wasmauth/wasmauth/runtime"
)

type fakeHasher struct{ queue, inFlight int }

func (f fakeHasher) QueueDepth() int { return f.queue }
func (f fakeHasher) InFlight() int   { return f.inFlight }

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler(nil).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape: status %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetrics(t *testing.T) {
	m := metrics.New()
	m.WatchPool(func() runtime.Stats {
		return runtime.Stats{Modules: 2, Tenants: 1, Busy: 3, Idle: 4, IdleMemory: 5 << 20, MemoryBudget: 64 << 20, WaitingCalls: 6, Hits: 7, Misses: 8, Evicted: 9, Discarded: 10}
	})
	m.WatchHasher(fakeHasher{queue: 7, inFlight: 2})

	m.ObserveHTTP("POST", "/t/:tenant/login", 200, 30*time.Millisecond)
	m.ObserveHTTP("POST", "/t/:tenant/login", 401, 40*time.Millisecond)
	m.ObserveHTTP("POST", "/t/:tenant/login", 401, 40*time.Millisecond)
	m.Login(auth.OutcomeLocalOK)
	m.Login(auth.OutcomeRejected)
	m.Login(auth.OutcomeRejected)
	m.ScriptCall("acme", "login", "ok", 3*time.Millisecond, 120_000)
	m.ScriptCall("acme", "login", "trap", 0, 0)

	body := scrape(t, m)
	tests := []struct {
		name, line string
	}{
		{"http ok", `wasmauth_http_requests_total{method="POST",route="/t/:tenant/login",status="200"} 1`},
		{"http 401", `wasmauth_http_requests_total{method="POST",route="/t/:tenant/login",status="401"} 2`},
		{"http histogram", `wasmauth_http_request_duration_seconds_count{method="POST",route="/t/:tenant/login"} 3`},
		{"login ok", `wasmauth_logins_total{outcome="local_ok"} 1`},
		{"login rejected", `wasmauth_logins_total{outcome="rejected"} 2`},
		{"login outcome at zero", `wasmauth_logins_total{outcome="legacy_error"} 0`},
		{"script ok", `wasmauth_script_calls_total{op="login",outcome="ok",tenant="acme"} 1`},
		{"script trap", `wasmauth_script_calls_total{op="login",outcome="trap",tenant="acme"} 1`},
		{"script duration only for calls that ran", `wasmauth_script_call_duration_seconds_count{op="login",tenant="acme"} 1`},
		{"script fuel", `wasmauth_script_call_fuel_sum{op="login",tenant="acme"} 120000`},
		{"pool busy", `wasmauth_script_instances_busy 3`},
		{"pool idle", `wasmauth_script_instances_idle 4`},
		{"pool waiting", `wasmauth_script_calls_waiting 6`},
		{"pool hits", `wasmauth_script_pool_hits_total 7`},
		{"pool misses", `wasmauth_script_pool_misses_total 8`},
		{"pool evictions", `wasmauth_script_pool_evictions_total 9`},
		{"instances discarded", `wasmauth_script_instances_discarded_total 10`},
		{"pool memory", `wasmauth_script_instances_idle_memory_bytes 5.24288e+06`},
		{"hash queue", `wasmauth_password_hash_queue_depth 7`},
		{"hash in flight", `wasmauth_password_hashes_in_flight 2`},
		{"go collector", `go_goroutines `},
		{"process collector", `process_start_time_seconds `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(body, tt.line) {
				t.Errorf("scrape lacks %q", tt.line)
			}
		})
	}
}

func TestForgetTenant(t *testing.T) {
	m := metrics.New()
	m.ScriptCall("acme", "login", "ok", time.Millisecond, 10)
	m.ScriptCall("globex", "login", "ok", time.Millisecond, 10)
	m.ForgetTenant("acme")
	body := scrape(t, m)
	if strings.Contains(body, `tenant="acme"`) {
		t.Error("acme's series survived ForgetTenant")
	}
	if !strings.Contains(body, `tenant="globex"`) {
		t.Error("globex's series went with acme's")
	}
}

func TestRegistriesAreSeparate(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.Login(auth.OutcomeLocalOK)
	families, err := b.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range families {
		if f.GetName() == "wasmauth_logins_total" {
			n = len(f.GetMetric())
		}
	}
	if n != 6 {
		t.Fatalf("b has %d login series, want the 6 outcomes at zero", n)
	}
	if strings.Contains(scrape(t, b), `wasmauth_logins_total{outcome="local_ok"} 1`) {
		t.Fatal("a login counted on a shows on b")
	}
}

func TestStatusLabel(t *testing.T) {
	m := metrics.New()
	for _, st := range []int{-1, 0, 204, 599, 600, 1000} {
		m.ObserveHTTP("GET", "/healthz", st, time.Millisecond)
	}
	body := scrape(t, m)
	for _, want := range []string{`status="204"`, `status="599"`, `status="other"} 3`} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}

func BenchmarkObserveHTTP(b *testing.B) {
	m := metrics.New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveHTTP("POST", "/t/:tenant/login", 200, 12*time.Millisecond)
		}
	})
}

func BenchmarkScriptCall(b *testing.B) {
	m := metrics.New()
	b.ReportAllocs()
	for b.Loop() {
		m.ScriptCall("acme", "login", "ok", 3*time.Millisecond, 120_000)
	}
}
