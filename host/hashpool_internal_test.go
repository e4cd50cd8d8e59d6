package host

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/host/legacyhash"
)

// TestHashPoolWaitsOnlyWhileTheHashCanFinish: with the pool's one slot
// taken, a hash of 200 ms in a call with 300 ms left gives up after about
// 100 ms, when it could no longer finish in time.
func TestHashPoolWaitsOnlyWhileTheHashCanFinish(t *testing.T) {
	p := newHashPool(Config{LegacyHashes: 1})
	cost := legacyhash.Cost{Time: 200 * time.Millisecond}
	release, err := p.acquire(context.Background(), "a", cost)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := p.acquire(ctx, "b", cost); !errors.Is(err, errNoHashSlot) {
		t.Fatalf("err = %v, want errNoHashSlot", err)
	}
	if took := time.Since(start); took > 250*time.Millisecond {
		t.Fatalf("gave up after %v, past the time the hash could still finish", took)
	}
	if ctx.Err() != nil {
		t.Fatal("the call's own context ended first")
	}
}
