package runtime

import (
	"container/list"
	"context"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/wasmauth/wasmauth/host"
	"github.com/wasmauth/wasmauth/runtime/fuel"
)

// instanceOverhead is what an instance costs besides its linear memory, as
// counted against Config.PoolMemory.
const instanceOverhead = 64 << 10

// tenantPool holds one tenant's instances: those in use are counted, idle
// ones are kept (for every module version the tenant called) until reused,
// evicted or closed.
type tenantPool struct {
	name    string
	busy    int
	idle    []*instance // most recently released last
	waiters int
	wait    chan struct{} // closed when an instance is released while waiters > 0
	gone    bool          // Forget was called: close instances on release
}

// instance is one guest instance with what a call needs at hand.
type instance struct {
	mod      api.Module
	c        *compiled
	tenant   *tenantPool
	ops      map[string]api.Function
	meter    *fuel.Meter // feeds the fuel global; nil without metering
	mem      api.Memory
	binding  *host.Binding
	stack    []uint64
	memLimit *memoryLimit // bounds the linear memory; set for each call
	memSize  int64
	lastUsed time.Time
	elem     *list.Element // in Engine.lru while idle
}

// tenantLocked returns the pool of a tenant, creating it. e.mu is held.
func (e *Engine) tenantLocked(name string) *tenantPool {
	t, ok := e.tenants[name]
	if !ok {
		t = &tenantPool{name: name, wait: make(chan struct{})}
		e.tenants[name] = t
	}
	return t
}

// dropIfEmptyLocked forgets a tenant pool with nothing in it. e.mu is held.
func (e *Engine) dropIfEmptyLocked(t *tenantPool) {
	if t.busy == 0 && len(t.idle) == 0 && t.waiters == 0 && e.tenants[t.name] == t {
		delete(e.tenants, t.name)
	}
}

// acquire returns an instance of c for the tenant: an idle one, or a new one
// when fewer than lim.Instances are in use; otherwise it waits for one within
// ctx. A new instance runs _initialize with hc's logs collecting its output.
func (e *Engine) acquire(ctx context.Context, tenant string, c *compiled, lim Limits, hc *host.Call) (*instance, *Result, error) {
	e.mu.Lock()
	for {
		if e.closed {
			e.mu.Unlock()
			return nil, nil, ErrClosed
		}
		t := e.tenantLocked(tenant)
		if t.busy < lim.Instances {
			t.busy++
			for i := len(t.idle) - 1; i >= 0; i-- {
				if inst := t.idle[i]; inst.c == c {
					t.idle = append(t.idle[:i], t.idle[i+1:]...)
					e.lru.Remove(inst.elem)
					inst.elem = nil
					e.idleMem -= inst.memSize
					c.lastUsed = time.Now()
					e.counts.hits++
					e.mu.Unlock()
					return inst, nil, nil
				}
			}
			c.users++
			c.lastUsed = time.Now()
			e.counts.misses++
			e.mu.Unlock()
			inst, initRes, err := e.newInstance(ctx, t, c, lim, hc)
			if err != nil {
				e.mu.Lock()
				c.users--
				e.releaseSlotLocked(t)
				e.mu.Unlock()
			}
			return inst, initRes, err
		}
		t.waiters++
		w := t.wait
		e.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			e.mu.Lock()
			t.waiters--
			e.dropIfEmptyLocked(t)
			e.mu.Unlock()
			return nil, nil, overloadf("no free instance within the deadline (%d in use)", lim.Instances)
		}
		e.mu.Lock()
		t.waiters--
	}
}

// releaseSlotLocked gives back a tenant's slot and wakes its waiters. e.mu is held.
func (e *Engine) releaseSlotLocked(t *tenantPool) {
	t.busy--
	if t.waiters > 0 {
		close(t.wait)
		t.wait = make(chan struct{})
	}
	e.dropIfEmptyLocked(t)
}

// release returns an instance after a call: pooled when keep is set and the
// instance is healthy and small enough, else closed. Idle instances over the
// global memory budget are closed, least recently used first.
func (e *Engine) release(inst *instance, keep bool) {
	inst.memSize = int64(inst.mem.Size()) + instanceOverhead
	var toClose []*instance
	e.mu.Lock()
	t := inst.tenant
	if keep && !e.closed && !t.gone && inst.memSize-instanceOverhead <= e.cfg.RecycleMemory {
		inst.lastUsed = time.Now()
		t.idle = append(t.idle, inst)
		inst.elem = e.lru.PushFront(inst)
		e.idleMem += inst.memSize
		for e.idleMem > e.cfg.PoolMemory && e.lru.Len() > 0 {
			toClose = append(toClose, e.removeIdleLocked(e.lru.Back().Value.(*instance)))
		}
	} else {
		toClose = append(toClose, inst)
		inst.c.users--
		e.counts.discarded++
	}
	e.releaseSlotLocked(t)
	e.mu.Unlock()
	e.closeInstances(toClose)
}

// removeIdleLocked takes an idle instance out of the pools for closing. e.mu is held.
func (e *Engine) removeIdleLocked(inst *instance) *instance {
	t := inst.tenant
	for i, x := range t.idle {
		if x == inst {
			t.idle = append(t.idle[:i], t.idle[i+1:]...)
			break
		}
	}
	e.lru.Remove(inst.elem)
	inst.elem = nil
	e.idleMem -= inst.memSize
	inst.c.users--
	e.counts.evicted++
	e.dropIfEmptyLocked(t)
	return inst
}

// poolCounts are the pools' cumulative counters.
type poolCounts struct {
	hits      uint64 // calls served by an idle instance
	misses    uint64 // calls that created an instance
	evicted   uint64 // idle instances closed: idle too long, over the memory budget, tenant gone
	discarded uint64 // instances closed after a call: failed, grown too large, or not reusable
}

func (e *Engine) closeInstances(insts []*instance) {
	for _, inst := range insts {
		_ = inst.mod.Close(context.Background())
	}
}

// newInstance instantiates c (running its start section, if any) and calls
// its _initialize with the tenant's init fuel. Logs of both go to hc.
func (e *Engine) newInstance(ctx context.Context, t *tenantPool, c *compiled, lim Limits, hc *host.Call) (*instance, *Result, error) {
	if int64(c.minPages)*wasmPage > lim.Memory {
		return nil, nil, callErrorf(KindLimit, "the module starts with %d MiB of memory, above the limit of %d MiB",
			int64(c.minPages)*wasmPage>>20, lim.Memory>>20)
	}
	initCall := host.NewCall(nil, nil, hostLimits(lim))
	admitted, err := e.admitted(ctx, t.name, initCall, false)
	if err != nil {
		return nil, nil, overloadf("no execution slot for a new instance within the deadline (the server runs other calls)")
	}
	defer admitted.Release()
	inst := &instance{c: c, tenant: t, binding: &host.Binding{}, stack: make([]uint64, 1), memLimit: &memoryLimit{}}
	inst.memLimit.bytes.Store(lim.Memory)
	ictx := host.WithCall(ctx, initCall)
	var meter *fuel.Meter
	if c.metered {
		// The start function's fuel: the global holds a slice of it.
		meter = fuel.StartMeter(e.fuelOptions())
		ictx = fuel.WithMeter(ictx, meter)
	}
	unbind := inst.binding.Bind(ctx, initCall)
	defer func() {
		unbind()
		lines, dropped := initCall.Logs()
		hc.AppendLogs(lines, dropped)
	}()
	mod, err := e.rt.InstantiateModule(experimental.WithMemoryAllocator(ictx, inst.memLimit.allocator()), c.cm, inst.binding.ModuleConfig())
	if err != nil {
		// The start function trapped (running out of the initialisation
		// fuel looks the same: the fuel global is gone with the module) or
		// exited, or the context ended.
		return nil, nil, e.translate(ctx, err, 0, "instantiating the module (its start function may have run out of fuel)")
	}
	inst.mod = mod
	inst.mem = mod.ExportedMemory(exportMemory)
	inst.ops = map[string]api.Function{}
	for _, op := range c.info.Exports {
		inst.ops[op] = mod.ExportedFunction(op)
	}
	if c.metered {
		if err := meter.Bind(mod); err != nil {
			_ = mod.Close(context.Background())
			return nil, nil, fmt.Errorf("runtime: metered module: %w", err)
		}
		inst.meter = meter
	}
	res := &Result{}
	if c.hasInit {
		start := time.Now()
		used, err := inst.run(ictx, mod.ExportedFunction(exportInit), lim.InitFuel)
		res.InitFuelUsed = used
		res.InitDuration = time.Since(start)
		if err != nil {
			_ = mod.Close(context.Background())
			return nil, res, e.translate(ctx, err, inst.remaining(), "_initialize")
		}
	}
	return inst, res, nil
}

// run calls fn with budget fuel and returns the fuel used.
//
// The instance's fuel.Meter feeds the guest its budget a fuel.Slice at a
// time, so that the guest calls the host (where Go can stop it for a
// garbage collection) at least once a slice, and stops it there once ctx
// has ended. Fuel bounds the instructions a call executes, but not their
// speed: code whose loads miss the CPU cache runs a slice for tens of
// milliseconds. So when ctx ends while wasm code runs, a watchdog also
// drains the fuel global, and the guest stops at its next charge point (a
// loop header or function entry); the error then says the call ran out of
// time. The watchdog drains the global again every few milliseconds,
// because a guest between reading and writing the counter can overwrite
// one drain.
func (inst *instance) run(ctx context.Context, fn api.Function, budget int64) (int64, error) {
	if inst.meter == nil {
		return 0, fn.CallWithStack(ctx, inst.stack)
	}
	if err := inst.meter.Start(budget); err != nil {
		return 0, err
	}
	finished := make(chan struct{})
	watchdog := make(chan bool, 1)
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			inst.meter.Stop()
			select {
			case <-finished:
				watchdog <- true
				return
			case <-t.C:
			}
		}
	})
	err := fn.CallWithStack(fuel.WithMeter(ctx, inst.meter), inst.stack)
	close(finished)
	if !stop() {
		// The watchdog ran: wait until it no longer writes the global.
		<-watchdog
	}
	if err != nil && inst.meter.Stopped() {
		return budget, &drainedError{err}
	}
	left := inst.meter.Remaining()
	return max(0, min(budget-left, budget)), err
}

// drainedError is the failure of a guest stopped at the deadline, by the
// watchdog or by the meter.
type drainedError struct{ err error }

func (e *drainedError) Error() string { return "stopped at the deadline: " + e.err.Error() }
func (e *drainedError) Unwrap() error { return e.err }

// remaining returns the fuel left after a call, or 0 without metering.
func (inst *instance) remaining() int64 {
	if inst.meter == nil {
		return 0
	}
	return inst.meter.Remaining()
}

// Evict closes the idle instances of a tenant; calls in progress finish and
// their instances are pooled again. Use it when a tenant's active version
// changes and the old instances will not be called again.
func (e *Engine) Evict(tenant string) {
	e.mu.Lock()
	var toClose []*instance
	if t, ok := e.tenants[tenant]; ok {
		for len(t.idle) > 0 {
			toClose = append(toClose, e.removeIdleLocked(t.idle[len(t.idle)-1]))
		}
	}
	e.mu.Unlock()
	e.closeInstances(toClose)
}

// EvictModule closes the tenant's idle instances of the module with the given
// SHA-256; calls in progress finish and their instances are pooled again. Use
// it when a version of the tenant's module is deleted. The compiled module
// stays until the idle sweep finds it unused: other tenants may share it.
func (e *Engine) EvictModule(tenant, sha string) {
	e.mu.Lock()
	var toClose []*instance
	if t, ok := e.tenants[tenant]; ok {
		for i := len(t.idle) - 1; i >= 0; i-- {
			if inst := t.idle[i]; inst.c.info.SHA256 == sha {
				toClose = append(toClose, e.removeIdleLocked(inst))
			}
		}
	}
	e.mu.Unlock()
	e.closeInstances(toClose)
}

// Forget closes a tenant's idle instances and marks its instances in use to
// be closed when their calls end; use it when the tenant is deleted.
func (e *Engine) Forget(tenant string) {
	e.mu.Lock()
	if t, ok := e.tenants[tenant]; ok {
		t.gone = true
		delete(e.tenants, tenant)
		var toClose []*instance
		for len(t.idle) > 0 {
			toClose = append(toClose, e.removeIdleLocked(t.idle[len(t.idle)-1]))
		}
		e.mu.Unlock()
		e.closeInstances(toClose)
		return
	}
	e.mu.Unlock()
}

// sweepLoop closes idle instances and unused compiled modules past the idle timeout.
func (e *Engine) sweepLoop() {
	defer e.sweeping.Done()
	every := min(e.cfg.IdleTimeout/2, 30*time.Second)
	tick := time.NewTicker(max(every, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-e.stop:
			return
		case now := <-tick.C:
			e.sweep(now)
		}
	}
}

// sweep closes what has been idle since before now minus the idle timeout.
func (e *Engine) sweep(now time.Time) {
	cutoff := now.Add(-e.cfg.IdleTimeout)
	var toClose []*instance
	var modules []*compiled
	e.mu.Lock()
	for el := e.lru.Back(); el != nil; {
		inst := el.Value.(*instance)
		if inst.lastUsed.After(cutoff) {
			break
		}
		el = el.Prev()
		toClose = append(toClose, e.removeIdleLocked(inst))
	}
	for sha, c := range e.modules {
		if c.users == 0 && c.lastUsed.Before(cutoff) {
			delete(e.modules, sha)
			modules = append(modules, c)
		}
	}
	e.mu.Unlock()
	e.closeInstances(toClose)
	for _, c := range modules {
		_ = c.cm.Close(context.Background())
	}
	if n := len(toClose) + len(modules); n > 0 {
		e.cfg.Logger.Debug("runtime: closed idle instances and modules", "instances", len(toClose), "modules", len(modules))
	}
}

// Stats is a snapshot of the engine's pools.
type Stats struct {
	Modules      int   // compiled modules kept
	Tenants      int   // tenants with instances
	Busy         int   // instances in use
	Idle         int   // pooled idle instances
	IdleMemory   int64 // bytes counted for idle instances
	MemoryBudget int64 // Config.PoolMemory
	WaitingCalls int   // calls waiting for a free instance
	Running      int   // calls executing guest code (Config.MaxRunning)
	WaitingToRun int   // calls holding an instance, waiting for an execution slot

	// Cumulative since the engine started.
	Hits      uint64 // calls served by a pooled instance
	Misses    uint64 // calls that created a new instance
	Evicted   uint64 // idle instances closed (idle timeout, memory budget, tenant gone)
	Discarded uint64 // instances thrown away after a call (failure, memory growth)
}

// Stats returns a snapshot of the engine's pools, for metrics.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Stats{
		Modules: len(e.modules), Tenants: len(e.tenants), Idle: e.lru.Len(), IdleMemory: e.idleMem, MemoryBudget: e.cfg.PoolMemory,
		Hits: e.counts.hits, Misses: e.counts.misses, Evicted: e.counts.evicted, Discarded: e.counts.discarded,
	}
	for _, t := range e.tenants {
		s.Busy += t.busy
		s.WaitingCalls += t.waiters
	}
	s.Running, s.WaitingToRun = e.admit.stats()
	return s
}
