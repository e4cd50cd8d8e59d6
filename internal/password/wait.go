package password

import (
	"context"
	"sync/atomic"
	"time"
)

type waitKey struct{}

// waitMeter adds up how long one request's hashes waited for a slot and,
// once in one, for their processor turns; and how much argon2id hashing
// the request did (see Hashed), and for how long, waits left out.
type waitMeter struct{ ns, milliUnits, hashing atomic.Int64 }

// WithWaitMeter returns a context whose hashing calls add the time they wait
// for a slot, and for processor turns between the segments of their hash,
// to a meter that Waited reads. The login's timing equalizer uses it to
// record what a verification costs, not how long the queue was or how
// long other tenants' hashes computed in between.
func WithWaitMeter(ctx context.Context) context.Context {
	return context.WithValue(ctx, waitKey{}, &waitMeter{})
}

// Waited returns how long the hashing calls made with ctx have waited for a
// slot or a turn so far; zero without WithWaitMeter.
func Waited(ctx context.Context) time.Duration {
	if m, ok := ctx.Value(waitKey{}).(*waitMeter); ok {
		return time.Duration(m.ns.Load())
	}
	return 0
}

// addWait adds d to ctx's meter, if it has one.
func addWait(ctx context.Context, d time.Duration) {
	if m, ok := ctx.Value(waitKey{}).(*waitMeter); ok && d > 0 {
		m.ns.Add(int64(d))
	}
}

// Hashed returns how much argon2id hashing the calls made with ctx have
// done so far, in hashes with the hasher's parameters (a hash with other
// parameters counts by its memory times its passes), and how long it took,
// less its waits for a turn; zero without WithWaitMeter. The login's
// equalizer counts a request's own hashes as that many units of dummy
// work, whatever they took.
func Hashed(ctx context.Context) (units float64, took time.Duration) {
	if m, ok := ctx.Value(waitKey{}).(*waitMeter); ok {
		return float64(m.milliUnits.Load()) / 1000, time.Duration(m.hashing.Load())
	}
	return 0, 0
}

// addHash counts a hash of units that took d, waits left out, on ctx's
// meter, if it has one.
func addHash(ctx context.Context, units float64, d time.Duration) {
	if m, ok := ctx.Value(waitKey{}).(*waitMeter); ok {
		m.milliUnits.Add(int64(units*1000 + 0.5))
		m.hashing.Add(int64(max(d, 0)))
	}
}
