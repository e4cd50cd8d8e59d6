package server_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// BenchmarkFirstVsLaterLogin measures, in one run, a legacy user's first
// login (module + query + legacy check + argon2id re-hash + store) against a
// later login of the same user (argon2id verify + session), with the module
// call itself broken out (its duration as the server measures it around the
// engine call). The legacy hashes are salted SHA-256, so the module's own
// cost is not hidden behind a slow legacy hash. Passwords use the default
// argon2id parameters.
//
//	go test -run '^$' -bench FirstVsLater -benchtime 200x ./internal/server/
func BenchmarkFirstVsLaterLogin(b *testing.B) {
	ts := testserver.Start(b, server.Config{Hash: password.DefaultParams})
	tenant := "bench"
	ts.CreateTenant(tenant)
	l := ts.LegacyDB(b, "sqlite", tenant)
	for i := range b.N {
		l.Exec(b, fmt.Sprintf("INSERT INTO {table} (id, email, username, password_hash, email_verified, name) SELECT %d, 'b%d@example.com', 'b%d', password_hash, TRUE, 'B' FROM {table} WHERE id = 4", 10000+i, i, i))
	}
	setUpMigrationWith(b, ts, tenant, l, examples.GoLegacy)
	pw := testserver.SeedPassword("dave")
	// Warm the instance pool and the timing window once.
	ts.Must(ts.Login(tenant, "dave", pw), 200, "warm-up")

	first := make([]time.Duration, 0, b.N)
	later := make([]time.Duration, 0, b.N)
	module := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("b%d", i)
		t0 := time.Now()
		ts.Must(ts.Login(tenant, id, pw), 200, "first login")
		first = append(first, time.Since(t0))
		t0 = time.Now()
		ts.Must(ts.Login(tenant, id, pw), 200, "later login")
		later = append(later, time.Since(t0))
	}
	b.StopTimer()
	for range min(b.N, 50) {
		r := ts.Must(ts.Do("POST", "/admin/v1/tenants/"+tenant+"/script/test", testserver.OperatorToken,
			map[string]any{"op": "login", "identifier": "dave", "password": pw}), 200, "script test")
		ms, _ := r.JSON["duration_ms"].(float64)
		module = append(module, time.Duration(ms*float64(time.Millisecond)))
	}
	f, lt, m := median(first), median(later), median(module)
	b.ReportMetric(float64(f.Microseconds())/1000, "first-ms")
	b.ReportMetric(float64(lt.Microseconds())/1000, "later-ms")
	b.ReportMetric(float64(m.Microseconds())/1000, "module-ms")
	b.ReportMetric(float64(f)/float64(lt), "first/later")
	b.ReportMetric(float64(f-lt)/float64(time.Millisecond), "extra-ms")
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
