package password

import (
	"runtime"
	"sync"
	"time"
)

// turns shares the processors between running hashes a segment at a time
// (argon2x calls back between the segments of a hash, a few hundred
// microseconds to a millisecond apart at the default parameters). A hash
// computes only while it holds one of n turns, n = GOMAXPROCS; between
// segments it gives its turn up to a waiting hash of a tenant that has used
// the processors less recently than its own (usage, decayed), and keeps it
// otherwise — hashes of one tenant run first come, first served, without
// handing over. So a hash of a tenant that does not keep the processors busy
// waits for at most one segment of a storming tenant's, not for the storming
// tenant's hashes to finish, and then runs at full speed rather than sharing
// the processors with all the hash slots. A hash that keeps its turn calls
// runtime.Gosched, so that the goroutines it would otherwise hold back until
// Go preempts it (after 10 ms) — the HTTP handling, store and signing of
// other logins — run between its segments.
type turns struct {
	now func() time.Time

	mu      sync.Mutex
	free    int
	used    usages
	waiting []*turn // in order of arrival, but a hash that gave its turn up first
}

// turn is one hash's claim on a processor.
type turn struct {
	ts     *turns
	tenant string
	since  time.Time     // when it last got or kept the turn
	ready  chan struct{} // while waiting: closed when given the turn
	// waited adds up how long the hash has waited for its turn, from
	// asking (or giving it up) until it was handed the turn again, and in
	// runtime.Gosched at the boundaries where it kept it: the time that is
	// not its own computing. Only the hash's goroutine touches it.
	waited time.Duration
}

func newTurns(n int) *turns {
	return &turns{now: time.Now, free: n}
}

// take waits for a turn for a hash of tenant.
func (ts *turns) take(tenant string) *turn {
	t := &turn{ts: ts, tenant: tenant}
	ts.mu.Lock()
	if ts.free > 0 && len(ts.waiting) == 0 {
		ts.free--
		t.since = ts.now()
		ts.mu.Unlock()
		return t
	}
	asked := ts.now()
	t.ready = make(chan struct{})
	ts.waiting = append(ts.waiting, t)
	ts.mu.Unlock()
	<-t.ready
	t.waited += t.since.Sub(asked)
	return t
}

// yield is called between the segments of t's hash: it counts the time
// since t got its turn and gives the turn to the waiter served next, if
// that is of a tenant that has used less than t's; else t goes on.
func (t *turn) yield() {
	ts := t.ts
	ts.mu.Lock()
	now := ts.now()
	ts.used.add(t.tenant, now.Sub(t.since), now)
	if i := ts.next(now); i >= 0 && ts.used.value(ts.waiting[i].tenant, now) < ts.used.value(t.tenant, now) {
		ts.handTo(i, now)
		// A started hash goes before its tenant's hashes not started: its
		// memory is in use already.
		t.ready = make(chan struct{})
		ts.waiting = append([]*turn{t}, ts.waiting...)
		ts.mu.Unlock()
		<-t.ready
		t.waited += t.since.Sub(now)
		return
	}
	t.since = now
	ts.mu.Unlock()
	runtime.Gosched()
	// The goroutines let run meanwhile (under a storm, every login's
	// handling) are not the hash's computing either.
	t.waited += ts.now().Sub(now)
}

// done gives t's turn back when its hash has finished.
func (t *turn) done() {
	ts := t.ts
	ts.mu.Lock()
	defer ts.mu.Unlock()
	now := ts.now()
	ts.used.add(t.tenant, now.Sub(t.since), now)
	if i := ts.next(now); i >= 0 {
		ts.handTo(i, now)
		return
	}
	ts.free++
}

// next returns the index of the waiter served next — the first to arrive
// of the tenant with the least usage — or -1 when none waits.
func (ts *turns) next(now time.Time) int {
	best, least := -1, 0.0
	for i, w := range ts.waiting {
		if u := ts.used.value(w.tenant, now); best < 0 || u < least {
			best, least = i, u
		}
	}
	return best
}

// handTo gives the turn to the i-th waiter.
func (ts *turns) handTo(i int, now time.Time) {
	w := ts.waiting[i]
	ts.waiting = append(ts.waiting[:i], ts.waiting[i+1:]...)
	w.since = now
	close(w.ready)
}
