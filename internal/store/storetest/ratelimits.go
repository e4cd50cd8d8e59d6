package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// testRateLimits checks the rate limiter's saved state: saved states come
// back until they pass, a later save replaces a key's state, a zero or past
// Until deletes it, and a batch larger than one transaction is saved whole.
// States use the real clock, because a backend may expire them by wall time.
func testRateLimits(t *testing.T, newStore NewStore) {
	ctx := t.Context()
	s := newStore(t)
	now := time.Now()
	load := func(at time.Time) map[string]time.Time {
		t.Helper()
		states, err := s.LoadRateLimits(ctx, at)
		if err != nil {
			t.Fatalf("LoadRateLimits: %v", err)
		}
		m := make(map[string]time.Time, len(states))
		for _, st := range states {
			if _, dup := m[st.Key]; dup {
				t.Fatalf("LoadRateLimits returned %q twice", st.Key)
			}
			m[st.Key] = st.Until
		}
		return m
	}
	if got := load(now); len(got) != 0 {
		t.Fatalf("a new store has rate limits: %v", got)
	}

	odd := "idip:acme:::1:" + strings.Repeat("é", 300) + "\x00x"
	save := []auth.RateLimitState{
		{Key: "idip:acme:192.0.2.1:alice@example.com", Until: now.Add(time.Hour)},
		{Key: "acct:acme:legacy:1", Until: now.Add(10 * time.Minute)},
		{Key: "ip:acme:192.0.2.1", Until: now.Add(time.Minute)},
		{Key: "id:acme:gone", Until: now.Add(-time.Minute)}, // already past: not stored
		{Key: odd, Until: now.Add(time.Hour)},
	}
	if err := s.SaveRateLimits(ctx, save); err != nil {
		t.Fatalf("SaveRateLimits: %v", err)
	}
	got := load(now)
	if len(got) != 4 {
		t.Fatalf("loaded %d states, want 4: %v", len(got), got)
	}
	for _, st := range save[:3] {
		if !got[st.Key].Equal(st.Until) {
			t.Fatalf("%s: Until %v, want %v", st.Key, got[st.Key], st.Until)
		}
	}
	if _, ok := got[odd]; !ok {
		t.Fatal("a key with any bytes was not kept")
	}

	// Load at a later time leaves out what has passed by then.
	later := load(now.Add(5 * time.Minute))
	if _, ok := later["ip:acme:192.0.2.1"]; ok || len(later) != 3 {
		t.Fatalf("load 5 minutes later: %v, want the minute-long state gone", later)
	}

	// A later save replaces; a zero Until deletes.
	if err := s.SaveRateLimits(ctx, []auth.RateLimitState{
		{Key: "acct:acme:legacy:1", Until: now.Add(20 * time.Minute)},
		{Key: "idip:acme:192.0.2.1:alice@example.com"},
		{Key: "never:stored"},
	}); err != nil {
		t.Fatalf("SaveRateLimits: %v", err)
	}
	got = load(now)
	if _, ok := got["idip:acme:192.0.2.1:alice@example.com"]; ok {
		t.Fatal("a reset key was still loaded")
	}
	if !got["acct:acme:legacy:1"].Equal(now.Add(20 * time.Minute)) {
		t.Fatalf("replaced state: %v", got["acct:acme:legacy:1"])
	}

	// Rate limits are no tenant's records.
	if tenants, err := s.ListTenants(ctx); err != nil || len(tenants) != 0 {
		t.Fatalf("ListTenants = %v, %v; want none", tenants, err)
	}

	// A burst of many keys is saved whole.
	const n = 20_000
	many := make([]auth.RateLimitState, n)
	for i := range many {
		many[i] = auth.RateLimitState{Key: fmt.Sprintf("idip:acme:198.51.100.%d:user%d@example.com", i%256, i), Until: now.Add(time.Hour)}
	}
	if err := s.SaveRateLimits(ctx, many); err != nil {
		t.Fatalf("SaveRateLimits(%d): %v", n, err)
	}
	got = load(now)
	for _, st := range many {
		if !got[st.Key].Equal(st.Until) {
			t.Fatalf("%s of a burst of %d: Until %v, want %v", st.Key, n, got[st.Key], st.Until)
		}
	}
}
