package auth

import (
	"context"
	"slices"
	"sync"
	"time"
)

// equalizer evens out the time of rejected logins, so that an unknown user
// and a wrong password take the same time. Each tenant keeps the durations of
// its recent logins that verified a password hash — local ones and legacy
// ones separately — and a rejection is padded up to the median of those.
type equalizer struct {
	mu      sync.Mutex
	tenants map[string]*timingWindow
}

type timingWindow struct {
	local, legacy ring
}

// ring holds the last len(buf) samples.
type ring struct {
	buf  [32]time.Duration
	n    int
	next int
}

func (r *ring) add(d time.Duration) {
	r.buf[r.next] = d
	r.next = (r.next + 1) % len(r.buf)
	if r.n < len(r.buf) {
		r.n++
	}
}

func (r *ring) median() time.Duration {
	if r.n == 0 {
		return 0
	}
	s := make([]time.Duration, r.n)
	copy(s, r.buf[:r.n])
	slices.Sort(s)
	return s[len(s)/2]
}

// maxPadding bounds how long a rejection is ever delayed.
const maxPadding = 2 * time.Second

func newEqualizer() *equalizer {
	return &equalizer{tenants: map[string]*timingWindow{}}
}

func (e *equalizer) window(tenant string) *timingWindow {
	w := e.tenants[tenant]
	if w == nil {
		w = &timingWindow{}
		e.tenants[tenant] = w
	}
	return w
}

// observe records the duration of a login that verified a hash.
func (e *equalizer) observe(tenant string, legacy bool, d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w := e.window(tenant)
	if legacy {
		w.legacy.add(d)
	} else {
		w.local.add(d)
	}
}

// target returns how long a rejection of the tenant should take.
func (e *equalizer) target(tenant string, legacy bool) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	w := e.window(tenant)
	t := w.local.median()
	if legacy {
		t = max(t, w.legacy.median())
	}
	return min(t, maxPadding)
}

// forget drops a tenant's samples.
func (e *equalizer) forget(tenant string) {
	e.mu.Lock()
	delete(e.tenants, tenant)
	e.mu.Unlock()
}

// pad sleeps until start+target, or until ctx ends.
func (e *equalizer) pad(ctx context.Context, tenant string, legacy bool, start time.Time) {
	wait := e.target(tenant, legacy) - time.Since(start)
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
