package ratelimit

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTake(t *testing.T) {
	l := New(map[string]Rule{"reg": {Limit: 3, Window: 30 * time.Second}}, 100)
	const key = "reg:192.0.2.1"
	for i := range 3 {
		if _, ok := l.Take(t0, key); !ok {
			t.Fatalf("take %d refused", i+1)
		}
	}
	if wait, ok := l.Take(t0, key); ok || wait != 10*time.Second {
		t.Fatalf("fourth take = %v, %v; want refused for 10s", wait, ok)
	}
	if _, ok := l.Take(t0.Add(10*time.Second), key); !ok {
		t.Fatal("take after one interval refused")
	}
}

// TestTakeConcurrent: of many callers at once, exactly the rule's burst
// gets through.
func TestTakeConcurrent(t *testing.T) {
	l := New(map[string]Rule{"reg": {Limit: 20, Window: time.Hour}}, 100)
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			if _, allowed := l.Take(t0, "reg:192.0.2.1"); allowed {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 20 {
		t.Fatalf("%d of 200 concurrent takes got through, want 20", ok.Load())
	}
}

func TestChangesAndRestore(t *testing.T) {
	rules := map[string]Rule{
		"id": {Limit: 3, Window: 30 * time.Second},
		"ip": {Limit: 30, Window: 30 * time.Second},
	}
	l := New(rules, 100)
	blocked, reset, addr := "id:acme:alice", "id:acme:bob", "ip:acme:192.0.2.1"
	for range 3 {
		l.Fail(t0, blocked, addr)
	}
	l.Fail(t0, reset)
	l.Reset(reset)
	got := map[string]time.Time{}
	for _, st := range l.Changes() {
		got[st.Key] = st.Until
	}
	want := map[string]time.Time{
		blocked: t0.Add(30 * time.Second),
		addr:    t0.Add(3 * time.Second),
		reset:   {},
	}
	if len(got) != len(want) {
		t.Fatalf("Changes = %v, want %v", got, want)
	}
	for k, w := range want {
		if !got[k].Equal(w) {
			t.Fatalf("Changes[%s] = %v, want %v", k, got[k], w)
		}
	}
	if more := l.Changes(); len(more) != 0 {
		t.Fatalf("second Changes = %v, want none", more)
	}

	// A new limiter (a restart) picks up where the old one was.
	saved := []State{{Key: blocked, Until: got[blocked]}, {Key: addr, Until: got[addr]}, {Key: reset}}
	r := New(rules, 100)
	r.Restore(t0.Add(time.Second), saved)
	if wait, ok := r.Allow(t0.Add(time.Second), blocked); ok || wait != 9*time.Second {
		t.Fatalf("restored key: Allow = %v, %v; want blocked for 9s", wait, ok)
	}
	if r.Len() != 2 {
		t.Fatalf("restored %d keys, want 2 (the reset key is skipped)", r.Len())
	}
	if len(r.Changes()) != 0 {
		t.Fatal("restored keys were reported as changes")
	}

	// Decayed states and keys without a rule are skipped; a state longer
	// than its (shortened) rule allows is cut to the rule's window.
	short := New(map[string]Rule{"id": {Limit: 3, Window: 3 * time.Second}}, 100)
	short.Restore(t0, []State{
		{Key: blocked, Until: t0.Add(time.Hour)},
		{Key: "id:acme:old", Until: t0.Add(-time.Second)},
		{Key: addr, Until: t0.Add(time.Hour)},
	})
	if short.Len() != 1 {
		t.Fatalf("restored %d keys, want 1", short.Len())
	}
	if wait, ok := short.Allow(t0, blocked); ok || wait != 3*time.Second {
		t.Fatalf("cut key: Allow = %v, %v; want blocked for the 3s window", wait, ok)
	}
}

// TestChangesBounded: pending changes never exceed the keys tracked.
func TestChangesBounded(t *testing.T) {
	l := New(map[string]Rule{"id": {Limit: 3, Window: time.Minute}}, 64)
	for i := range 1000 {
		l.Fail(t0, "id:acme:"+string(rune('a'+i%26))+string(rune(i)))
	}
	if n := len(l.Changes()); n > 64 {
		t.Fatalf("%d pending changes, want at most 64", n)
	}
}
