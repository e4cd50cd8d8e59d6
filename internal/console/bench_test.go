package console_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// BenchmarkTenantPage renders the tenant page, over HTTP on loopback, for
// a tenant with 30 days of hourly migration counters worth 1,000,000
// users, spread over the counters' shards as concurrent migrations spread
// them. The target is under 200 ms; the counters make it independent of
// the number of users.
func BenchmarkTenantPage(b *testing.B) {
	ts := testserver.Start(b, server.Config{})
	key := ts.CreateTenant("acme")
	var history []auth.MigrationBucket
	for range 8 {
		history = append(history, rampHistory(time.Now(), 30, 1_000_000/8)...)
	}
	ts = seedHistory(b, ts, "acme", history)
	br := newBrowser(b, ts.Base)
	p := br.signIn(key).must(b, 200, "tenant page")
	if !strings.Contains(p.body, "Migrated users per day before that") {
		b.Fatalf("no history on the page:\n%s", p.body)
	}
	b.ResetTimer()
	for b.Loop() {
		br.get("/console/tenants/acme").must(b, 200, "tenant page")
	}
}
