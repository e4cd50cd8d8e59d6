package auth

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// timingStore keeps login timings in memory and counts the writes; the
// equalizer calls no other Store method.
type timingStore struct {
	Store
	mu   sync.Mutex
	m    map[string]*LoginTiming
	puts int
}

func (s *timingStore) GetLoginTiming(_ context.Context, tenant string) (*LoginTiming, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lt := s.m[tenant]
	if lt == nil {
		return nil, ErrNotFound
	}
	return lt, nil
}

func (s *timingStore) PutLoginTiming(_ context.Context, tenant string, lt *LoginTiming) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[tenant] = lt
	s.puts++
	return nil
}

// clockRig is an equalizer on a fake clock: its dummy verification advances
// the clock by unit and its sleep by the wait, and both are recorded.
type clockRig struct {
	*equalizer
	now     time.Time
	dummies int
	slept   time.Duration
	// flushes holds the scheduled flushes, which run when a test runs them.
	flushes []scheduledFlush
}

type scheduledFlush struct {
	after    time.Duration
	run      func()
	canceled bool
}

const (
	testUnit    = 10 * time.Millisecond
	testCeiling = 300 * time.Millisecond
)

func newRig(store *timingStore) *clockRig {
	r := &clockRig{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	r.equalizer = newEqualizer(store, slog.New(slog.DiscardHandler), func() time.Time { return r.now }, nil,
		func() time.Duration { return testCeiling })
	r.unit = func() time.Duration { return testUnit }
	r.dummy = func(context.Context) error {
		r.dummies++
		r.now = r.now.Add(testUnit)
		return nil
	}
	r.sleep = func(_ context.Context, d time.Duration) {
		r.slept += d
		r.now = r.now.Add(d)
	}
	r.schedule = func(d time.Duration, f func()) func() bool {
		r.flushes = append(r.flushes, scheduledFlush{after: d, run: f})
		i := len(r.flushes) - 1
		return func() bool {
			r.flushes[i].canceled = true
			return true
		}
	}
	return r
}

func newTimingStore() *timingStore { return &timingStore{m: map[string]*LoginTiming{}} }

// login records a verifying login that took d; the next request starts a
// millisecond later.
func (r *clockRig) login(tenant string, legacy bool, d time.Duration) {
	start := r.now
	r.now = r.now.Add(d)
	r.observe(context.Background(), tenant, legacy, start)
	r.now = r.now.Add(time.Millisecond)
}

// wrongPassword is a rejection that verified a hash in d, and returns how
// long it took in all.
func (r *clockRig) wrongPassword(tenant string, legacy bool, d time.Duration) time.Duration {
	start := r.now
	r.now = r.now.Add(d)
	r.observe(context.Background(), tenant, legacy, start)
	r.pad(context.Background(), tenant, legacy, start)
	return r.now.Sub(start)
}

// reject pads a rejection whose own work took d and returns how long it took
// in all.
func (r *clockRig) reject(tenant string, legacy bool, d time.Duration) time.Duration {
	start := r.now
	r.now = r.now.Add(d)
	r.dummies, r.slept = 0, 0
	r.pad(context.Background(), tenant, legacy, start)
	return r.now.Sub(start)
}

// within reports whether got is at least want and at most one bin above it.
func within(got, want time.Duration) bool {
	return got >= want && got <= want+want/20+time.Microsecond
}

func TestEqualizerBeforeAnyVerification(t *testing.T) {
	r := newRig(newTimingStore())
	// A local tenant's rejection costs at least a dummy verification.
	if got := r.reject("local", false, time.Millisecond); got != testUnit {
		t.Fatalf("local rejection took %v, want the dummy verification's %v", got, testUnit)
	}
	// A migrating tenant's module answered "not found" in 2 ms: padded to
	// the ceiling, by sleep beyond the measured (local) cost.
	if got := r.reject("legacy", true, 2*time.Millisecond); got != testCeiling {
		t.Fatalf("legacy rejection took %v, want the ceiling %v", got, testCeiling)
	}
	if r.dummies != 0 {
		t.Fatalf("%d dummy verifications up to an unmeasured ceiling, want none", r.dummies)
	}
	// The module's first verifications are rejections like those before
	// them: a request's own sample does not lower its padding, and it takes
	// minBinHits samples to vouch for a cost.
	for i := range minBinHits {
		if got := r.wrongPassword("legacy", true, 60*time.Millisecond); got != testCeiling {
			t.Fatalf("wrong password %d took %v, want the ceiling %v", i+1, got, testCeiling)
		}
	}
	if got := r.wrongPassword("legacy", true, 60*time.Millisecond); !within(got, 60*time.Millisecond) {
		t.Fatalf("wrong password %d took %v, want 60 ms", minBinHits+1, got)
	}
}

func TestEqualizerComesDownToMeasuredCost(t *testing.T) {
	r := newRig(newTimingStore())
	// A bcrypt user's wrong passwords, a few per cent apart.
	for _, d := range []time.Duration{58 * time.Millisecond, 60 * time.Millisecond, 57 * time.Millisecond} {
		r.login("legacy", true, d)
	}
	got := r.reject("legacy", true, 2*time.Millisecond)
	// Padded to the fast edge of the format's cost: the fastest wrong
	// password is what an attacker compares with.
	if !within(got, 57*time.Millisecond) {
		t.Fatalf("unknown user took %v after verifications of 57 to 60 ms, want 57 ms", got)
	}
	// Up to the measured cost the padding is dummy work (as many 10 ms
	// verifications as fit after the 2 ms, at most maxDummyUnits), then
	// sleep.
	if want := min(maxDummyUnits, int((got-2*time.Millisecond)/testUnit)); r.dummies != want {
		t.Fatalf("%d dummy verifications, want %d", r.dummies, want)
	}
	idle, idleTook := r.dummies, got
	r.login("local", false, 25*time.Millisecond)
	if got := r.reject("local", false, 2*time.Millisecond); got != testUnit || r.dummies != 0 {
		t.Fatalf("local rejection of a 2 ms lookup: %v with %d dummy verifications, want %v and none beyond the minimum", got, r.dummies, testUnit)
	}
	// On a machine three times busier, the dummy verifications take three
	// times longer, as the real ones do: the padding does not stop at the
	// idle target.
	r.dummy = func(context.Context) error {
		r.dummies++
		r.now = r.now.Add(3 * testUnit)
		return nil
	}
	if got, want := r.reject("legacy", true, 2*time.Millisecond), 2*time.Millisecond+time.Duration(3*idle)*testUnit; got != want {
		t.Fatalf("unknown user on a busy machine took %v, want %v: %d dummy verifications three times slower (idle: %v)", got, want, idle, idleTook)
	}
	// A rejection slower than the target is not padded.
	if got := r.reject("legacy", true, 80*time.Millisecond); got != 80*time.Millisecond {
		t.Fatalf("slow rejection took %v, want 80 ms", got)
	}
}

// TestEqualizerIgnoresCheapFlood is the attack: wrong passwords for
// users with cheap hashes must not pull the padding below the cost of the
// tenant's costliest hash format, as a median or a percentile of a window
// would.
func TestEqualizerIgnoresCheapFlood(t *testing.T) {
	r := newRig(newTimingStore())
	for range 3 {
		r.login("legacy", true, 60*time.Millisecond)
		r.now = r.now.Add(time.Minute)
	}
	for range 1000 {
		r.login("legacy", true, 2*time.Millisecond)
		r.now = r.now.Add(5 * time.Second)
	}
	if got := r.reject("legacy", true, 2*time.Millisecond); !within(got, 60*time.Millisecond) {
		t.Fatalf("unknown user took %v after a flood of cheap verifications, want 60 ms", got)
	}
}

func TestEqualizerOutliersAndRetention(t *testing.T) {
	r := newRig(newTimingStore())
	for range 3 {
		r.login("legacy", true, 60*time.Millisecond)
	}
	// Slow logins of a loaded moment, spread out, raise the padding for
	// loneRetention only, no higher than the ceiling, and by sleep: the
	// dummy work stays what the vouched 60 ms hold.
	for _, d := range []time.Duration{150, 200, 300, 500} {
		r.login("legacy", true, d*time.Millisecond)
	}
	worked := int((binUpper(binOf(60*time.Millisecond)) - 2*time.Millisecond) / testUnit)
	if got := r.reject("legacy", true, 2*time.Millisecond); got != testCeiling || r.dummies != worked {
		t.Fatalf("right after scattered outliers: %v with %d dummy verifications, want the ceiling %v with %d", got, r.dummies, testCeiling, worked)
	}
	r.now = r.now.Add(loneRetention)
	if got := r.reject("legacy", true, 2*time.Millisecond); !within(got, 60*time.Millisecond) {
		t.Fatalf("an hour after scattered outliers: %v, want 60 ms", got)
	}
	// Three in one band do, for the week: a format that costs that much.
	for range 2 {
		r.login("legacy", true, 200*time.Millisecond)
	}
	r.now = r.now.Add(loneRetention)
	if got := r.reject("legacy", true, 2*time.Millisecond); !within(got, 200*time.Millisecond) {
		t.Fatalf("after three logins of 200 ms: %v, want 200 ms", got)
	}
	// After binRetention without verifications, back to the ceiling.
	r.now = r.now.Add(binRetention)
	if got := r.reject("legacy", true, 2*time.Millisecond); got != testCeiling {
		t.Fatalf("after binRetention: %v, want the ceiling", got)
	}
}

// TestEqualizerNewCostlierFormat is make bench's hosted form row: a
// migrating tenant has verified cheap legacy hashes (salted SHA-256) enough
// to vouch for them, then its first bcrypt one. From that first one, unknown
// users wait as long as its wrong passwords, not only once the bcrypt cost
// has minBinHits samples.
func TestEqualizerNewCostlierFormat(t *testing.T) {
	r := newRig(newTimingStore())
	for range minBinHits {
		r.login("legacy", true, 4*time.Millisecond)
	}
	if got := r.reject("legacy", true, 2*time.Millisecond); got != testUnit {
		t.Fatalf("unknown user after cheap verifications: %v, want the dummy verification's %v", got, testUnit)
	}
	const bcrypt = 60 * time.Millisecond
	if got := r.wrongPassword("legacy", true, bcrypt); got != bcrypt {
		t.Fatalf("the first bcrypt wrong password took %v, want its own %v", got, bcrypt)
	}
	for i := 1; i <= minBinHits; i++ {
		r.now = r.now.Add(time.Millisecond) // the next request
		got := r.reject("legacy", true, 2*time.Millisecond)
		if !within(got, bcrypt) {
			t.Fatalf("unknown user after %d bcrypt verifications: %v, want %v", i, got, bcrypt)
		}
		// Dummy work up to what is vouched for, the rest sleep until
		// minBinHits bcrypt verifications vouch for it.
		want := 0
		if i == minBinHits {
			want = int((binUpper(binOf(bcrypt)) - 2*time.Millisecond) / testUnit)
		}
		if r.dummies != want {
			t.Fatalf("unknown user after %d bcrypt verifications: %d dummy verifications, want %d", i, r.dummies, want)
		}
		if i < minBinHits {
			r.now = r.now.Add(time.Millisecond)
			if got := r.wrongPassword("legacy", true, bcrypt); !within(got, bcrypt) {
				t.Fatalf("bcrypt wrong password %d took %v, want %v", i+1, got, bcrypt)
			}
		}
	}
	// A lone cost above the ceiling raises the padding to the ceiling only.
	r2 := newRig(newTimingStore())
	for range minBinHits {
		r2.login("legacy", true, 4*time.Millisecond)
	}
	r2.login("legacy", true, time.Second)
	if got := r2.reject("legacy", true, 2*time.Millisecond); got != testCeiling {
		t.Fatalf("after a lone 1 s verification: %v, want the ceiling %v", got, testCeiling)
	}
	// A local rejection knows nothing of it.
	if got := r2.reject("legacy", false, 2*time.Millisecond); got != testUnit {
		t.Fatalf("local rejection after a lone 1 s legacy verification: %v, want %v", got, testUnit)
	}
}

func TestEqualizerTenantsAndKinds(t *testing.T) {
	r := newRig(newTimingStore())
	for range minBinHits {
		r.login("a", false, 40*time.Millisecond)
		r.login("b", true, 90*time.Millisecond)
	}
	if got := r.reject("a", false, time.Millisecond); !within(got, 40*time.Millisecond) {
		t.Fatalf("tenant a local: %v, want 40 ms", got)
	}
	// Local rejections of tenant b know nothing of its legacy logins...
	if got := r.reject("b", false, time.Millisecond); got != testUnit {
		t.Fatalf("tenant b local: %v, want %v", got, testUnit)
	}
	// ...and legacy ones take the greater of both.
	for range minBinHits {
		r.login("b", false, 120*time.Millisecond)
	}
	if got := r.reject("b", true, time.Millisecond); !within(got, 120*time.Millisecond) {
		t.Fatalf("tenant b legacy: %v, want 120 ms", got)
	}
	r.forget("b")
	if got := r.reject("b", true, time.Millisecond); got != testCeiling {
		t.Fatalf("a forgotten tenant: %v, want the ceiling", got)
	}
}

func TestEqualizerKeepsCalibrationAcrossRestarts(t *testing.T) {
	store := newTimingStore()
	r := newRig(store)
	for range 50 {
		r.login("legacy", true, 60*time.Millisecond)
		r.login("legacy", false, 30*time.Millisecond)
	}
	if store.puts != 0 {
		t.Fatalf("%d writes before the flush: the calibration must be written behind, not per login", store.puts)
	}
	r.close()
	if store.puts != 1 {
		t.Fatalf("%d writes for one tenant's flush, want 1", store.puts)
	}

	// A new process, an hour later: its first rejection is padded right.
	r2 := newRig(store)
	r2.now = r.now.Add(time.Hour)
	if got := r2.reject("legacy", true, 2*time.Millisecond); !within(got, 60*time.Millisecond) {
		t.Fatalf("first legacy rejection after a restart: %v, want 60 ms", got)
	}
	if got := r2.reject("legacy", false, 2*time.Millisecond); !within(got, 30*time.Millisecond) {
		t.Fatalf("first local rejection after a restart: %v, want 30 ms", got)
	}
	// Restores do not drift: stored bins go back where they were.
	r2.login("legacy", true, time.Millisecond)
	r2.close()
	r3 := newRig(store)
	r3.now = r2.now
	if got := r3.reject("legacy", true, 2*time.Millisecond); !within(got, 60*time.Millisecond) {
		t.Fatalf("after a second restart: %v, want 60 ms", got)
	}
}

func TestTimingBins(t *testing.T) {
	for d := binBase / 2; d < 3*maxPadding; d = d*21/20 + 7 {
		i := binOf(d)
		up := binUpper(i)
		if d <= maxPadding && (up < d || (i > 0 && binUpper(i-1) >= d)) {
			t.Fatalf("%v in bin %d of upper bound %v (previous %v)", d, i, up, binUpper(i-1))
		}
		if i > maxBin {
			t.Fatalf("%v in bin %d beyond the last bin %d", d, i, maxBin)
		}
		var h costHistogram
		h.restore([]TimingBin{{Upper: up, Hits: 1}})
		if h[i] == nil {
			t.Fatalf("bin %d (upper %v) restored elsewhere: %v", i, up, h)
		}
	}
}

// TestEqualizerUnitOutgrowsBusyStart: the cost of a dummy verification,
// measured at start on a busy machine, comes down to the fastest seen as
// flushes time more.
func TestEqualizerUnitOutgrowsBusyStart(t *testing.T) {
	calls := 0
	e := newEqualizer(newTimingStore(), slog.New(slog.DiscardHandler), time.Now, nil, nil)
	e.dummy = func(context.Context) error {
		calls++
		if calls <= 2 {
			time.Sleep(50 * time.Millisecond) // busy at start
		}
		return nil
	}
	e.unit = e.measuredUnit
	if u := e.unit(); u < 50*time.Millisecond {
		t.Fatalf("unit at start %v, want at least the 50 ms of a busy start", u)
	}
	e.flush()
	if u := e.unit(); u >= 50*time.Millisecond {
		t.Fatalf("unit after a flush on an idle machine %v, want less than 50 ms", u)
	}
}

// TestEqualizerConcurrent observes, pads, flushes and forgets from many
// goroutines at once, for the race detector.
func TestEqualizerConcurrent(t *testing.T) {
	store := newTimingStore()
	e := newEqualizer(store, slog.New(slog.DiscardHandler), time.Now, nil, func() time.Duration { return time.Millisecond })
	e.sleep = func(context.Context, time.Duration) {}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			ctx := context.Background()
			tenant := []string{"a", "b"}[g%2]
			for i := range 200 {
				start := time.Now()
				e.observe(ctx, tenant, i%2 == 0, start.Add(-time.Duration(i)*time.Microsecond))
				e.pad(ctx, tenant, true, start)
				switch i % 50 {
				case 0:
					e.flush()
				case 49:
					e.forget(tenant)
				}
			}
		})
	}
	wg.Wait()
	e.close()
	if store.puts == 0 {
		t.Fatal("nothing was written")
	}
}

// failingStore fails reads until told otherwise.
type failingStore struct {
	*timingStore
	fail bool
}

func (s *failingStore) GetLoginTiming(ctx context.Context, tenant string) (*LoginTiming, error) {
	if s.fail {
		return nil, context.Canceled
	}
	return s.timingStore.GetLoginTiming(ctx, tenant)
}

// TestEqualizerReadErrorIsNotCached: a failed read (a client gone during the
// first login after a start) pads that rejection to the ceiling, and the
// stored calibration is read again, not overwritten, later.
func TestEqualizerReadErrorIsNotCached(t *testing.T) {
	store := &failingStore{timingStore: newTimingStore(), fail: true}
	store.m["legacy"] = &LoginTiming{Legacy: []TimingBin{{Upper: binUpper(binOf(60 * time.Millisecond)), Hits: 5, Last: time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)}}}
	r := newRig(store.timingStore)
	r.store = store
	if got := r.reject("legacy", true, 2*time.Millisecond); got != testCeiling {
		t.Fatalf("rejection after a failed read: %v, want the ceiling", got)
	}
	store.fail = false
	if got := r.reject("legacy", true, 2*time.Millisecond); !within(got, 60*time.Millisecond) {
		t.Fatalf("rejection after the store recovered: %v, want the stored 60 ms", got)
	}
}

// TestEqualizerDummyWorkLeavesOutWaits: an unknown user and a wrong
// password whose verification waited for a slot or processor turns (another
// tenant's hashes computing) do the same dummy work: the count is taken
// against the request's work, the measure its verification records, not
// against its time with the waits. And a verification that waited records
// its work, not its wait.
func TestEqualizerDummyWorkLeavesOutWaits(t *testing.T) {
	r := newRig(newTimingStore())
	var waited time.Duration
	r.waited = func(context.Context) time.Duration { return waited }
	for range minBinHits {
		r.login("local", false, 50*time.Millisecond)
	}
	// Unknown user: its own dummy verification, unit long, then padding.
	r.reject("local", false, testUnit)
	unknown := r.dummies
	if want := int((binUpper(binOf(50*time.Millisecond)) - testUnit) / testUnit); unknown != want {
		t.Fatalf("unknown user: %d dummy verifications, want %d", unknown, want)
	}
	// Wrong password: its verification computed for unit but waited 25 ms
	// for turns.
	waited = 25 * time.Millisecond
	start := r.now
	r.now = r.now.Add(testUnit + waited)
	r.observe(context.Background(), "local", false, start)
	r.dummies, r.slept = 0, 0
	r.pad(context.Background(), "local", false, start)
	if r.dummies != unknown {
		t.Fatalf("wrong password whose verification waited %v: %d dummy verifications, the unknown user's %d", waited, r.dummies, unknown)
	}
	// Its sample is its work: a second such verification and a third make
	// the unit's bin vouched for, never a bin of unit+wait.
	w := r.window(context.Background(), "local")
	if b := w.local[binOf(testUnit+waited)]; b != nil {
		t.Fatalf("a verification that waited %v recorded %v with the wait", waited, b.Upper)
	}
	if b := w.local[binOf(testUnit)]; b == nil || b.Hits != 1 {
		t.Fatalf("a verification of %v that waited recorded %+v in its work's bin, want one hit", testUnit, b)
	}
}

// TestEqualizerOwnHashIsOneUnit: an unknown user whose dummy verification
// took a little longer than the unit and a wrong password whose
// verification took a little less do the same dummy work: a request's own
// argon2id hash counts as one unit, not by its time (counted by time, the
// two land on either side of a whole unit and differ by a verification).
func TestEqualizerOwnHashIsOneUnit(t *testing.T) {
	r := newRig(newTimingStore())
	var own time.Duration
	units := 1.0
	r.hashed = func(context.Context) (float64, time.Duration) { return units, own }
	for range minBinHits {
		r.login("local", false, 50*time.Millisecond)
	}
	measured := binUpper(binOf(50 * time.Millisecond))
	const other = 300 * time.Microsecond // the store's reads
	// The own hash that leaves exactly four units of dummy work by time.
	edge := measured - other - 4*testUnit
	want := int((measured-other)/testUnit) - 1
	for _, c := range []struct {
		name string
		own  time.Duration
	}{{"unknown user, dummy a little slow", edge + 200*time.Microsecond}, {"wrong password, verification a little fast", edge - 200*time.Microsecond}} {
		own = c.own
		r.reject("local", false, other+own)
		if r.dummies != want {
			t.Errorf("%s (%v): %d dummy verifications, want %d", c.name, own, r.dummies, want)
		}
	}
	// A wrong password of a user whose hash has older, costlier parameters
	// (two units) does one fewer, or it would stand out by a unit.
	units, own = 2, 2*testUnit
	r.reject("local", false, other+own)
	if r.dummies != want-1 {
		t.Errorf("wrong password of a hash of two units: %d dummy verifications, want %d", r.dummies, want-1)
	}
}
