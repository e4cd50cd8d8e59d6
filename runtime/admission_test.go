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
