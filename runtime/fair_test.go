package runtime_test

import (
	goruntime "runtime"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/runtime"
)

// TestSleepingCallLendsItsSlot: a guest asleep in poll_oneoff holds no
// execution slot, so another tenant's call runs meanwhile; the sleeper's
// own deadline is its fault, not an overload.
func TestSleepingCallLendsItsSlot(t *testing.T) {
	f := newFixture(t, runtime.Config{MaxRunning: 1, MaxRunningPerTenant: 1})
	done := make(chan error, 1)
	go func() {
		_, err := f.call("sleeper", "k", runtime.Limits{Timeout: 2 * time.Second}, nil)
		done <- err
	}()
	for f.e.Stats().Busy == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := f.call("other", "n", runtime.Limits{Timeout: time.Second}, nil); err != nil {
		t.Fatalf("a call beside a sleeping one: %v", err)
	}
	err := <-done
	if runtime.ErrorKind(err) != runtime.KindDeadline || runtime.IsOverload(err) {
		t.Fatalf("sleeper: %v (overload %v), want its own deadline", err, runtime.IsOverload(err))
	}
}

// TestOverloadIsNotTheModulesFault: a call that runs out of time waiting
// for an execution slot is a deadline marked as overload; the call that
// held the slot and ran out of time itself is not.
func TestOverloadIsNotTheModulesFault(t *testing.T) {
	max := runtime.DefaultMaxLimits()
	max.Fuel = 1 << 40
	f := newFixture(t, runtime.Config{Max: max, MaxRunning: 1, MaxRunningPerTenant: 1})
	done := make(chan error, 1)
	go func() {
		_, err := f.call("spinner", "l", runtime.Limits{Fuel: 1 << 40, Timeout: 1500 * time.Millisecond}, nil)
		done <- err
	}()
	for f.e.Stats().Running == 0 {
		time.Sleep(time.Millisecond)
	}
	_, err := f.call("victim", "n", runtime.Limits{Timeout: 200 * time.Millisecond}, nil)
	if runtime.ErrorKind(err) != runtime.KindDeadline || !runtime.IsOverload(err) {
		t.Fatalf("victim: %v (overload %v), want a deadline marked as overload", err, runtime.IsOverload(err))
	}
	err = <-done
	if runtime.ErrorKind(err) != runtime.KindDeadline || runtime.IsOverload(err) {
		t.Fatalf("spinner: %v (overload %v), want its own deadline", err, runtime.IsOverload(err))
	}
}

// TestSpinnerDoesNotStallGC: Go cannot preempt a goroutine running compiled
// wasm, so a garbage collection's stop-the-world waits for every guest to
// call the host. A guest spinning on a huge budget does so once a fuel
// slice, when it refuels, so collections complete while it spins (before
// slicing, the first one waited for the budget's end, minutes away), and it
// still ends at its own deadline.
func TestSpinnerDoesNotStallGC(t *testing.T) {
	max := runtime.DefaultMaxLimits()
	max.Fuel = 1 << 40
	f := newFixture(t, runtime.Config{Max: max})
	done := make(chan error, 1)
	go func() {
		_, err := f.call("spinner", "l", runtime.Limits{Fuel: 1 << 40, Timeout: time.Second}, nil)
		done <- err
	}()
	for f.e.Stats().Running == 0 {
		time.Sleep(time.Millisecond)
	}
	for i := range 5 {
		goruntime.GC()
		select {
		case err := <-done:
			t.Fatalf("the spinner ended (%v) before garbage collection %d completed", err, i+1)
		default:
		}
	}
	err := <-done
	if runtime.ErrorKind(err) != runtime.KindDeadline || runtime.IsOverload(err) {
		t.Fatalf("spinner: %v (overload %v), want its own deadline", err, runtime.IsOverload(err))
	}
}
