package ratelimit

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// step is one action at an offset from t0 and what Allow should say after it.
type step struct {
	at        time.Duration
	fail      bool // Fail(key) before checking
	reset     bool // Reset(key) before checking
	noCheck   bool // do not call Allow
	wantOK    bool // Allow(key) result
	wantRetry time.Duration
}

func TestAllowFail(t *testing.T) {
	// 3 failures per 30s: one failure costs 10s.
	rules := map[string]Rule{"id": {Limit: 3, Window: 30 * time.Second}}
	s := time.Second
	tests := []struct {
		name  string
		steps []step
	}{
		{"fresh key allowed", []step{
			{at: 0, wantOK: true},
		}},
		{"burst of limit blocks", []step{
			{at: 0, fail: true, wantOK: true},
			{at: 0, fail: true, wantOK: true},
			{at: 0, fail: true, wantOK: false, wantRetry: 10 * s},
			{at: 4 * s, wantOK: false, wantRetry: 6 * s},
			{at: 10 * s, wantOK: true},
		}},
		{"one failure per interval after the burst", []step{
			{at: 0, fail: true, wantOK: true},
			{at: 0, fail: true, wantOK: true},
			{at: 0, fail: true, wantOK: false, wantRetry: 10 * s},
			{at: 10 * s, fail: true, wantOK: false, wantRetry: 10 * s},
			{at: 20 * s, fail: true, wantOK: false, wantRetry: 10 * s},
		}},
		{"sustained rate never blocks", []step{
			{at: 0, fail: true, wantOK: true},
			{at: 10 * s, fail: true, wantOK: true},
			{at: 20 * s, fail: true, wantOK: true},
			{at: 30 * s, fail: true, wantOK: true},
			{at: 40 * s, fail: true, wantOK: true},
		}},
		{"slightly faster than the rate blocks eventually", []step{
			{at: 0, fail: true, wantOK: true},
			{at: 5 * s, fail: true, wantOK: true},
			{at: 10 * s, fail: true, wantOK: true},
			{at: 15 * s, fail: true, wantOK: false, wantRetry: 5 * s},
		}},
		{"failures decay after the window", []step{
			{at: 0, fail: true, wantOK: true},
			{at: 0, fail: true, wantOK: true},
			{at: 0, fail: true, wantOK: false, wantRetry: 10 * s},
			{at: 30 * s, fail: true, wantOK: true},
			{at: 30 * s, fail: true, wantOK: true},
			{at: 30 * s, fail: true, wantOK: false, wantRetry: 10 * s},
		}},
		{"block never exceeds the window", []step{
			{at: 0, fail: true, noCheck: true}, {at: 0, fail: true, noCheck: true}, {at: 0, fail: true, noCheck: true},
			{at: 0, fail: true, noCheck: true}, {at: 0, fail: true, noCheck: true}, {at: 0, fail: true, noCheck: true},
			{at: 0, fail: true, noCheck: true}, {at: 0, fail: true, noCheck: true}, {at: 0, fail: true, noCheck: true},
			{at: 0, fail: true, wantOK: false, wantRetry: 30 * s},
			{at: 30 * s, wantOK: true},
		}},
		{"reset clears", []step{
			{at: 0, fail: true, noCheck: true}, {at: 0, fail: true, noCheck: true},
			{at: 0, fail: true, wantOK: false, wantRetry: 10 * s},
			{at: 1 * s, reset: true, wantOK: true},
			{at: 1 * s, fail: true, wantOK: true},
		}},
		{"clock going backwards only lengthens the wait", []step{
			{at: 10 * s, fail: true, noCheck: true}, {at: 10 * s, fail: true, noCheck: true},
			{at: 10 * s, fail: true, wantOK: false, wantRetry: 10 * s},
			{at: 5 * s, wantOK: false, wantRetry: 15 * s},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New(rules, 100)
			const key = "id:acme:alice"
			for i, st := range tt.steps {
				now := t0.Add(st.at)
				if st.reset {
					l.Reset(key)
				}
				if st.fail {
					l.Fail(now, key)
				}
				if st.noCheck {
					continue
				}
				retry, ok := l.Allow(now, key)
				if ok != st.wantOK || retry != st.wantRetry {
					t.Fatalf("step %d (%+v): Allow = %v, %v; want %v, %v", i, st, retry, ok, st.wantRetry, st.wantOK)
				}
			}
		})
	}
}

func TestKeysAndPrefixes(t *testing.T) {
	l := New(map[string]Rule{
		"id": {Limit: 2, Window: time.Minute},
		"ip": {Limit: 4, Window: time.Minute},
	}, 100)
	user, addr, other := "id:acme:alice", "ip:acme:192.0.2.1", "id:acme:bob"
	for range 2 {
		l.Fail(t0, user, addr)
	}
	tests := []struct {
		name      string
		keys      []string
		wantOK    bool
		wantRetry time.Duration
	}{
		{"blocked identifier", []string{user}, false, 30 * time.Second},
		{"address below its limit", []string{addr}, true, 0},
		{"identifier and address", []string{user, addr}, false, 30 * time.Second},
		{"other identifier", []string{other}, true, 0},
		{"other identifier, same address", []string{other, addr}, true, 0},
		{"no keys", nil, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			retry, ok := l.Allow(t0, tt.keys...)
			if ok != tt.wantOK || retry != tt.wantRetry {
				t.Fatalf("Allow = %v, %v; want %v, %v", retry, ok, tt.wantRetry, tt.wantOK)
			}
		})
	}

	// Two more failures block the address too, for longer than alice:
	// the answer is the longest wait.
	l.Fail(t0, other, addr)
	l.Fail(t0, other, addr)
	l.Fail(t0, other, addr)
	if retry, ok := l.Allow(t0, user, addr); ok || retry != 30*time.Second {
		t.Fatalf("Allow(user, addr) = %v, %v; want 30s, false", retry, ok)
	}
	// Resetting the identifier leaves the address blocked.
	l.Reset(user)
	if retry, ok := l.Allow(t0, user); !ok || retry != 0 {
		t.Fatalf("Allow(user) after Reset = %v, %v", retry, ok)
	}
	if _, ok := l.Allow(t0, addr); ok {
		t.Fatal("Reset(user) unblocked the address")
	}
	if l.Len() != 2 { // addr and other
		t.Fatalf("Len = %d, want 2", l.Len())
	}
}

// TestKeyWithoutRulePanics: a key whose prefix has no rule (a typo) fails
// loudly in every method that takes keys, rather than going unlimited.
func TestKeyWithoutRulePanics(t *testing.T) {
	l := New(map[string]Rule{"id": {Limit: 2, Window: time.Minute}}, 100)
	uses := map[string]func(key string){
		"Allow": func(key string) { l.Allow(t0, "id:acme:alice", key) },
		"Fail":  func(key string) { l.Fail(t0, "id:acme:alice", key) },
		"Take":  func(key string) { l.Take(t0, key) },
		"Reset": func(key string) { l.Reset("id:acme:alice", key) },
	}
	for name, use := range uses {
		for _, key := range []string{"zz:acme:x", "plain", "", "ID:acme:alice"} {
			t.Run(name+"/"+key, func(t *testing.T) {
				defer func() {
					if recover() == nil {
						t.Fatalf("%s(%q) did not panic", name, key)
					}
				}()
				use(key)
			})
		}
	}
	if l.Len() > 1 {
		t.Fatalf("Len = %d: keys without a rule were tracked", l.Len())
	}
}

func TestMemoryBound(t *testing.T) {
	rules := map[string]Rule{"id": {Limit: 1, Window: time.Hour}}
	for _, maxKeys := range []int{1, 3, 64, 1000} {
		t.Run(strconv.Itoa(maxKeys), func(t *testing.T) {
			l := New(rules, maxKeys)
			for i := range 20 * maxKeys {
				l.Fail(t0.Add(time.Duration(i)), fmt.Sprintf("id:t:%d", i))
				if n := l.Len(); n > maxKeys {
					t.Fatalf("after %d keys Len = %d > %d", i+1, n, maxKeys)
				}
			}
			last := fmt.Sprintf("id:t:%d", 20*maxKeys-1)
			if _, ok := l.Allow(t0, last); ok {
				t.Fatal("the newest key was evicted")
			}
		})
	}
}

func TestEvictsOldestFirst(t *testing.T) {
	l := New(map[string]Rule{"id": {Limit: 1, Window: time.Hour}}, 1) // 1 shard of 1 key
	// Find three keys in one shard.
	var same []string
	var want *shard
	for i := 0; len(same) < 3; i++ {
		k := "id:t:" + strconv.Itoa(i)
		_, s, _ := l.lookup(k)
		if want == nil {
			want = s
		}
		if s == want {
			same = append(same, k)
		}
	}
	l.Fail(t0, same[0])
	l.Fail(t0.Add(time.Second), same[1]) // evicts same[0]
	if _, ok := l.Allow(t0, same[0]); !ok {
		t.Fatal("same[0] still blocked, want evicted")
	}
	if _, ok := l.Allow(t0, same[1]); ok {
		t.Fatal("same[1] not blocked")
	}
}

func TestDecayedEntriesDropped(t *testing.T) {
	l := New(map[string]Rule{"id": {Limit: 2, Window: time.Minute}}, 1000)
	for i := range 100 {
		l.Fail(t0, fmt.Sprintf("id:t:%d", i))
	}
	// Long after they decayed, new failures make room by dropping them.
	later := t0.Add(time.Hour)
	for i := range 100 * len(l.shards) {
		l.Fail(later, fmt.Sprintf("id:u:%d", i))
		l.Reset(fmt.Sprintf("id:u:%d", i))
	}
	if n := l.Len(); n != 0 {
		t.Fatalf("Len = %d, want 0 after decay and resets", n)
	}
}

func TestNewPanicsOnBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		rules   map[string]Rule
		maxKeys int
	}{
		{"zero limit", map[string]Rule{"id": {Limit: 0, Window: time.Minute}}, 10},
		{"negative limit", map[string]Rule{"id": {Limit: -1, Window: time.Minute}}, 10},
		{"zero window", map[string]Rule{"id": {Limit: 5}}, 10},
		{"zero keys", map[string]Rule{"id": {Limit: 5, Window: time.Minute}}, 0},
		{"empty prefix", map[string]Rule{"": {Limit: 5, Window: time.Minute}}, 10},
		{"prefix with a colon", map[string]Rule{"id:x": {Limit: 5, Window: time.Minute}}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("New did not panic")
				}
			}()
			New(tt.rules, tt.maxKeys)
		})
	}
}

func TestConcurrent(t *testing.T) {
	l := New(map[string]Rule{"id": {Limit: 1000, Window: time.Hour}, "ip": {Limit: 1000, Window: time.Hour}}, 256)
	var wg sync.WaitGroup
	var blocked atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				id := fmt.Sprintf("id:t:%d", (g*500+i)%300)
				if _, ok := l.Allow(t0, id, "ip:t:x"); !ok {
					blocked.Add(1)
				}
				l.Fail(t0, id, "ip:t:x")
				if i%7 == 0 {
					l.Reset(id)
				}
			}
		})
	}
	wg.Wait()
	// 4000 failures of one address against a burst of 1000: blocked now.
	if _, ok := l.Allow(t0, "ip:t:x"); ok {
		t.Fatal("address not blocked after 4000 failures")
	}
	if blocked.Load() == 0 {
		t.Fatal("no call was ever blocked")
	}
	if n := l.Len(); n > 256 {
		t.Fatalf("Len = %d > 256", n)
	}
}

// BenchmarkAllowFail is a login storm: every goroutine checks and fails an
// identifier key and an address key, over more keys than are tracked.
func BenchmarkAllowFail(b *testing.B) {
	l := New(map[string]Rule{
		"id": {Limit: 5, Window: 15 * time.Minute},
		"ip": {Limit: 100, Window: 15 * time.Minute},
	}, 100_000)
	const nKeys = 200_000
	ids := make([]string, nKeys)
	ips := make([]string, nKeys/100)
	for i := range ids {
		ids[i] = "id:acme:user" + strconv.Itoa(i) + "@example.com"
	}
	for i := range ips {
		ips[i] = "ip:acme:10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	var seq atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		// Each goroutine walks the keys from its own offset, with its own
		// clock advancing 1ms per login.
		offset := seq.Add(1) * 7919
		var n uint64
		for pb.Next() {
			n++
			i := offset + n
			id, ip := ids[i%nKeys], ips[i%uint64(len(ips))]
			now := t0.Add(time.Duration(n) * time.Millisecond)
			if _, ok := l.Allow(now, id, ip); ok {
				l.Fail(now, id, ip)
			}
		}
	})
}
