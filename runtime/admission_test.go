package runtime

import (
	"context"
	"testing"
	"time"
)

func TestAdmission(t *testing.T) {
	ctx := context.Background()
	a := newAdmission(2, 1)
	relA, err := a.acquire(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	// A second call of a waits although a slot is free: a is at its share.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	if _, err := a.acquire(short, "a"); err == nil {
		t.Fatal("tenant a got a second slot beyond its share")
	}
	cancel()
	// b gets the free slot at once.
	relB, err := a.acquire(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	// Both slots taken: c waits, then gets a's slot when a releases it,
	// ahead of a later call of a.
	got := make(chan string, 2)
	go func() {
		r, err := a.acquire(ctx, "c")
		if err == nil {
			r() // release first, so the counts below see it
			got <- "c"
		}
	}()
	for running, waiting := a.stats(); waiting != 1; running, waiting = a.stats() {
		_ = running
		time.Sleep(time.Millisecond)
	}
	relA()
	relA() // twice is a no-op
	if who := <-got; who != "c" {
		t.Fatalf("%s was admitted", who)
	}
	relB()
	if running, waiting := a.stats(); running != 0 || waiting != 0 {
		t.Fatalf("running %d, waiting %d after every release", running, waiting)
	}
	// Disabled admission never waits.
	off := newAdmission(0, 0)
	for range 10 {
		if _, err := off.acquire(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSlotReleaseReacquire covers a call's slot as a guest waiting in a host
// call uses it: released, lent to another call, taken back.
func TestSlotReleaseReacquire(t *testing.T) {
	ctx := context.Background()
	a := newAdmission(1, 1)
	s, err := a.take(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	s.Release()
	other, err := a.take(ctx, "b")
	if err != nil {
		t.Fatalf("the released slot was not lent: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := s.Reacquire(short); err == nil {
		t.Fatal("took the slot back while another call held it")
	}
	s.Release() // not held after a failed Reacquire: a no-op
	if running, _ := a.stats(); running != 1 {
		t.Fatalf("running %d, want 1 (the other call)", running)
	}
	other.Release()
	if err := s.Reacquire(ctx); err != nil {
		t.Fatal(err)
	}
	s.Release()
	s.Release() // twice is a no-op
	if running, waiting := a.stats(); running != 0 || waiting != 0 {
		t.Fatalf("running %d, waiting %d after every release", running, waiting)
	}
}
