package httpapi_test

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/wasmauth/wasmauth/internal/httpapi"
	"github.com/wasmauth/wasmauth/internal/metrics"
)

type observed struct {
	method, route string
	status        int
}

type recorder struct {
	mu  sync.Mutex
	got []observed
}

func (r *recorder) observe(method, route string, status int, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, observed{method, route, status})
}

func TestRequestMetrics(t *testing.T) {
	rec := &recorder{}
	srv := httpapi.New(httpapi.Config{Observe: rec.observe}, nil, nil)
	srv.App().Get("/panics/:id", func(c *fiber.Ctx) error { panic("boom") })
	tests := []struct {
		name, method, path string
		want               observed
	}{
		{"endpoint", "GET", "/healthz", observed{"GET", "/healthz", 200}},
		{"no route", "GET", "/no/such/thing", observed{"GET", "/", 404}},
		{"failed admin authentication", "GET", "/admin/v1/tenants", observed{"GET", "/admin/v1", 401}},
		{"panic, the template and not the raw path", "GET", "/panics/42", observed{"GET", "/panics/:id", 500}},
		{"HEAD", "HEAD", "/healthz", observed{"HEAD", "/healthz", 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.mu.Lock()
			rec.got = nil
			rec.mu.Unlock()
			resp, err := srv.App().Test(httptest.NewRequest(tt.method, tt.path, nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.got) != 1 || rec.got[0] != tt.want {
				t.Fatalf("observed %+v, want [%+v]", rec.got, tt.want)
			}
			if resp.StatusCode != tt.want.status {
				t.Errorf("the client got %d, the metric says %d", resp.StatusCode, tt.want.status)
			}
		})
	}
}

func BenchmarkRequestMetrics(b *testing.B) {
	for _, bc := range []struct {
		name    string
		observe func(string, string, int, time.Duration)
	}{
		{"without", nil},
		{"with", metrics.New().ObserveHTTP},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httpapi.New(httpapi.Config{Observe: bc.observe}, nil, nil)
			h := srv.App().Handler()
			var ctx fasthttp.RequestCtx
			ctx.Request.Header.SetMethod("GET")
			ctx.Request.SetRequestURI("/healthz")
			b.ReportAllocs()
			for b.Loop() {
				h(&ctx)
			}
		})
	}
}
