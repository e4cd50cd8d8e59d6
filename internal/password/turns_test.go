package password

import (
	"sync"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/testclock"
)

// waitTurns waits until n hashes wait for a turn.
func waitTurns(t *testing.T, ts *turns, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		ts.mu.Lock()
		got := len(ts.waiting)
		ts.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d hashes wait for a turn, want %d", got, n)
		}
	}
}

// async runs f on a goroutine and returns a channel closed when it returns.
func async(f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	return done
}

func returned(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// TestTurnsLighterTenantFirst: with the one processor turn held by a hash
// of tenant A, which has used 10 ms, and A's next hash waiting, a hash of
// tenant B (unused) gets the turn at A's next segment boundary, before A's
// next hash; A's started hash then goes before A's hash not started; and a
// hash does not hand its turn to its own tenant's.
func TestTurnsLighterTenantFirst(t *testing.T) {
	clock := testclock.New(time.Unix(1e9, 0))
	ts := newTurns(1)
	ts.now = clock.Now

	a1 := ts.take("A")
	clock.Advance(10 * time.Millisecond)
	var a2, b *turn
	a2Got := async(func() { a2 = ts.take("A") })
	waitTurns(t, ts, 1)
	a1.yield() // only A waits: A1 keeps its turn
	if returned(a2Got) {
		t.Fatal("A's hash handed its turn to A's next hash at a segment boundary")
	}
	bGot := async(func() { b = ts.take("B") })
	waitTurns(t, ts, 2)

	a1Back := async(a1.yield)
	<-bGot // B gets the turn (the test hangs here if it does not)
	waitTurns(t, ts, 2)
	if returned(a2Got) || returned(a1Back) {
		t.Fatal("A's hashes ran while B's had the turn")
	}
	clock.Advance(time.Millisecond)
	b.yield() // B has used less than A: it keeps its turn
	if returned(a1Back) || returned(a2Got) {
		t.Fatal("B's hash handed its turn to the tenant that used more")
	}
	b.done()
	<-a1Back // A's started hash before A's next
	if returned(a2Got) {
		t.Fatal("A's next hash got the turn along with A's started one")
	}
	a1.done()
	<-a2Got
	a2.done()
	if ts.free != 1 || len(ts.waiting) != 0 {
		t.Fatalf("after all hashes: %d turns free, %d waiting; want 1, 0", ts.free, len(ts.waiting))
	}
}

// TestHasherTurns hashes on many goroutines of several tenants with fewer
// turns than hashes and checks the results and that every turn comes back
// (run with -race).
func TestHasherTurns(t *testing.T) {
	h := newFast(t, Config{MaxConcurrent: 6, MaxWait: time.Minute})
	h.turns = newTurns(2)
	enc, err := h.Hash(WithTenant(t.Context(), "A"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			ctx := WithTenant(t.Context(), string(rune('A'+i%3)))
			if ok, _, err := h.Verify(ctx, enc, "pw"); err != nil || !ok {
				t.Errorf("Verify = %v, %v", ok, err)
			}
		})
	}
	wg.Wait()
	if h.turns.free != 2 || len(h.turns.waiting) != 0 {
		t.Fatalf("%d turns free, %d waiting; want 2, 0", h.turns.free, len(h.turns.waiting))
	}
}

// TestTurnWaitsAreWaited: a hash's waits for a processor turn — to get one
// while another tenant's hash holds it, and to get it back after handing it
// to a lighter tenant's at a segment boundary — add up in the turn, and a
// hasher adds them to the request's wait meter, so that the login's
// equalizer records what the hash computed, not what other hashes computed
// in between.
func TestTurnWaitsAreWaited(t *testing.T) {
	clock := testclock.New(time.Unix(1e9, 0))
	ts := newTurns(1)
	ts.now = clock.Now

	a := ts.take("A")
	if a.waited != 0 {
		t.Fatalf("a hash that found a turn free waited %v", a.waited)
	}
	clock.Advance(10 * time.Millisecond) // A has used 10 ms
	var b *turn
	bGot := async(func() { b = ts.take("B") })
	waitTurns(t, ts, 1)
	clock.Advance(3 * time.Millisecond)
	aBack := async(a.yield) // B is lighter: A hands its turn over
	<-bGot
	if b.waited != 3*time.Millisecond {
		t.Fatalf("B waited %v for its turn, want 3 ms", b.waited)
	}
	waitTurns(t, ts, 1)
	clock.Advance(7 * time.Millisecond)
	b.done()
	<-aBack
	if a.waited != 7*time.Millisecond {
		t.Fatalf("A waited %v to get its turn back, want 7 ms", a.waited)
	}
	a.done()

	// Through a hasher: a verification whose tenant waits 40 ms for the
	// one turn adds the 40 ms to its request's meter.
	h := newFast(t, Config{MaxConcurrent: 2, MaxWait: time.Minute})
	h.turns = newTurns(1)
	h.turns.now = clock.Now
	other := h.turns.take("other")
	ctx := WithWaitMeter(WithTenant(t.Context(), "A"))
	verified := async(func() {
		if err := h.VerifyDummy(ctx, "pw"); err != nil {
			t.Error(err)
		}
	})
	waitTurns(t, h.turns, 1)
	clock.Advance(40 * time.Millisecond)
	other.done()
	<-verified
	if w := Waited(ctx); w < 40*time.Millisecond {
		t.Fatalf("Waited = %v after waiting 40 ms for a turn", w)
	}
	// One hash, which computed while the turns' clock stood still.
	if n, took := Hashed(ctx); n != 1 || took != 0 {
		t.Fatalf("Hashed = %v, %v; want 1 hash of 0 (the 40 ms were a wait)", n, took)
	}
	if n, _ := Hashed(t.Context()); n != 0 {
		t.Fatalf("Hashed without a meter = %v", n)
	}
	// A hash with twice the memory and three times the passes is six.
	enc, err := newFast(t, Config{Params: Params{Memory: 2 * fastParams.Memory, Iterations: 3 * fastParams.Iterations, Parallelism: 1, SaltLen: 16, KeyLen: 32}}).Hash(t.Context(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	h.turns = newTurns(1)
	ctx = WithWaitMeter(t.Context())
	if _, _, err := h.Verify(ctx, enc, "pw"); err != nil {
		t.Fatal(err)
	}
	if n, _ := Hashed(ctx); n != 6 {
		t.Fatalf("Hashed = %v after a hash of 6 units", n)
	}
}
