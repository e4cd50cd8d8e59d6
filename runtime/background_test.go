package runtime

import (
	"context"
	"testing"
	"time"
)

// TestBackgroundAdmission: background work starts only while every slot's
// waiters are served and a slot is free; a call that waits keeps it out.
func TestBackgroundAdmission(t *testing.T) {
	ctx := context.Background()
	a := newAdmission(1, 1)
	rel, err := a.acquire(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if err := a.idle(short); err == nil {
		t.Fatal("background work started while every slot was taken")
	}
	// A login waits: when the slot frees, it goes first, and background
	// work still waits for it.
	waiting := make(chan func(), 1)
	go func() {
		r, err := a.acquire(ctx, "b")
		if err == nil {
			waiting <- r
		}
	}()
	for _, w := a.stats(); w != 1; _, w = a.stats() {
		time.Sleep(time.Millisecond)
	}
	rel()
	relB := <-waiting
	short2, cancel2 := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel2()
	if err := a.idle(short2); err == nil {
		t.Fatal("background work started while a login held the only slot")
	}
	relB()
	if err := a.idle(ctx); err != nil {
		t.Fatalf("background work did not start on an idle engine: %v", err)
	}
}
