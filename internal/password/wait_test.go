package password

import (
	"context"
	"testing"
	"time"
)

// TestWaitedCountsTheWaitForASlot: a call that queues behind a held slot
// adds at least the time the slot was held to its context's meter; a call
// that finds a slot free adds next to nothing, and a context without a
// meter reads zero.
func TestWaitedCountsTheWaitForASlot(t *testing.T) {
	h := NewHasher(Config{Params: Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, MaxConcurrent: 1, MaxWait: 10 * time.Second})
	hold, err := h.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithWaitMeter(context.Background())
	got := make(chan error, 1)
	go func() {
		release, err := h.Acquire(ctx)
		if err == nil {
			release()
		}
		got <- err
	}()
	for h.QueueDepth() == 0 {
		time.Sleep(time.Millisecond)
	}
	const held = 30 * time.Millisecond
	time.Sleep(held)
	hold()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if w := Waited(ctx); w < held {
		t.Fatalf("Waited = %v after a slot held %v", w, held)
	}
	if w := Waited(context.Background()); w != 0 {
		t.Fatalf("Waited without a meter = %v", w)
	}
}
