package password

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// setServiceTime makes the queue expect every slot to be held for d.
func setServiceTime(h *Hasher, d time.Duration) {
	h.queue.mu.Lock()
	h.queue.svc = d
	h.queue.mu.Unlock()
}

// queued starts a call of tenant that waits for a slot and, once it has one,
// sends name on granted and holds the slot until told to let go on free. Its
// error, if it got no slot, goes to failed. It returns once the call is
// queued (QueueDepth reached want).
func queued(t *testing.T, h *Hasher, ctx context.Context, tenant, name string, want int, granted chan<- string, free <-chan struct{}, failed chan<- error) {
	t.Helper()
	go func() {
		release, err := h.Acquire(WithTenant(ctx, tenant))
		if err != nil {
			failed <- fmt.Errorf("%s: %w", name, err)
			return
		}
		granted <- name
		<-free
		release()
	}()
	for h.QueueDepth() != want {
		time.Sleep(time.Millisecond)
	}
}

// TestQueueFairAcrossTenants queues 100 calls of tenant A and then one of
// tenant B behind a held slot: B is served within two grants, A's in the
// order they came.
func TestQueueFairAcrossTenants(t *testing.T) {
	h := newFast(t, Config{MaxConcurrent: 1, MaxWait: time.Hour})
	hold, err := h.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	granted, free, failed := make(chan string), make(chan struct{}), make(chan error, 101)
	for i := range 100 {
		queued(t, h, ctx, "A", fmt.Sprintf("A%d", i), i+1, granted, free, failed)
	}
	queued(t, h, ctx, "B", "B", 101, granted, free, failed)
	hold()
	bAt, nextA := -1, 0
	for i := range 101 {
		select {
		case name := <-granted:
			if name == "B" {
				bAt = i
			} else if name != fmt.Sprintf("A%d", nextA) {
				t.Fatalf("grant %d went to %s, want A%d (first in, first out)", i, name, nextA)
			} else {
				nextA++
			}
		case err := <-failed:
			t.Fatal(err)
		}
		free <- struct{}{}
	}
	if bAt < 0 || bAt > 1 {
		t.Fatalf("B's call was granted %dth, want within the first 2", bAt+1)
	}
}

// TestQueueFailsFast: a call that cannot get a slot within its wait is
// refused at once, with a positive Retry-After, whether the bound is MaxWait
// or its context's deadline.
func TestQueueFailsFast(t *testing.T) {
	h := newFast(t, Config{MaxConcurrent: 1, MaxWait: time.Hour})
	hold, err := h.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer hold()
	setServiceTime(h, 2*time.Hour)
	// Were the call to wait for its deadline, the test would time out.
	_, err = h.Hash(context.Background(), "pw")
	if !errors.Is(err, ErrBusy) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hash = %v, want ErrBusy at once", err)
	}
	if ra := RetryAfter(err); ra < 2*time.Hour {
		t.Fatalf("RetryAfter = %v, want at least the 2 h one hash is expected to take", ra)
	}

	setServiceTime(h, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _, err = h.Verify(ctx, encode(fastParams, make([]byte, 16), make([]byte, 32)), "pw")
	if !errors.Is(err, ErrBusy) || errors.Is(err, context.DeadlineExceeded) || RetryAfter(err) <= 0 {
		t.Fatalf("Verify with a 30 s deadline = %v (retry after %v), want ErrBusy at once", err, RetryAfter(err))
	}
	if q := h.QueueDepth(); q != 0 {
		t.Fatalf("QueueDepth = %d after refusals, want 0", q)
	}
}

// TestQueueShedsWhenHashesSlowDown: A's queue holds what one slot is
// expected to serve within half the wait (6 calls of 5 minutes within
// an hour; the 7th is refused at once). When hashes are found to take 18
// minutes, the next call is refused and so, at once, are A's waiters that can
// no longer be served within their hour, from the 4th on.
func TestQueueShedsWhenHashesSlowDown(t *testing.T) {
	h := newFast(t, Config{MaxConcurrent: 1, MaxWait: time.Hour})
	hold, err := h.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer hold()
	setServiceTime(h, 5*time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	granted, free, failed := make(chan string), make(chan struct{}), make(chan error, 10)
	for i := range 6 {
		queued(t, h, ctx, "A", fmt.Sprintf("A%d", i), i+1, granted, free, failed)
	}
	if _, err := h.Acquire(WithTenant(ctx, "A")); !errors.Is(err, ErrBusy) || RetryAfter(err) <= 0 {
		t.Fatalf("A's 7th call = %v, want ErrBusy at once with a Retry-After", err)
	}
	setServiceTime(h, 18*time.Minute)
	if _, err := h.Acquire(WithTenant(ctx, "B")); !errors.Is(err, ErrBusy) {
		t.Fatalf("B's call = %v, want ErrBusy at once", err)
	}
	var shed []string
	for range 3 {
		select {
		case err := <-failed:
			if !errors.Is(err, ErrBusy) || RetryAfter(err) <= 0 {
				t.Fatalf("shed call: %v, want ErrBusy and a Retry-After", err)
			}
			shed = append(shed, err.Error()[:2])
		case <-time.After(30 * time.Second):
			t.Fatalf("shed %v; A's 4th to 6th calls were not told at once that they cannot be served in time", shed)
		}
	}
	slices.Sort(shed)
	if !slices.Equal(shed, []string{"A3", "A4", "A5"}) {
		t.Fatalf("shed %v, want A3, A4, A5", shed)
	}
	if q := h.QueueDepth(); q != 3 {
		t.Fatalf("QueueDepth = %d, want A's first 3", q)
	}
}

// TestQueueAccounting runs many calls of several tenants, some given up by
// their context, some refused, and checks that every slot comes back.
func TestQueueAccounting(t *testing.T) {
	h := newFast(t, Config{MaxConcurrent: 3, MaxWait: 50 * time.Millisecond})
	var wg sync.WaitGroup
	var served, refused atomic.Int64
	for i := range 300 {
		wg.Go(func() {
			ctx := WithTenant(context.Background(), fmt.Sprint("t", i%5))
			if i%7 == 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Duration(i%3)*time.Millisecond)
				defer cancel()
			}
			release, err := h.Acquire(ctx)
			if err != nil {
				if !errors.Is(err, ErrBusy) {
					t.Errorf("call %d: %v", i, err)
				}
				refused.Add(1)
				return
			}
			time.Sleep(time.Millisecond)
			release()
			served.Add(1)
		})
	}
	wg.Wait()
	if q, f := h.QueueDepth(), h.InFlight(); q != 0 || f != 0 {
		t.Fatalf("QueueDepth, InFlight = %d, %d after all calls; want 0, 0", q, f)
	}
	if served.Load() == 0 {
		t.Fatalf("no call was served (%d refused)", refused.Load())
	}
	t.Logf("%d served, %d refused", served.Load(), refused.Load())
}

// TestQueueLeastUsedTenantFirst: tenant A holds the one slot and has three
// calls queued when tenant B's first call comes; when A's slot frees, B's
// call is served before A's queued ones, because A has held the slot and B
// has not (round robin alone would serve A's next call first).
func TestQueueLeastUsedTenantFirst(t *testing.T) {
	h := newFast(t, Config{MaxConcurrent: 1, MaxWait: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hold, err := h.Acquire(WithTenant(ctx, "A"))
	if err != nil {
		t.Fatal(err)
	}
	granted, free, failed := make(chan string), make(chan struct{}), make(chan error, 4)
	for i := range 3 {
		queued(t, h, ctx, "A", fmt.Sprintf("A%d", i), i+1, granted, free, failed)
	}
	queued(t, h, ctx, "B", "B", 4, granted, free, failed)
	time.Sleep(time.Millisecond) // A's hold is at least this long
	hold()
	var order []string
	for range 4 {
		select {
		case name := <-granted:
			order = append(order, name)
		case err := <-failed:
			t.Fatal(err)
		}
		free <- struct{}{}
	}
	if want := []string{"B", "A0", "A1", "A2"}; !slices.Equal(order, want) {
		t.Fatalf("slots went to %v, want %v", order, want)
	}
}
