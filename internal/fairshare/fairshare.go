// Package fairshare shares a bounded resource — execution slots, hashing
// slots and their memory — between tenants, so that no number of busy
// tenants can keep a light one waiting for long.
//
// A Pool has slots and, optionally, a memory budget; each tenant may hold a
// bounded part of both. Waiting requests queue first-in first-out per
// tenant. When capacity frees, the head of the queue of the tenant that has
// used the pool least recently — the least hold time, decayed with a
// half-life — goes first. A tenant whose calls keep the pool busy thus
// accumulates usage and yields to one that rarely uses it: a light
// tenant's request waits for the next slot to free, not for every busy
// tenant's queue ahead of it.
package fairshare

import (
	"context"
	"math"
	"sync"
	"time"
)

// Config configures a Pool.
type Config struct {
	Slots           int   // held at once; 0 or less means no bound (Acquire never waits)
	PerTenant       int   // slots one tenant may hold; default half of Slots, at least 1
	Memory          int64 // bytes held at once; 0 means no memory bound
	PerTenantMemory int64 // bytes one tenant may hold; default half of Memory
	// HalfLife of a tenant's usage; default 10 s.
	HalfLife time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Pool is a fair, bounded resource. It is safe for concurrent use.
type Pool struct {
	cfg Config

	mu       sync.Mutex
	held     int
	memHeld  int64
	tenants  map[string]*tenant
	waiting  int
	arrivals uint64 // orders waiters across tenants, for ties
}

type tenant struct {
	held    int
	memHeld int64
	usage   float64 // decayed hold time, in seconds, as of stamp
	stamp   time.Time
	queue   []*waiter
}

type waiter struct {
	memory  int64
	seq     uint64
	ready   chan struct{} // closed when granted
	granted bool
}

// New returns a Pool for cfg.
func New(cfg Config) *Pool {
	if cfg.PerTenant <= 0 {
		cfg.PerTenant = max(1, cfg.Slots/2)
	}
	if cfg.Memory > 0 && cfg.PerTenantMemory <= 0 {
		cfg.PerTenantMemory = cfg.Memory / 2
	}
	if cfg.HalfLife <= 0 {
		cfg.HalfLife = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Pool{cfg: cfg, tenants: map[string]*tenant{}}
}

// Fits reports whether a request of memory bytes can ever be granted: it is
// within the pool's and one tenant's memory bounds.
func (p *Pool) Fits(memory int64) bool {
	return p.cfg.Memory <= 0 || memory <= min(p.cfg.Memory, p.cfg.PerTenantMemory)
}

// Acquire waits, within ctx, for a slot and memory bytes for tenant, and
// returns their release, which may be called more than once. It returns
// ctx's error when ctx ends first; a request that can never fit (see Fits)
// waits for that.
func (p *Pool) Acquire(ctx context.Context, tenantID string, memory int64) (release func(), err error) {
	if p.cfg.Slots <= 0 {
		return func() {}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	t := p.tenantLocked(tenantID)
	p.arrivals++
	w := &waiter{memory: memory, seq: p.arrivals, ready: make(chan struct{})}
	t.queue = append(t.queue, w)
	p.waiting++
	p.grantLocked()
	p.mu.Unlock()
	select {
	case <-w.ready:
		return p.releaser(tenantID, memory), nil
	case <-ctx.Done():
		p.mu.Lock()
		if w.granted {
			p.mu.Unlock()
			p.releaser(tenantID, memory)()
			return nil, ctx.Err()
		}
		for i, x := range t.queue {
			if x == w {
				t.queue = append(t.queue[:i], t.queue[i+1:]...)
				break
			}
		}
		p.waiting--
		p.dropIdleLocked(tenantID, t)
		// The waiter may have blocked the tenant's queue behind it.
		p.grantLocked()
		p.mu.Unlock()
		return nil, ctx.Err()
	}
}

func (p *Pool) tenantLocked(id string) *tenant {
	t := p.tenants[id]
	if t == nil {
		t = &tenant{stamp: p.cfg.Now()}
		p.tenants[id] = t
	}
	return t
}

// usageLocked returns t's usage decayed to now.
func (p *Pool) usageLocked(t *tenant, now time.Time) float64 {
	dt := now.Sub(t.stamp)
	if dt <= 0 {
		return t.usage
	}
	return t.usage * math.Exp2(-dt.Seconds()/p.cfg.HalfLife.Seconds())
}

// grantLocked admits waiters while capacity allows: each time the head of
// the queue of the eligible tenant with the least usage (the earliest
// arrival on a tie). A tenant at its own bounds is not eligible; when the
// chosen head waits for memory that others hold, granting stops there, so
// that a large request is not starved by smaller ones behind it.
func (p *Pool) grantLocked() {
	now := p.cfg.Now()
	for p.held < p.cfg.Slots && p.waiting > 0 {
		var best *tenant
		var bestUsage float64
		for id, t := range p.tenants {
			if len(t.queue) == 0 {
				p.dropIdleLocked(id, t)
				continue
			}
			if t.held >= p.cfg.PerTenant {
				continue
			}
			if p.cfg.Memory > 0 && t.memHeld+t.queue[0].memory > p.cfg.PerTenantMemory {
				continue
			}
			u := p.usageLocked(t, now)
			if best == nil || u < bestUsage || u == bestUsage && t.queue[0].seq < best.queue[0].seq {
				best, bestUsage = t, u
			}
		}
		if best == nil {
			return
		}
		w := best.queue[0]
		if p.cfg.Memory > 0 && p.memHeld+w.memory > p.cfg.Memory {
			return
		}
		best.queue = best.queue[1:]
		p.waiting--
		best.held++
		best.memHeld += w.memory
		p.held++
		p.memHeld += w.memory
		w.granted = true
		close(w.ready)
	}
}

// releaser returns the release of one grant to tenantID; it charges the
// tenant the time it held it.
func (p *Pool) releaser(tenantID string, memory int64) func() {
	start := p.cfg.Now()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			now := p.cfg.Now()
			t := p.tenants[tenantID]
			t.usage = p.usageLocked(t, now) + now.Sub(start).Seconds()
			t.stamp = now
			t.held--
			t.memHeld -= memory
			p.held--
			p.memHeld -= memory
			p.dropIdleLocked(tenantID, t)
			p.grantLocked()
		})
	}
}

// dropIdleLocked forgets a tenant that holds and waits for nothing and
// whose usage has decayed to almost nothing, so that the pool's map does
// not grow with every tenant ever seen.
func (p *Pool) dropIdleLocked(id string, t *tenant) {
	if t.held == 0 && len(t.queue) == 0 && p.usageLocked(t, p.cfg.Now()) < 1e-3 {
		delete(p.tenants, id)
	}
}

// Stats returns the grants held and the requests waiting.
func (p *Pool) Stats() (held, waiting int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held, p.waiting
}
