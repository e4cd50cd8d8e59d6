package runtime

import (
	"context"
	"sync"
)

// admission bounds the guest calls executing at once, engine-wide and per
// tenant. Compiled wasm code cannot be preempted by the Go scheduler: a
// guest spinning until its fuel runs out keeps its thread's P for the whole
// call, so with as many spinning calls as GOMAXPROCS no other goroutine of
// the process runs — not the HTTP server, not the hashing of another
// tenant's login — for seconds. Admission keeps the executing calls at most
// Config.MaxRunning (GOMAXPROCS by default) and one tenant's at most
// Config.MaxRunningPerTenant (half of that by default), so one tenant never
// takes every P; waiting calls are admitted first come, first served among
// those whose tenant is under its share.
type admission struct {
	mu        sync.Mutex
	total     int // slots; 0 disables admission
	perTenant int
	running   int
	byTenant  map[string]int
	waiting   []*admissionWaiter // in arrival order
}

type admissionWaiter struct {
	tenant  string
	ready   chan struct{} // closed when granted
	granted bool
}

func newAdmission(total, perTenant int) *admission {
	return &admission{total: total, perTenant: perTenant, byTenant: map[string]int{}}
}

// acquire waits for a slot for tenant within ctx and returns its release.
func (a *admission) acquire(ctx context.Context, tenant string) (release func(), err error) {
	if a.total <= 0 {
		return func() {}, nil
	}
	a.mu.Lock()
	if a.running < a.total && a.byTenant[tenant] < a.perTenant {
		a.grantLocked(tenant)
		a.mu.Unlock()
		return a.releaser(tenant), nil
	}
	w := &admissionWaiter{tenant: tenant, ready: make(chan struct{})}
	a.waiting = append(a.waiting, w)
	a.mu.Unlock()
	select {
	case <-w.ready:
		return a.releaser(tenant), nil
	case <-ctx.Done():
		a.mu.Lock()
		if w.granted {
			a.mu.Unlock()
			a.releaser(tenant)()
			return nil, ctx.Err()
		}
		for i, x := range a.waiting {
			if x == w {
				a.waiting = append(a.waiting[:i], a.waiting[i+1:]...)
				break
			}
		}
		a.mu.Unlock()
		return nil, ctx.Err()
	}
}

func (a *admission) grantLocked(tenant string) {
	a.running++
	a.byTenant[tenant]++
}

// releaser returns the release of one slot of tenant; calling it twice is a
// no-op.
func (a *admission) releaser(tenant string) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			defer a.mu.Unlock()
			a.running--
			if a.byTenant[tenant]--; a.byTenant[tenant] <= 0 {
				delete(a.byTenant, tenant)
			}
			// Admit the earliest waiters whose tenant is under its share.
			for i := 0; i < len(a.waiting) && a.running < a.total; {
				w := a.waiting[i]
				if a.byTenant[w.tenant] >= a.perTenant {
					i++
					continue
				}
				a.waiting = append(a.waiting[:i], a.waiting[i+1:]...)
				a.grantLocked(w.tenant)
				w.granted = true
				close(w.ready)
			}
		})
	}
}

// stats returns the calls executing and waiting.
func (a *admission) stats() (running, waiting int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.running, len(a.waiting)
}
