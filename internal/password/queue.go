package password

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// BusyError is the error of a call that got no hashing slot: it wraps
// ErrBusy, and the context's error when the context ended. RetryAfter is when
// the queue is expected to have drained: the calls waiting divided by the
// measured hashes per second.
type BusyError struct {
	RetryAfter time.Duration
	ctxErr     error
}

func (e *BusyError) Error() string {
	if e.ctxErr != nil {
		return fmt.Sprintf("%v: %v", ErrBusy, e.ctxErr)
	}
	return fmt.Sprintf("%v; retry after %v", ErrBusy, e.RetryAfter.Round(time.Millisecond))
}

func (e *BusyError) Unwrap() []error {
	if e.ctxErr != nil {
		return []error{ErrBusy, e.ctxErr}
	}
	return []error{ErrBusy}
}

// RetryAfter returns when a call that failed with err may try again: the
// BusyError's estimate, or zero for any other error.
func RetryAfter(err error) time.Duration {
	var be *BusyError
	if errors.As(err, &be) {
		return be.RetryAfter
	}
	return 0
}

type tenantKey struct{}

// WithTenant returns a context whose hashing calls queue as tenant id's:
// waiters are served first-in first-out within a tenant and in turn across
// tenants. Calls without a tenant share one queue.
func WithTenant(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, tenantKey{}, id)
}

func tenantOf(ctx context.Context) string {
	id, _ := ctx.Value(tenantKey{}).(string)
	return id
}

// svcWeight is the weight of the newest hold time in the moving average of
// hold times.
const svcWeight = 0.2

// queue hands out hashing slots: at once while one is free within the
// caller's tenant's share, then to the tenant with waiters within its share
// that has held slots the least recently (usage, decayed; round robin
// between equals) and in order of arrival within a tenant, so a tenant that
// storms waits behind one that does not. A tenant alone may hold every slot;
// while other tenants are active (waiting, holding a slot, or having given
// one back within the last hold time, as a tenant between two logins has),
// its share leaves one slot free for each of them, and it holds at most half
// the slots (rounded up), so that a quiet tenant's login finds a slot at
// once rather than waiting for a storming tenant's hash to finish (see
// shareOf). It measures how long a slot is held (a moving average), so that
// with all slots busy it expects a slot every hold time ÷ slots, and refuses
// at once a call that would not get its slot within half the time to its
// deadline (Config.MaxWait, or the context's deadline if sooner), the other
// half being headroom for the estimate. Because the expected wait of the
// k-th waiter of a tenant counts at most k turns of every other tenant, and
// a tenant held to its share gets no more than its share of slots every hold
// time, a tenant's queue is bounded by what its share serves within the
// deadline and shrinks as other tenants queue, while another tenant's
// expected wait does not grow with it; when a tenant starts queueing, or the
// hold time grows, the waiters that can no longer be served in time are told
// at once as well, rather than when their deadline passes.
type queue struct {
	slots   int
	maxWait time.Duration

	mu      sync.Mutex
	inUse   int
	waiting int
	svc     time.Duration // moving average of how long a slot is held
	tenants map[string]*fifo
	ring    []*fifo              // tenants with waiters, in turn order
	next    int                  // index in ring of the tenant served next among equals
	used    usages               // the tenants' hold times
	held    map[string]int       // slots held, by tenant
	freed   map[string]time.Time // when a tenant last gave a slot back
}

// waiter is one call waiting for a slot. ready is closed once it has the
// slot (err nil) or has been refused (err set), under queue.mu.
type waiter struct {
	deadline time.Time
	ready    chan struct{}
	err      error
	done     bool
	granted  time.Time // when the slot was handed over
}

// fifo is one tenant's waiters in order of arrival.
type fifo struct {
	id string
	w  []*waiter
}

func newQueue(slots int, maxWait, svc time.Duration) *queue {
	return &queue{slots: slots, maxWait: maxWait, svc: svc, tenants: map[string]*fifo{}, held: map[string]int{}, freed: map[string]time.Time{}}
}

// acquire returns once the caller holds a slot, which it returns with
// release(held) where held is the time since acquire returned.
func (q *queue) acquire(ctx context.Context) error {
	_, err := q.acquireAt(ctx)
	return err
}

// acquireAt is acquire that also returns when the slot was handed to the
// caller: a waiter's slot is its own from the moment the previous holder
// gives it up, not from when the waiter's goroutine next runs, and under a
// thousand runnable goroutines the difference can exceed the hash itself.
// Holds measured from then make the expected waits, and so admission,
// account for that delay.
func (q *queue) acquireAt(ctx context.Context) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, &BusyError{RetryAfter: q.retryAfter(), ctxErr: err}
	}
	now := time.Now()
	deadline := q.deadline(ctx, now)
	id := tenantOf(ctx)
	q.mu.Lock()
	f := q.tenants[id]
	if f == nil && q.freeFor(id, now) > 0 {
		q.take(id)
		q.mu.Unlock()
		return now, nil
	}
	if q.refusesLocked(id, 0, now, deadline) {
		err := &BusyError{RetryAfter: q.retryAfterLocked()}
		q.shed(now)
		q.mu.Unlock()
		return time.Time{}, err
	}
	if f == nil {
		f = &fifo{id: id}
		q.tenants[id] = f
		// A tenant that starts queueing takes its turn after the others.
		q.ring = append(q.ring, nil)
		copy(q.ring[q.next+1:], q.ring[q.next:])
		q.ring[q.next] = f
		if len(q.ring) > 1 {
			q.next++
		}
	}
	w := &waiter{deadline: deadline, ready: make(chan struct{})}
	f.w = append(f.w, w)
	q.waiting++
	q.shed(now)
	q.dispatch(now)
	q.mu.Unlock()

	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var ctxErr error
	select {
	case <-w.ready:
		return w.granted, w.err
	case <-ctx.Done():
		ctxErr = ctx.Err()
	case <-timer.C:
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if w.done {
		if w.err != nil {
			return time.Time{}, w.err
		}
		if ctxErr == nil {
			return w.granted, nil // the slot came as the deadline passed: use it
		}
		q.releaseLocked(id, time.Now())
		return time.Time{}, &BusyError{RetryAfter: q.retryAfterLocked(), ctxErr: ctxErr}
	}
	q.remove(f, w)
	q.dispatch(time.Now())
	return time.Time{}, &BusyError{RetryAfter: q.retryAfterLocked(), ctxErr: ctxErr}
}

// Admit returns the BusyError that a call with ctx asking for a slot now
// would get at once, or nil if it would get a slot or a place in its
// tenant's queue, ahead being the calls of its tenant admitted before it
// that have not asked yet (they take the free slots, or the places in the
// queue, before it). It takes no slot: a caller whose work ends in a hash
// asks it first, to refuse that work before doing the rest of it.
func (h *Hasher) Admit(ctx context.Context, ahead int) error {
	q := h.queue
	if err := ctx.Err(); err != nil {
		return &BusyError{RetryAfter: q.retryAfter(), ctxErr: err}
	}
	now := time.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.refusesLocked(tenantOf(ctx), ahead, now, q.deadline(ctx, now)) {
		return &BusyError{RetryAfter: q.retryAfterLocked()}
	}
	return nil
}

// deadline is when a call with ctx asking at now stops waiting: after
// maxWait, or at the context's deadline if sooner.
func (q *queue) deadline(ctx context.Context, now time.Time) time.Time {
	deadline := now.Add(q.maxWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	return deadline
}

// refusesLocked reports whether a call of tenant id asking at now, after
// ahead more of its tenant's, is refused at once: no slot is left free for
// it within its tenant's share, and as its tenant's next waiter it is not
// expected to get one within half the time to its deadline. Only what is
// expected within half the time left is admitted: the hold time grows as
// load grows, and a call admitted and then refused has waited.
func (q *queue) refusesLocked(id string, ahead int, now, deadline time.Time) bool {
	k := ahead + 1
	f := q.tenants[id]
	if f == nil {
		free := q.freeFor(id, now)
		if k <= free {
			return false
		}
		k -= max(free, 0)
	} else {
		k += len(f.w)
	}
	return q.expectedWait(id, k, q.share(id, now)) > deadline.Sub(now)/2
}

// releaseFor returns a slot that tenant id held for held: the hold counts
// toward the tenant's usage and the hold time.
func (q *queue) releaseFor(id string, held time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	q.used.add(id, held, now)
	q.svc += time.Duration(svcWeight * float64(held-q.svc))
	q.releaseLocked(id, now)
	q.shed(now)
	q.dispatch(now) // shedding may have ended a tenant's activity
}

// releaseLocked frees a slot that tenant id held and hands the free slots
// to the waiters in turn.
func (q *queue) releaseLocked(id string, now time.Time) {
	q.inUse--
	if q.held[id]--; q.held[id] <= 0 {
		delete(q.held, id)
	}
	q.freed[id] = now
	q.dispatch(now)
}

// take gives a free slot to tenant id.
func (q *queue) take(id string) {
	q.inUse++
	q.held[id]++
}

// dispatch hands the free slots to waiters, each time to the next in line
// of the tenant within its share that has the least usage, the first from
// next among equals; it stops when no slot is free or every tenant with
// waiters holds its share.
func (q *queue) dispatch(now time.Time) {
	for q.inUse < q.slots && len(q.ring) > 0 {
		// Every tenant with waiters is active, so its share is the same.
		share := shareOf(q.slots, q.active(now)-1)
		best, least := -1, 0.0
		for i := range q.ring {
			j := (q.next + i) % len(q.ring)
			if q.held[q.ring[j].id] >= share {
				continue
			}
			if u := q.used.value(q.ring[j].id, now); best < 0 || u < least {
				best, least = j, u
			}
		}
		if best < 0 {
			return
		}
		q.next = best
		f := q.ring[best]
		w := f.w[0]
		f.w[0] = nil
		f.w = f.w[1:]
		q.waiting--
		q.take(f.id)
		if len(f.w) == 0 {
			q.drop(f)
		} else {
			q.next++
			q.next %= len(q.ring)
		}
		w.done = true
		w.granted = time.Now()
		close(w.ready)
	}
}

// active returns the number of tenants active at now: with waiters,
// holding a slot, or having given one back within the last hold time (a
// tenant between two logins, which will ask again shortly). Those that gave
// one back longer ago are forgotten.
func (q *queue) active(now time.Time) int {
	n := len(q.ring)
	for id := range q.held {
		if q.tenants[id] == nil {
			n++
		}
	}
	for id, at := range q.freed {
		switch {
		case now.Sub(at) > q.svc:
			delete(q.freed, id)
		case q.tenants[id] == nil && q.held[id] == 0:
			n++
		}
	}
	return n
}

// isActive reports whether tenant id counts in active.
func (q *queue) isActive(id string, now time.Time) bool {
	if q.tenants[id] != nil || q.held[id] > 0 {
		return true
	}
	at, ok := q.freed[id]
	return ok && now.Sub(at) <= q.svc
}

// share returns the most slots tenant id may hold at now; see shareOf.
func (q *queue) share(id string, now time.Time) int {
	others := q.active(now)
	if q.isActive(id, now) {
		others--
	}
	return shareOf(q.slots, others)
}

// shareOf is the most of slots a tenant may hold while others other
// tenants are active: all of them when none is; else one slot less for
// each other tenant, so that each finds one free at once, and at most half
// of them (rounded up), so that two tenants that both storm split them
// evenly; but at least one.
func shareOf(slots, others int) int {
	if others <= 0 {
		return slots
	}
	return max(1, min(slots-others, (slots+1)/2))
}

// freeFor returns the number of slots tenant id could take at now: those
// free, up to what its share leaves it.
func (q *queue) freeFor(id string, now time.Time) int {
	return min(q.slots-q.inUse, q.share(id, now)-q.held[id])
}

// expectedWait is the expected wait of the k-th waiter of tenant id, whose
// share is share: before it, its own k-1 and at most k of every other
// tenant's, one slot every svc ÷ slots; and, when its share is less than
// all the slots, no sooner than its share serves k, share slots every svc.
func (q *queue) expectedWait(id string, k, share int) time.Duration {
	ahead := k - 1
	for _, f := range q.ring {
		if f.id != id {
			ahead += min(len(f.w), k)
		}
	}
	wait := time.Duration(ahead+1) * q.svc / time.Duration(q.slots)
	if share < q.slots {
		wait = max(wait, time.Duration(k)*q.svc/time.Duration(share))
	}
	return wait
}

// shed refuses the waiters whose expected wait now ends after their
// deadline, so that they are told at once rather than when it passes.
func (q *queue) shed(now time.Time) {
	// Every tenant with waiters is active, so its share is the same.
	share := shareOf(q.slots, q.active(now)-1)
	for i := 0; i < len(q.ring); {
		f := q.ring[i]
		kept := f.w[:0]
		for _, w := range f.w {
			// Were w kept, it would be the len(kept)+1-th of its tenant.
			if !now.Add(q.expectedWait(f.id, len(kept)+1, share)).After(w.deadline) {
				kept = append(kept, w)
				continue
			}
			q.waiting--
			w.done, w.err = true, &BusyError{RetryAfter: q.retryAfterLocked()}
			close(w.ready)
		}
		clear(f.w[len(kept):])
		f.w = kept
		if len(f.w) == 0 {
			q.drop(f) // the ring shifts: look at index i again
			continue
		}
		i++
	}
}

// remove takes a waiter that gave up out of its tenant's queue.
func (q *queue) remove(f *fifo, w *waiter) {
	for i, x := range f.w {
		if x == w {
			f.w = append(f.w[:i], f.w[i+1:]...)
			q.waiting--
			break
		}
	}
	if len(f.w) == 0 {
		q.drop(f)
	}
}

// drop takes a tenant without waiters out of the ring.
func (q *queue) drop(f *fifo) {
	delete(q.tenants, f.id)
	for i, x := range q.ring {
		if x == f {
			q.ring = append(q.ring[:i], q.ring[i+1:]...)
			if i < q.next {
				q.next--
			}
			break
		}
	}
	if len(q.ring) > 0 {
		q.next %= len(q.ring)
	} else {
		q.next = 0
	}
}

// retryAfter is the time the waiting calls, and one more, are expected to
// take: waiters ÷ hashes per second.
func (q *queue) retryAfter() time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.retryAfterLocked()
}

func (q *queue) retryAfterLocked() time.Duration {
	return time.Duration(q.waiting+1) * q.svc / time.Duration(q.slots)
}

// stats returns the waiters and the slots in use.
func (q *queue) stats() (waiting, inUse int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting, q.inUse
}
