package scripts

import (
	"sync"
	"time"

	"github.com/wasmauth/wasmauth/runtime"
)

// breaker holds back the calls of a module version that keeps exhausting
// its fuel or time. Such a module fails anyway, and while it spins it takes
// CPU from every other tenant (compiled wasm cannot be preempted); after a
// run of such failures the breaker opens and calls fail at once, for a
// cooldown that doubles while the failures go on. Then one call goes through:
// its success closes the breaker, another exhaustion reopens it. Any success
// resets the run.
type breaker struct {
	mu     sync.Mutex
	states map[scriptKey]*breakerState
	now    func() time.Time
}

type breakerState struct {
	failures  int           // exhaustions in a row
	openUntil time.Time     // zero when closed
	cooldown  time.Duration // of the last opening
	probing   bool          // the one call after a cooldown is running
}

const (
	// breakerThreshold is the run of exhaustions that opens the breaker.
	breakerThreshold = 5
	breakerMinCool   = time.Second
	breakerMaxCool   = 30 * time.Second
)

// exhausted reports whether a call's failure is the module's own
// exhaustion of its fuel or time, which the breaker counts: a deadline spent
// waiting for the server (an execution slot, an instance, a legacy hash
// slot) is not the module's doing.
func exhausted(err error) bool {
	switch runtime.ErrorKind(err) {
	case runtime.KindOutOfFuel:
		return true
	case runtime.KindDeadline:
		return !runtime.IsOverload(err)
	}
	return false
}

func newBreaker(now func() time.Time) *breaker {
	return &breaker{states: map[scriptKey]*breakerState{}, now: now}
}

// allow reports whether a call may run, and for how long it is held back
// if not.
func (b *breaker) allow(k scriptKey) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.states[k]
	if st == nil || st.openUntil.IsZero() {
		return true, 0
	}
	if wait := st.openUntil.Sub(b.now()); wait > 0 {
		return false, wait
	}
	if st.probing {
		return false, breakerMinCool
	}
	st.probing = true
	return true, 0
}

// record notes the outcome of a call that ran: exhausted is true when it ran
// out of fuel or time.
func (b *breaker) record(k scriptKey, exhausted bool) (opened bool, cooldown time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.states[k]
	if !exhausted {
		delete(b.states, k)
		return false, 0
	}
	if st == nil {
		st = &breakerState{}
		b.states[k] = st
	}
	st.failures++
	probe := st.probing
	st.probing = false
	if !probe && b.now().Before(st.openUntil) {
		// A call that started before the breaker opened: already counted
		// in the opening, it does not lengthen the cooldown.
		return false, 0
	}
	if st.failures < breakerThreshold && !probe {
		return false, 0
	}
	st.cooldown = min(max(2*st.cooldown, breakerMinCool), breakerMaxCool)
	st.openUntil = b.now().Add(st.cooldown)
	return true, st.cooldown
}

// forget drops a tenant's states.
func (b *breaker) forget(tenant string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.states {
		if k.tenant == tenant {
			delete(b.states, k)
		}
	}
}

// forgetKey drops the state of one version.
func (b *breaker) forgetKey(k scriptKey) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.states, k)
}
