// Package cluster lets background work run once per cluster rather than
// once per node: a job takes a named lease before it runs, and a node that
// cannot take it leaves the job to the node that holds it.
//
// Leases is the interface; Local is the implementation for one process
// (the Badger store), pgstore.Leases the one for nodes sharing PostgreSQL
// (session advisory locks, released by PostgreSQL when a node dies). A
// job that holds a lease runs under Lease.Context, which ends when the lease
// is lost, so two nodes never run it at once for longer than it takes to
// notice a broken connection.
package cluster

import (
	"context"
	"sync"
	"time"
)

// Leases hands out named leases, each held by at most one process of the
// cluster at a time.
type Leases interface {
	// TryAcquire takes the lease name if nobody holds it, and returns nil,
	// nil when someone does.
	TryAcquire(ctx context.Context, name string) (*Lease, error)
}

// Lease is a held lease. Release it when the job is done.
type Lease struct {
	ctx     context.Context
	cancel  context.CancelFunc
	once    sync.Once
	release func()
}

// NewLease returns a lease whose context ends when Release is called or
// Lost; release gives the lease back (once). For implementations.
func NewLease(release func()) *Lease {
	ctx, cancel := context.WithCancel(context.Background())
	return &Lease{ctx: ctx, cancel: cancel, release: release}
}

// Context ends when the lease is released or lost.
func (l *Lease) Context() context.Context { return l.ctx }

// Lost ends the lease's context without giving it back (it is gone
// already). For implementations.
func (l *Lease) Lost() { l.cancel() }

// Release gives the lease back and ends its context.
func (l *Lease) Release() {
	l.once.Do(func() {
		l.cancel()
		l.release()
	})
}

// Local is Leases within one process: the right one for a single node.
type Local struct {
	mu   sync.Mutex
	held map[string]bool
}

// NewLocal returns leases for one process.
func NewLocal() *Local { return &Local{held: map[string]bool{}} }

// TryAcquire implements Leases.
func (l *Local) TryAcquire(_ context.Context, name string) (*Lease, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[name] {
		return nil, nil
	}
	l.held[name] = true
	return NewLease(func() {
		l.mu.Lock()
		delete(l.held, name)
		l.mu.Unlock()
	}), nil
}

// Once runs fn under the lease name if nobody holds it, and reports whether
// it ran. fn's context ends with ctx or when the lease is lost.
func Once(ctx context.Context, leases Leases, name string, fn func(context.Context) error) (bool, error) {
	lease, err := leases.TryAcquire(ctx, name)
	if err != nil || lease == nil {
		return false, err
	}
	defer lease.Release()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(lease.Context(), cancel)
	defer stop()
	return true, fn(ctx)
}

// Every runs fn at once and then every interval until ctx ends, on one
// node of the cluster at a time: a tick whose lease another node holds is
// skipped. Errors go to failed (which may be nil).
func Every(ctx context.Context, leases Leases, name string, interval time.Duration, fn func(context.Context) error, failed func(error)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if _, err := Once(ctx, leases, name, fn); err != nil && ctx.Err() == nil && failed != nil {
			failed(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
