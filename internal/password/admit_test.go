package password

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestAdmitIsTheQueuesRule: Admit refuses exactly the calls the queue would
// refuse at once, per tenant, and takes nothing. With one slot held and
// hashes of 5 minutes within an hour's wait, tenant A's queue is full at 6
// waiters: A's next call is refused, by Admit and by Acquire alike, while
// tenant B, with no queue, is admitted (its expected wait is one of A's
// hashes and its own), and calls admitted but not yet asking count as
// queued before it.
func TestAdmitIsTheQueuesRule(t *testing.T) {
	h := newFast(t, Config{MaxConcurrent: 1, MaxWait: time.Hour})
	a := WithTenant(context.Background(), "A")
	b := WithTenant(context.Background(), "B")
	// A free slot is taken at once, however long hashes are expected to take.
	setServiceTime(h, 2*time.Hour)
	if err := h.Admit(a, 0); err != nil {
		t.Fatalf("Admit with a free slot = %v, want nil", err)
	}
	// A call admitted before it takes the free slot: this one would wait.
	if err := h.Admit(a, 1); !errors.Is(err, ErrBusy) {
		t.Fatalf("Admit with the free slot promised to an earlier call = %v, want ErrBusy", err)
	}
	hold, err := h.Acquire(a)
	if err != nil {
		t.Fatal(err)
	}
	defer hold()
	if err := h.Admit(b, 0); !errors.Is(err, ErrBusy) || RetryAfter(err) < 2*time.Hour {
		t.Fatalf("Admit behind a 2 h hash = %v (retry after %v), want ErrBusy, retry after at least 2 h", err, RetryAfter(err))
	}

	setServiceTime(h, 5*time.Minute)
	ctx, cancel := context.WithCancel(a)
	defer cancel()
	granted, free, failed := make(chan string, 6), make(chan struct{}), make(chan error, 6)
	for i := range 6 {
		if err := h.Admit(a, 0); err != nil {
			t.Fatalf("Admit of A's call %d = %v, want nil (the queue takes 6)", i+1, err)
		}
		queued(t, h, ctx, "A", fmt.Sprintf("A%d", i), i+1, granted, free, failed)
	}
	if err := h.Admit(a, 0); !errors.Is(err, ErrBusy) || RetryAfter(err) <= 0 {
		t.Fatalf("Admit of A's 7th call = %v, want ErrBusy with a Retry-After", err)
	}
	if _, err := h.Acquire(a); !errors.Is(err, ErrBusy) {
		t.Fatalf("Acquire of A's 7th call = %v, want ErrBusy as Admit said", err)
	}
	if err := h.Admit(b, 0); err != nil {
		t.Fatalf("Admit of B's first call while A's queue is full = %v, want nil", err)
	}
	// With 2 of B's admitted before it, B's call would be B's 3rd waiter:
	// 2 + 3 of A's hashes before it, and its own, in 30 minutes. With 3, B's
	// 4th: 40 minutes, over half the hour.
	if err := h.Admit(b, 2); err != nil {
		t.Fatalf("Admit of B's call after 2 admitted = %v, want nil", err)
	}
	if err := h.Admit(b, 3); !errors.Is(err, ErrBusy) {
		t.Fatalf("Admit of B's call after 3 admitted = %v, want ErrBusy", err)
	}
	if q, f := h.QueueDepth(), h.InFlight(); q != 6 || f != 1 {
		t.Fatalf("QueueDepth, InFlight = %d, %d after the Admits; want 6, 1 (Admit takes nothing)", q, f)
	}
	done, stop := context.WithCancel(b)
	stop()
	if err := h.Admit(done, 0); !errors.Is(err, ErrBusy) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Admit with an ended context = %v, want ErrBusy and context.Canceled", err)
	}
}

// TestAdmitCountsTheShare: with 4 slots and tenant B active, tenant A
// holds its share of 2 and its queue drains at that share's rate, 2 hashes
// of 5 minutes every 5 minutes: 12 waiters within half the hour's wait (the
// 4 slots' rate would admit 24). B's answers do not depend on A's queue:
// B's calls are admitted alike whether A has no waiter or 12.
func TestAdmitCountsTheShare(t *testing.T) {
	h := newFast(t, Config{MaxConcurrent: 4, MaxWait: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := WithTenant(ctx, "A"), WithTenant(ctx, "B")
	setServiceTime(h, time.Hour)
	release, err := h.Acquire(b)
	if err != nil {
		t.Fatal(err)
	}
	release() // B is active for the hold time after
	for range 2 {
		release, err := h.Acquire(a)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
	}
	setServiceTime(h, 5*time.Minute)
	bAnswers := func() []bool {
		var out []bool
		for ahead := range 20 {
			out = append(out, h.Admit(b, ahead) == nil)
		}
		return out
	}
	before := bAnswers()
	granted, free, failed := make(chan string, 12), make(chan struct{}), make(chan error, 12)
	defer close(free)
	for i := range 12 {
		if err := h.Admit(a, 0); err != nil {
			t.Fatalf("Admit of A's waiter %d = %v, want nil (its share serves 12 in 30 minutes)", i+1, err)
		}
		queued(t, h, a, "A", fmt.Sprintf("A%d", i), i+1, granted, free, failed)
	}
	if err := h.Admit(a, 0); !errors.Is(err, ErrBusy) {
		t.Fatalf("Admit of A's 13th waiter = %v, want ErrBusy (2 slots serve 12 in 30 minutes)", err)
	}
	if after := bAnswers(); !slices.Equal(before, after) {
		t.Fatalf("B's Admit answers for 0..19 ahead: %v with A's queue empty, %v with it full; want the same", before, after)
	}
	if !before[0] || before[19] {
		t.Fatalf("B's Admit answers %v: want its first call admitted and not its 20th", before)
	}
}
