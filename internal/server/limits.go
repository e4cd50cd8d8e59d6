package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/ratelimit"
	"github.com/wasmauth/wasmauth/internal/ratelimit/shared"
	"github.com/wasmauth/wasmauth/internal/store/pgstore"
)

// The RateLimitStore settings besides a redis:// URL.
const (
	RateLimitMemory   = "memory"
	RateLimitPostgres = "postgres"
)

// limiterReadyWait bounds the wait at start for the shared rate limits.
const limiterReadyWait = 5 * time.Second

// openLimiter returns the rate limiter cfg.RateLimitStore names, over mem
// (which holds the rules, and is the limiter itself for "memory").
func (s *Server) openLimiter(ctx context.Context, mem *ratelimit.Limiter) (auth.Limiter, error) {
	setting := s.cfg.RateLimitStore
	pg, onPG := s.store.(*pgstore.Store)
	if setting == "" {
		setting = RateLimitMemory
		if onPG {
			setting = RateLimitPostgres
		}
	}
	var (
		backend      shared.Backend
		closeBackend = func() {}
	)
	switch {
	case setting == RateLimitMemory:
		return mem, nil
	case setting == RateLimitPostgres:
		if !onPG {
			return nil, fmt.Errorf("--rate-limit-store postgres needs a PostgreSQL --store")
		}
		backend = pg.RateLimits()
	case strings.HasPrefix(setting, "redis://"), strings.HasPrefix(setting, "rediss://"):
		r, err := shared.OpenRedis(ctx, setting, func(msg string, args ...any) { s.log.Warn(msg, args...) })
		if err != nil {
			return nil, fmt.Errorf("opening the rate limit store %s: %w", redactURL(setting), err)
		}
		backend, closeBackend = r, func() { r.Close() }
	default:
		return nil, fmt.Errorf("unknown rate limit store %q: want %q, %q or a redis:// URL", redactURL(setting), RateLimitMemory, RateLimitPostgres)
	}
	l := shared.New(mem, backend, s.log)
	s.closeLimiter = func() { l.Close(); closeBackend() }
	// A node starts with what is blocked already: wait (briefly) for the
	// mirror to listen and load the stored states.
	rctx, cancel := context.WithTimeout(ctx, limiterReadyWait)
	defer cancel()
	if err := l.Ready(rctx); err != nil {
		s.log.Warn("the shared rate limits are not loaded yet; starting anyway", "err", err)
	}
	return l, nil
}
