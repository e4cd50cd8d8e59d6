package scripts

import (
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/runtime"
)

func TestBreaker(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	b := newBreaker(func() time.Time { return now })
	k := scriptKey{"acme", 1}
	other := scriptKey{"acme", 2}

	// Four exhaustions in a row leave it closed; a success resets the run.
	for range breakerThreshold - 1 {
		if opened, _ := b.record(k, true); opened {
			t.Fatal("opened before the threshold")
		}
	}
	b.record(k, false)
	for range breakerThreshold - 1 {
		b.record(k, true)
	}
	if ok, _ := b.allow(k); !ok {
		t.Fatal("a success did not reset the run")
	}
	// The fifth in a row opens it for the minimum cooldown.
	if opened, cool := b.record(k, true); !opened || cool != breakerMinCool {
		t.Fatalf("opened %v for %v, want true for %v", opened, cool, breakerMinCool)
	}
	if ok, wait := b.allow(k); ok || wait != breakerMinCool {
		t.Fatalf("allow = %v, %v while open", ok, wait)
	}
	if ok, _ := b.allow(other); !ok {
		t.Fatal("another version was held back")
	}
	// Calls that were in flight when it opened do not lengthen it.
	if opened, _ := b.record(k, true); opened {
		t.Fatal("an in-flight failure reopened the breaker")
	}
	if ok, wait := b.allow(k); ok || wait != breakerMinCool {
		t.Fatalf("cooldown changed by an in-flight failure: %v, %v", ok, wait)
	}
	// After the cooldown one probe runs; others wait for its outcome.
	now = now.Add(breakerMinCool)
	if ok, _ := b.allow(k); !ok {
		t.Fatal("no probe after the cooldown")
	}
	if ok, _ := b.allow(k); ok {
		t.Fatal("a second call ran beside the probe")
	}
	// A failed probe reopens with a doubled cooldown, up to the maximum.
	if opened, cool := b.record(k, true); !opened || cool != 2*breakerMinCool {
		t.Fatalf("probe failure: opened %v for %v", opened, cool)
	}
	for range 10 {
		now = now.Add(breakerMaxCool)
		b.allow(k)
		b.record(k, true)
	}
	if st := b.states[k]; st.cooldown != breakerMaxCool {
		t.Fatalf("cooldown %v, want the maximum %v", st.cooldown, breakerMaxCool)
	}
	// A successful probe closes it.
	now = now.Add(breakerMaxCool)
	if ok, _ := b.allow(k); !ok {
		t.Fatal("no probe")
	}
	b.record(k, false)
	if ok, _ := b.allow(k); !ok {
		t.Fatal("still held back after a successful probe")
	}
	// Forget drops a tenant's states.
	for range breakerThreshold {
		b.record(k, true)
	}
	b.forget("acme")
	if ok, _ := b.allow(k); !ok {
		t.Fatal("forget kept the state")
	}
}

// TestBreakerCountsOnlyTheModulesFailures: running out of fuel, or out of
// time in its own work, counts; a deadline spent waiting for the server,
// other failures and success do not.
func TestBreakerCountsOnlyTheModulesFailures(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&runtime.CallError{Kind: runtime.KindOutOfFuel}, true},
		{&runtime.CallError{Kind: runtime.KindDeadline}, true},
		{&runtime.CallError{Kind: runtime.KindDeadline, Overload: true}, false},
		{&runtime.CallError{Kind: runtime.KindTrap}, false},
		{nil, false},
	} {
		if got := exhausted(tt.err); got != tt.want {
			t.Errorf("exhausted(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
