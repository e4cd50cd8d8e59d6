package host

import (
	"context"
	"fmt"
	"time"

	"github.com/wasmauth/wasmauth/host/legacyhash"
)

// LegacyHashes is the pool verify_password hashes in. The server checks
// imported users' legacy hashes in it too (Verify), so that those first
// logins share the same bounds, cost caps and fair queue as the guests'.
type LegacyHashes struct {
	pool *hashPool
}

// NewLegacyHashes returns a pool bounded as cfg says; pass it to
// Instantiate in Config.Hashes.
func NewLegacyHashes(cfg Config) *LegacyHashes {
	return &LegacyHashes{pool: newHashPool(cfg)}
}

// Check reports whether hash is in a format the host verifies, within the
// cost caps and the pool's memory: nil, an error wrapping
// legacyhash.ErrTooExpensive, or the format error. It hashes nothing.
func (h *LegacyHashes) Check(hash []byte) error {
	_, err := h.pool.check(context.Background(), hash, nil)
	return err
}

// Verify checks pw against a legacy hash for tenant, within tenant's share
// of the pool, as verify_password does. The error wraps
// legacyhash.ErrTooExpensive, is the format error of a hash the host does
// not know, or says that no slot freed in time for ctx.
func (h *LegacyHashes) Verify(ctx context.Context, tenant string, hash, pw []byte) (bool, error) {
	cost, err := h.pool.check(ctx, hash, pw)
	if err != nil {
		return false, err
	}
	r, overload := h.pool.run(ctx, tenant, cost, hash, pw)
	switch {
	case overload != nil:
		return false, overload
	case r.err == nil && ctx.Err() != nil && !r.done:
		return false, ctx.Err()
	}
	return r.ok, r.err
}

// noTimeError is the failure of a hash that would outlast its call.
type noTimeError struct{ need, left time.Duration }

func (e *noTimeError) Error() string {
	return fmt.Sprintf("the hash would take about %v, more than the %v left of the call", e.need.Round(time.Millisecond), e.left.Round(time.Millisecond))
}

func (e *noTimeError) Unwrap() error { return legacyhash.ErrTooExpensive }

// check estimates a hash's cost and refuses up front what the caps, the
// pool's memory or ctx's remaining time cannot fit: bcrypt, scrypt and
// argon2 cannot be stopped once they run.
func (p *hashPool) check(ctx context.Context, hash, pw []byte) (legacyhash.Cost, error) {
	cost, err := legacyhash.Estimate(hash, pw)
	if err != nil {
		return cost, err
	}
	if deadline, ok := ctx.Deadline(); ok && cost.Time > time.Until(deadline) {
		return cost, &noTimeError{need: cost.Time, left: time.Until(deadline)}
	}
	if !p.pool.Fits(cost.Memory) {
		return cost, legacyhash.ErrTooExpensive
	}
	return cost, nil
}

// hashResult is the outcome of one hash; done is false when ctx ended
// before it did.
type hashResult struct {
	ok   bool
	err  error
	done bool
}

// run takes a slot for tenant and verifies pw against hash in it. overload
// is set when no slot freed in time while ctx was still running.
func (p *hashPool) run(ctx context.Context, tenant string, cost legacyhash.Cost, hash, pw []byte) (r hashResult, overload error) {
	release, err := p.acquire(ctx, tenant, cost)
	if err != nil {
		if ctx.Err() == nil {
			return r, err
		}
		return r, nil
	}
	done := make(chan hashResult, 1)
	go func() {
		// The hash keeps its slot and memory until it really ends, even
		// after its call has: the pool's bounds hold. The schemes that
		// can be stopped stop with the call.
		defer release()
		ok, err := legacyhash.VerifyContext(ctx, hash, pw)
		done <- hashResult{ok: ok, err: err, done: true}
	}()
	select {
	case r = <-done:
	case <-ctx.Done():
	}
	return r, nil
}
