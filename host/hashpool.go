package host

import (
	"context"
	"errors"
	goruntime "runtime"

	"github.com/wasmauth/wasmauth/host/legacyhash"
	"github.com/wasmauth/wasmauth/internal/fairshare"
)

// hashPool runs verify_password's hashes apart from the server's own
// password hashing: bounded in number and in working memory, each tenant to
// half of both, shared fairly between tenants (fairshare).
type hashPool struct {
	pool *fairshare.Pool
}

func newHashPool(cfg Config) *hashPool {
	if cfg.LegacyHashes <= 0 {
		cfg.LegacyHashes = goruntime.GOMAXPROCS(0)
	}
	if cfg.LegacyHashMemory <= 0 {
		cfg.LegacyHashMemory = 2 * legacyhash.MaxMemory
	}
	return &hashPool{pool: fairshare.New(fairshare.Config{Slots: cfg.LegacyHashes, Memory: cfg.LegacyHashMemory})}
}

// errNoHashSlot is the failure of a hash that could not start in time to
// finish within its call.
var errNoHashSlot = errors.New("host: no legacy hash slot in time to finish within the call's deadline")

// acquire takes a slot and the memory of a hash of the given cost for
// tenant, waiting no later than the hash could still finish within ctx.
func (p *hashPool) acquire(ctx context.Context, tenant string, cost legacyhash.Cost) (release func(), err error) {
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-cost.Time))
		defer cancel()
	}
	release, err = p.pool.Acquire(ctx, tenant, cost.Memory)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, errNoHashSlot
	}
	return release, err
}
