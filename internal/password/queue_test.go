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

// hold waits for a slot with ctx and, once it has one, sends name on
// granted and holds the slot until told to let go on free. Its error, if it
// got no slot, goes to failed.
func hold(h *Hasher, ctx context.Context, name string, granted chan<- string, free <-chan struct{}, failed chan<- error) {
	release, err := h.Acquire(ctx)
	if err != nil {
		failed <- fmt.Errorf("%s: %w", name, err)
		return
	}
	granted <- name
	<-free
	release()
}

// queued starts a call of tenant that waits for a slot and, once it has one,
// sends name on granted and holds the slot until told to let go on free. Its
// error, if it got no slot, goes to failed. It returns once the call is
// queued (QueueDepth reached want).
func queued(t *testing.T, h *Hasher, ctx context.Context, tenant, name string, want int, granted chan<- string, free <-chan struct{}, failed chan<- error) {
	t.Helper()
	go hold(h, WithTenant(ctx, tenant), name, granted, free, failed)
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

// forget makes the queue forget that tenant id gave a slot back lately, as
// it does once a hold time has passed since.
func forget(h *Hasher, id string) {
	h.queue.mu.Lock()
	delete(h.queue.freed, id)
	h.queue.mu.Unlock()
}

// until polls cond until it holds.
func until(cond func() bool) {
	for !cond() {
		time.Sleep(time.Millisecond)
	}
}

// TestQueueShareLeavesSlotsForOthers: of 4 slots, tenant A alone may hold
// all 4; once tenant B has logged in, A holds at most 2 and queues the rest,
// so B's two calls get slots at once, without any of A's giving one back.
// The slots B gives back stay free for it while it is active; once it is
// not, A's next release lets A take every slot again.
func TestQueueShareLeavesSlotsForOthers(t *testing.T) {
	h := newFast(t, Config{MaxConcurrent: 4, MaxWait: time.Hour})
	setServiceTime(h, time.Hour) // a tenant stays active long after a release
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := WithTenant(ctx, "A"), WithTenant(ctx, "B")

	var alone []func()
	for i := range 4 {
		release, err := h.Acquire(a)
		if err != nil {
			t.Fatalf("A's call %d alone: %v", i+1, err)
		}
		alone = append(alone, release)
	}
	for _, release := range alone {
		release()
	}
	release, err := h.Acquire(b)
	if err != nil {
		t.Fatal(err)
	}
	release()
	// Releases move the hold time; a minute keeps B active through the
	// test and lets A's queue take its 4 calls.
	setServiceTime(h, time.Minute)

	granted, failed := make(chan string, 8), make(chan error, 8)
	frees := map[string]chan struct{}{}
	call := func(ctx context.Context, name string) {
		free := make(chan struct{})
		frees[name] = free
		go hold(h, ctx, name, granted, free, failed)
	}
	for i := range 6 {
		call(a, fmt.Sprint("A", i))
	}
	until(func() bool { return h.InFlight()+h.QueueDepth() == 6 })
	if f, q := h.InFlight(), h.QueueDepth(); f != 2 || q != 4 {
		t.Fatalf("with B active, A's 6 calls hold %d slots and %d wait; want 2 and 4", f, q)
	}
	var holdersA []string
	for range 2 {
		holdersA = append(holdersA, <-granted)
	}
	for i := range 2 {
		name := fmt.Sprint("B", i)
		call(b, name)
		for got := false; !got; {
			select {
			case g := <-granted:
				if g != name {
					t.Fatalf("%s got a slot while no one gave one back", g)
				}
				got = true
			case err := <-failed:
				t.Fatal(err)
			default:
				if q := h.QueueDepth(); q != 4 {
					t.Fatalf("B's call %d queued behind A's (%d waiting), want a slot at once", i+1, q)
				}
				time.Sleep(time.Millisecond)
			}
		}
	}
	if f, q := h.InFlight(), h.QueueDepth(); f != 4 || q != 4 {
		t.Fatalf("InFlight, QueueDepth = %d, %d; want 4, 4", f, q)
	}
	// B, active still, gives its slots back: they stay free for it, A's
	// waiters being at their share.
	close(frees["B0"])
	until(func() bool { return h.InFlight() == 3 })
	close(frees["B1"])
	until(func() bool { return h.InFlight() == 2 })
	if q := h.QueueDepth(); q != 4 {
		t.Fatalf("QueueDepth = %d after B's releases, want A's 4 still waiting", q)
	}
	// Once B is no longer active, A's next release lets A's waiters take
	// every slot: 3 of them at once.
	forget(h, "B")
	close(frees[holdersA[0]])
	until(func() bool { return h.QueueDepth() == 1 })
	if f := h.InFlight(); f != 4 {
		t.Fatalf("InFlight = %d after A alone released one, want 4", f)
	}
	for range 3 {
		select {
		case g := <-granted:
			if g[0] != 'A' {
				t.Fatalf("%s got a slot, want A's waiters", g)
			}
			close(frees[g])
		case err := <-failed:
			t.Fatal(err)
		}
	}
	close(frees[holdersA[1]])
	select {
	case g := <-granted:
		close(frees[g])
	case err := <-failed:
		t.Fatal(err)
	}
	until(func() bool { return h.InFlight() == 0 && h.QueueDepth() == 0 })
}
