package auth

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmauth/wasmauth/internal/password"
)

// equalizer evens out the time of rejected logins, so that an unknown user
// and a wrong password take the same time, from the first request after a
// start and whatever the tenant's mix of hash formats.
//
// Each tenant keeps a histogram of the durations of its logins that verified
// a password hash, local and legacy apart (see costHistogram). A rejection is
// padded up to the costliest verification the histogram vouches for (a
// legacy one up to a costlier one seen within the hour too, so that a new
// hash format's first verification raises it at once); a tenant whose module
// has verified nothing yet is padded to a safe ceiling, and no rejection
// takes less than a dummy argon2id verification. The histograms are written
// to the store in the background and read back on a tenant's first login
// after a start.
//
// Up to the measured cost, padding is dummy argon2id work through the
// hasher, which takes a hash slot and the CPU as a real verification does,
// so that under load a padded rejection slows down as a verifying one does;
// the rest, and the whole of a ceiling or a cost not yet vouched for, is
// sleep. RATIONALE.md says why.
type equalizer struct {
	store Store
	log   *slog.Logger
	now   func() time.Time
	// sleep waits for d or until ctx ends.
	sleep func(ctx context.Context, d time.Duration)
	// dummy costs one verification with the server's parameters (nil when
	// there is no hasher); unit returns what it costs on an idle machine.
	dummy func(ctx context.Context) error
	unit  func() time.Duration
	// waited returns how long the request's hashes have waited for a slot
	// or a processor turn (password.Waited): time that is not its work.
	waited func(ctx context.Context) time.Duration
	// hashed returns how much argon2id hashing the request has done, in
	// hashes with the server's parameters, and how long it took, waits
	// left out (password.Hashed).
	hashed func(ctx context.Context) (float64, time.Duration)
	// fastestDummy is the fastest dummy verification timed, in nanoseconds;
	// unitOnce times the first two.
	unitOnce     sync.Once
	fastestDummy atomic.Int64
	// ceiling is the padding of a migrating tenant's rejections before its
	// module has verified a legacy password.
	ceiling func() time.Duration

	// schedule runs f after d and returns a function that cancels it
	// (time.AfterFunc's Stop).
	schedule func(d time.Duration, f func()) (cancel func() bool)

	flushMu sync.Mutex // one flush at a time
	mu      sync.Mutex
	tenants map[string]*timingWindow
	dirty   map[string]bool
	pending func() bool // cancels the scheduled flush; nil when none
	closed  bool
}

type timingWindow struct {
	local, legacy costHistogram
}

// Tuning of the equalizer.
const (
	// maxPadding bounds how long a rejection is ever delayed.
	maxPadding = 2 * time.Second
	// DefaultLegacyCeiling pads a migrating tenant's rejections before its
	// module has verified a legacy password, when Deps.LegacyCeiling is nil:
	// about what the costliest legacy verifier at common framework defaults
	// (bcrypt cost 12, Django's PBKDF2-SHA256 with 1,000,000 iterations, PHP's
	// argon2id with 64 MiB and 4 passes) takes on a current server core.
	DefaultLegacyCeiling = 300 * time.Millisecond
	// maxDummyUnits bounds the dummy verifications of one rejection (at the
	// default argon2id parameters, about the cost of bcrypt at cost 12, the
	// costliest common default), so that a padding raised by a busy hour
	// costs sleep, not CPU, beyond that.
	maxDummyUnits = 8
	// timingFlushDelay is how long new samples wait before they are written
	// to the store, so that a burst of logins is one write per tenant.
	timingFlushDelay = 5 * time.Second
)

func newEqualizer(store Store, log *slog.Logger, now func() time.Time, hasher *password.Hasher, ceiling func() time.Duration) *equalizer {
	if ceiling == nil {
		ceiling = func() time.Duration { return DefaultLegacyCeiling }
	}
	e := &equalizer{
		store:   store,
		log:     log,
		now:     now,
		sleep:   sleepCtx,
		ceiling: ceiling,
		schedule: func(d time.Duration, f func()) func() bool {
			return time.AfterFunc(d, f).Stop
		},
		tenants: map[string]*timingWindow{},
		dirty:   map[string]bool{},
		unit:    func() time.Duration { return 0 },
		waited:  password.Waited,
		hashed:  password.Hashed,
	}
	if hasher != nil {
		e.dummy = func(ctx context.Context) error { return hasher.VerifyDummy(ctx, "dummy password") }
		e.unit = e.measuredUnit
		e.unit() // measured now, before the start's other work competes for the CPU
	}
	return e
}

// measuredUnit returns the fastest dummy verification timed so far: the
// cost of one verification with the server's parameters when nothing else
// competes for the CPU. The first call times two; each flush times one
// more, so that a start on a busy machine is outgrown.
func (e *equalizer) measuredUnit() time.Duration {
	e.unitOnce.Do(func() {
		e.timeDummy()
		e.timeDummy()
	})
	return time.Duration(e.fastestDummy.Load())
}

// timeDummy times one dummy verification, on the real clock, and keeps it
// if it is the fastest.
func (e *equalizer) timeDummy() {
	t0 := time.Now()
	if err := e.dummy(context.Background()); err != nil {
		return
	}
	d := int64(time.Since(t0))
	for {
		old := e.fastestDummy.Load()
		if old != 0 && old <= d || e.fastestDummy.CompareAndSwap(old, d) {
			return
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// window returns the tenant's histograms, reading them from the store on
// the tenant's first use. After a store error (or a request gone) it returns
// empty histograms for this once, which pad to the ceiling: slow rather
// than fast; the next call reads again.
func (e *equalizer) window(ctx context.Context, tenant string) *timingWindow {
	e.mu.Lock()
	w := e.tenants[tenant]
	e.mu.Unlock()
	if w != nil {
		return w
	}
	loaded := &timingWindow{}
	lt, err := e.store.GetLoginTiming(ctx, tenant)
	switch {
	case err == nil:
		loaded.local.restore(lt.Local)
		loaded.legacy.restore(lt.Legacy)
	case !errors.Is(err, ErrNotFound):
		if ctx.Err() == nil {
			e.log.Error("reading a tenant's login timing", "tenant", tenant, "err", err)
		}
		return loaded
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if w = e.tenants[tenant]; w == nil {
		w = loaded
		e.tenants[tenant] = w
	}
	return w
}

// observe records the duration, from start to now, of a login that verified
// a hash, less the time its hashes waited for a slot or a processor turn
// (spent): a burst that queues verifications, or another tenant's storm
// whose hashes take turns with this one's, must not raise every later
// rejection to the wait, and a padded rejection's dummy work queues for a
// slot and its turns as a real verification does.
func (e *equalizer) observe(ctx context.Context, tenant string, legacy bool, start time.Time) {
	w := e.window(ctx, tenant)
	now := e.now()
	d := e.spent(ctx, start, now)
	e.mu.Lock()
	defer e.mu.Unlock()
	if legacy {
		w.legacy.add(d, now)
	} else {
		w.local.add(d, now)
	}
	e.markDirty(tenant)
}

// spent is the work of the request that started at start, until now: its
// duration less its hashes' waits for a slot or a turn. A verification
// records it, and a rejection's dummy work is counted against it, so that
// an unknown user and a wrong password do the same dummy work whatever
// their own hash waited.
func (e *equalizer) spent(ctx context.Context, start, now time.Time) time.Duration {
	return max(now.Sub(start)-e.waited(ctx), 0)
}

// dummies returns how many dummy verifications pad a rejection of the
// request that started at start up to measured: as many units as fit after
// its work other than argon2id hashes (the store, a module), less one for
// each argon2id hash it computed (the unknown user's dummy, the wrong
// password's verification; a hash with costlier parameters counts for
// more), however long that took. Counting the
// request's own hash by its time would let an unknown user and a wrong
// password do a different number whenever their own hashes took a little
// more or less than the unit (the fastest dummy timed), which is most of
// the time, and a difference of one is a whole verification's time.
func (e *equalizer) dummies(ctx context.Context, start time.Time, measured, unit time.Duration) int {
	hashes, hashing := e.hashed(ctx)
	other := max(e.spent(ctx, start, e.now())-hashing, 0)
	return min(int(float64(measured-other)/float64(unit)-hashes), maxDummyUnits)
}

// target returns how long a rejection of the tenant that started at start
// should take, and how much of that is backed by measured verifications (and
// so may be padded with dummy work).
func (e *equalizer) target(ctx context.Context, tenant string, legacy bool, start time.Time) (pad, measured time.Duration) {
	w := e.window(ctx, tenant)
	unit := e.unit()
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	// An unknown user costs a dummy verification whatever the samples say.
	local, _, _ := w.local.target(now, start)
	pad = max(local, unit)
	measured = pad
	if legacy {
		if l, above, ok := w.legacy.target(now, start); ok {
			// A costlier verification seen lately but not yet vouched for
			// (a new hash format's first, or a slow moment) raises the
			// padding at once, by sleep, no higher than the ceiling.
			pad, measured = max(pad, l, min(above, e.ceiling())), max(measured, l)
		} else {
			pad = max(pad, e.ceiling())
		}
	}
	return min(pad, maxPadding), min(measured, maxPadding)
}

// pad delays a rejection until start+target, or until ctx ends: first with
// as many dummy verifications as fit into the measured cost on an idle
// machine after the request's own work (see dummies: its own hashes count
// as one unit each, its waits for a slot or a turn not at all), then with
// sleep. The count is fixed before the first one, so that on a busy machine
// they take longer, as a real verification would.
func (e *equalizer) pad(ctx context.Context, tenant string, legacy bool, start time.Time) {
	pad, measured := e.target(ctx, tenant, legacy, start)
	if unit := e.unit(); unit > 0 && e.dummy != nil {
		n := e.dummies(ctx, start, measured, unit)
		for ; n > 0 && ctx.Err() == nil; n-- {
			if err := e.dummy(ctx); err != nil {
				break // no hash slot in time: the rest is sleep
			}
		}
	}
	if wait := pad - e.now().Sub(start); wait > 0 {
		e.sleep(ctx, wait)
	}
}

// forget drops a tenant's samples, in memory; the store drops its own with
// the tenant.
func (e *equalizer) forget(tenant string) {
	e.mu.Lock()
	delete(e.tenants, tenant)
	delete(e.dirty, tenant)
	e.mu.Unlock()
}

// markDirty schedules a flush of the tenant's histograms. Call with e.mu held.
func (e *equalizer) markDirty(tenant string) {
	e.dirty[tenant] = true
	if e.pending == nil && !e.closed {
		e.pending = e.schedule(timingFlushDelay, e.flush)
	}
}

// flush writes the histograms of the tenants observed since the last flush.
func (e *equalizer) flush() {
	e.flushMu.Lock()
	defer e.flushMu.Unlock()
	e.mu.Lock()
	e.pending = nil
	batch := make(map[string]*LoginTiming, len(e.dirty))
	now := e.now()
	for tenant := range e.dirty {
		if w := e.tenants[tenant]; w != nil {
			batch[tenant] = &LoginTiming{Local: w.local.bins(now), Legacy: w.legacy.bins(now)}
		}
	}
	clear(e.dirty)
	remeasure := !e.closed
	e.mu.Unlock()
	if remeasure && e.dummy != nil && e.fastestDummy.Load() != 0 {
		e.timeDummy()
	}
	for tenant, lt := range batch {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := e.store.PutLoginTiming(ctx, tenant, lt)
		cancel()
		if err != nil && !errors.Is(err, ErrNotFound) { // a deleted tenant's are gone with it
			e.log.Error("storing a tenant's login timing", "tenant", tenant, "err", err)
		}
	}
}

// close writes what is pending and stops further background writes.
func (e *equalizer) close() {
	e.mu.Lock()
	e.closed = true
	if e.pending != nil {
		e.pending()
	}
	e.mu.Unlock()
	e.flush()
}

// LoginTiming is what a tenant's login-time equalizer has learned: how long
// its logins that verified a password took, local and legacy apart, as
// histogram bins. The store keeps it across restarts.
type LoginTiming struct {
	Local, Legacy []TimingBin
}

// TimingBin counts the verifying logins whose duration fell into one bin.
type TimingBin struct {
	// Upper is the bin's upper bound: every duration counted was at most Upper.
	Upper time.Duration
	// Hits is how many were counted.
	Hits int
	// Last is when the latest was counted.
	Last time.Time
}

// The histogram of verifying logins. Bin i holds durations up to
// binBase·binRatio^i; bins not hit within binRetention are dropped.
//
// A rejection is padded to the upper bound of the highest bin that was hit
// within binRetention and that, with the bandBins-1 bins above it (a fifth of
// the duration), was hit at least minBinHits times. That is the cost of the
// costliest hash format the tenant's logins have shown, near the fast edge of
// its samples (where an attacker who compares the fastest of several tries
// looks), and not a percentile of a window of recent logins: an attacker who
// guesses at users with cheap hashes fills the low bins but does not empty
// the high ones, and a format that few users have is covered as well as a
// common one. A slow moment raises the padding for the week only if it puts
// minBinHits logins into one band.
//
// A bin above that band hit within loneRetention raises a legacy rejection's
// padding too (up to the ceiling, by sleep): a tenant that has verified cheap
// hashes and then its first bcrypt one must not answer unknown users at the
// cheap cost until the bcrypt bin has minBinHits hits, for each of those
// wrong passwords would stand out. A slow moment costs sleep for an hour.
const (
	binBase       = 100 * time.Microsecond
	binRatio      = 1.05
	bandBins      = 5
	minBinHits    = 3
	binRetention  = 7 * 24 * time.Hour
	loneRetention = time.Hour
)

// maxBin is the bin of maxPadding; longer durations are counted there.
var maxBin = uncappedBin(maxPadding)

// binOf returns the bin of duration d.
func binOf(d time.Duration) int { return min(uncappedBin(d), maxBin) }

func uncappedBin(d time.Duration) int {
	if d <= binBase {
		return 0
	}
	return int(math.Ceil(math.Log(float64(d)/float64(binBase)) / math.Log(binRatio)))
}

// binUpper returns the upper bound of bin i.
func binUpper(i int) time.Duration {
	return time.Duration(math.Ceil(float64(binBase) * math.Pow(binRatio, float64(i))))
}

type costHistogram map[int]*costBin

// costBin is a bin and the time of its hit before Last, so that a request
// can leave its own sample out.
type costBin struct {
	TimingBin
	prev time.Time
}

func (h *costHistogram) add(d time.Duration, now time.Time) {
	if *h == nil {
		*h = costHistogram{}
	}
	i := binOf(d)
	b := (*h)[i]
	if b == nil || now.Sub(b.Last) > binRetention {
		b = &costBin{TimingBin: TimingBin{Upper: binUpper(i)}}
		(*h)[i] = b
	}
	b.Hits++
	b.prev, b.Last = b.Last, now
}

// target returns the padding the histogram vouches for, and above, the
// upper bound of the highest bin above the vouched band hit within
// loneRetention (0 when none); ok is false when no bin vouches for any. Both
// leave out the latest hit of a bin when it came after start (it may be the
// sample of the request being padded: a tenant's first verification is
// padded to the ceiling too, like any rejection before it).
func (h costHistogram) target(now, start time.Time) (d, above time.Duration, ok bool) {
	hits := make(map[int]int, len(h))
	lone := map[int]bool{}
	for i, b := range h {
		n, last := b.Hits, b.Last
		if !last.Before(start) {
			n, last = n-1, b.prev
		}
		if n > 0 && now.Sub(last) <= binRetention {
			hits[i] = n
			lone[i] = now.Sub(last) <= loneRetention
		}
	}
	top := -1
	for i := range hits {
		band := 0
		for j := i; j < i+bandBins; j++ {
			band += hits[j]
		}
		if band >= minBinHits && i > top {
			top = i
		}
	}
	if top < 0 {
		return 0, 0, false
	}
	for i, recent := range lone {
		if recent && i >= top+bandBins {
			above = max(above, h[i].Upper)
		}
	}
	return h[top].Upper, above, true
}

// bins returns the bins still within binRetention, lowest first.
func (h costHistogram) bins(now time.Time) []TimingBin {
	var out []TimingBin
	for i := range maxBin + 1 {
		if b := h[i]; b != nil && now.Sub(b.Last) <= binRetention {
			out = append(out, b.TimingBin)
		}
	}
	return out
}

// restore counts stored bins in (added to what is there).
func (h *costHistogram) restore(bins []TimingBin) {
	if *h == nil {
		*h = costHistogram{}
	}
	for _, sb := range bins {
		if sb.Hits <= 0 {
			continue
		}
		// The stored bound is the bound of one of these bins, give or take
		// rounding; one of another build's bins counts in the bin above it.
		i := int(math.Ceil(math.Log(float64(max(sb.Upper, binBase))/float64(binBase))/math.Log(binRatio) - 1e-3))
		i = min(i, maxBin)
		b := (*h)[i]
		if b == nil {
			b = &costBin{TimingBin: TimingBin{Upper: binUpper(i)}}
			(*h)[i] = b
		}
		b.Hits += sb.Hits
		if sb.Last.After(b.Last) {
			b.prev, b.Last = sb.Last, sb.Last
		}
	}
}
