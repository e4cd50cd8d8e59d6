package runtime

import (
	"context"
	"time"

	"github.com/wasmauth/wasmauth/internal/fairshare"
)

// admission bounds the guest calls executing at once, engine-wide and per
// tenant. Compiled wasm code cannot be preempted by the Go scheduler: a
// guest spinning until its fuel runs out keeps its thread's P for the whole
// call, so with as many spinning calls as GOMAXPROCS no other goroutine of
// the process runs — not the HTTP server, not the hashing of another
// tenant's login — for seconds. Admission keeps the executing calls at most
// Config.MaxRunning (GOMAXPROCS by default) and one tenant's at most
// Config.MaxRunningPerTenant (half of that by default), so one tenant never
// takes every P. A guest waiting in a host call (its database, a password
// hash, a sleep) gives its slot back meanwhile (host.Call.SetYield).
//
// Waiting calls queue first come, first served per tenant; across tenants
// the tenant that has executed least recently goes first (fairshare), so a
// light tenant's call waits for the next slot to free, however many busy
// tenants have calls queued.
type admission struct {
	pool  *fairshare.Pool
	total int // slots; 0 is no bound
}

func newAdmission(total, perTenant int) *admission {
	return &admission{pool: fairshare.New(fairshare.Config{Slots: total, PerTenant: perTenant}), total: total}
}

// acquire waits for a slot for tenant within ctx and returns its release,
// which may be called more than once.
func (a *admission) acquire(ctx context.Context, tenant string) (release func(), err error) {
	return a.pool.Acquire(ctx, tenant, 0)
}

// slot is a call's execution slot. The guest's goroutine gives it back
// with Release while the guest waits in a host call and takes it back with
// Reacquire before the guest resumes; Call releases it for good at the end.
type slot struct {
	a       *admission
	tenant  string
	release func() // nil while the slot is not held
}

// take waits for a slot for tenant within ctx.
func (a *admission) take(ctx context.Context, tenant string) (*slot, error) {
	s := &slot{a: a, tenant: tenant}
	if err := s.Reacquire(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Release gives the slot back. Releasing a slot not held does nothing.
func (s *slot) Release() {
	if s.release != nil {
		s.release()
		s.release = nil
	}
}

// Reacquire waits for the slot within ctx, after Release. When ctx ends
// first it returns ctx's error, and the slot stays released.
func (s *slot) Reacquire(ctx context.Context) error {
	r, err := s.a.acquire(ctx, s.tenant)
	if err != nil {
		return err
	}
	s.release = r
	return nil
}

// backgroundPoll is how often a background call looks for a free slot.
const backgroundPoll = 5 * time.Millisecond

// idle waits within ctx until no call waits for a slot and one is free, so
// that background work starts only when it delays nobody. Its guest then
// queues as any call does, but a request arriving meanwhile waits at most
// for that one call.
func (a *admission) idle(ctx context.Context) error {
	t := time.NewTicker(backgroundPoll)
	defer t.Stop()
	for {
		held, waiting := a.pool.Stats()
		if waiting == 0 && (a.total <= 0 || held < a.total) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// stats returns the calls executing and waiting.
func (a *admission) stats() (running, waiting int) {
	return a.pool.Stats()
}
