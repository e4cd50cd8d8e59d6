package auth

import (
	"testing"
	"time"
)

// TestEqualizerFlushesBehind: the first sample after a flush schedules one
// write per burst, timingFlushDelay later, of every tenant observed; close
// cancels what is scheduled and writes at once.
func TestEqualizerFlushesBehind(t *testing.T) {
	store := newTimingStore()
	r := newRig(store)
	for range 10 {
		r.login("acme", false, 20*time.Millisecond)
		r.login("beta", true, 40*time.Millisecond)
	}
	if len(r.flushes) != 1 || r.flushes[0].after != timingFlushDelay || store.puts != 0 {
		t.Fatalf("after a burst: %d flushes scheduled (%v), %d writes; want one, %v later, and none",
			len(r.flushes), r.flushes, store.puts, timingFlushDelay)
	}
	r.now = r.now.Add(timingFlushDelay)
	r.flushes[0].run()
	if store.puts != 2 || len(store.m["acme"].Local) == 0 || len(store.m["beta"].Legacy) == 0 {
		t.Fatalf("the flush wrote %d times: %+v", store.puts, store.m)
	}
	r.flushes[0].run() // nothing new: no write
	if store.puts != 2 {
		t.Fatalf("an idle flush wrote: %d writes", store.puts)
	}
	r.login("acme", false, 20*time.Millisecond)
	if len(r.flushes) != 2 {
		t.Fatalf("a sample after the flush scheduled %d flushes in all, want 2", len(r.flushes))
	}
	r.close()
	if !r.flushes[1].canceled || store.puts != 3 {
		t.Fatalf("close: scheduled flush canceled %v, %d writes; want true and 3", r.flushes[1].canceled, store.puts)
	}
	r.login("acme", false, 20*time.Millisecond)
	if len(r.flushes) != 2 {
		t.Fatal("a sample after close scheduled a flush")
	}
}

// TestEqualizerForget: a deleted tenant's samples are dropped, and a flush
// writes nothing for it.
func TestEqualizerForget(t *testing.T) {
	store := newTimingStore()
	r := newRig(store)
	for range 5 {
		r.login("gone", true, 50*time.Millisecond)
	}
	r.forget("gone")
	r.flushes[0].run()
	if store.puts != 0 {
		t.Fatalf("%d writes for a forgotten tenant", store.puts)
	}
	if got := r.reject("gone", true, time.Millisecond); !within(got, testCeiling) {
		t.Fatalf("a forgotten tenant's legacy rejection: %v, want the ceiling %v", got, testCeiling)
	}
}
