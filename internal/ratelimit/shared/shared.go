// Package shared makes rate limits count across every node that shares a
// store. A Limiter keeps the in-memory ratelimit.Limiter as a mirror and a
// Backend (PostgreSQL or Redis) as the truth:
//
//   - Allow asks the mirror only: no round trip on the login path.
//   - Fail counts in the backend, one round trip for all of a login's keys,
//     and copies the keys' new states into the mirror. A key that the
//     failure blocks is announced to every node (NOTIFY or PUBLISH in the
//     same round trip), whose mirrors then block it too.
//   - Take (registrations) counts and decides in the backend, one round trip.
//   - Reset clears the mirror, and the backend when this node counted the
//     key (a success after failures elsewhere leaves their count to decay).
//
// When the backend fails, the limiter falls back to its mirror, so a node
// cut off from the store still limits what it sees, and logs the failure.
package shared

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/wasmauth/wasmauth/internal/ratelimit"
)

// Key is a key with the cost of its rule.
type Key struct {
	Key string
	ratelimit.Cost
}

// Backend is a counter that several nodes share. Times are tats (the
// ratelimit.State Until of a key).
type Backend interface {
	// Fail counts one failure at now for each key and returns their new
	// tats, in order. It announces to Subscribe the keys it blocks.
	Fail(ctx context.Context, now time.Time, keys []Key) ([]time.Time, error)
	// Take counts one event at now for key unless it is blocked, and
	// returns its tat: the new one when ok, the blocking one otherwise.
	Take(ctx context.Context, now time.Time, key Key) (tat time.Time, ok bool, err error)
	// Reset forgets keys.
	Reset(ctx context.Context, keys []string) error
	// Subscribe calls blocked with the keys any node's Fail blocks until
	// ctx ends, listening again after a lost connection. Each time it
	// starts listening it hands blocked the stored states too, and then
	// calls listening.
	Subscribe(ctx context.Context, blocked func([]ratelimit.State), listening func())
}

// callTimeout bounds one backend call; past it the mirror decides.
const callTimeout = 2 * time.Second

// Limiter is a rate limiter whose counts are shared through a Backend. It
// is safe for concurrent use.
type Limiter struct {
	mirror  *ratelimit.Limiter
	backend Backend
	log     *slog.Logger
	cancel  context.CancelFunc
	done    chan struct{}
	ready   chan struct{} // closed once the mirror listens and holds the stored states
	once    sync.Once
}

// New returns a Limiter over mirror (which holds the rules) and backend,
// listening for other nodes' blocks until Close.
func New(mirror *ratelimit.Limiter, backend Backend, log *slog.Logger) *Limiter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Limiter{mirror: mirror, backend: backend, log: log, cancel: cancel, done: make(chan struct{}), ready: make(chan struct{})}
	go func() {
		defer close(l.done)
		backend.Subscribe(ctx, func(states []ratelimit.State) {
			mirror.Restore(time.Now(), states)
		}, func() { l.once.Do(func() { close(l.ready) }) })
	}()
	return l
}

// Ready waits until the mirror listens and holds the stored states (so
// that a node just started blocks what is blocked), or ctx ends.
func (l *Limiter) Ready(ctx context.Context) error {
	select {
	case <-l.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops listening.
func (l *Limiter) Close() {
	l.cancel()
	<-l.done
}

// Allow reports whether none of keys is blocked, from the mirror.
func (l *Limiter) Allow(now time.Time, keys ...string) (time.Duration, bool) {
	return l.mirror.Allow(now, keys...)
}

// Fail counts one failure for each of keys in the backend, and in the
// mirror.
func (l *Limiter) Fail(now time.Time, keys ...string) {
	ks := l.keys(keys)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	tats, err := l.backend.Fail(ctx, now, ks)
	if err != nil {
		l.log.Warn("counting a failure in the shared rate limits failed; counting on this node only", "err", err)
		l.mirror.Fail(now, keys...)
		return
	}
	// The mirror takes the backend's state (and Tracks then knows the key);
	// it does not count again, as the failure may have reached it already
	// through the announcement of a block.
	states := make([]ratelimit.State, len(ks))
	for i, k := range ks {
		states[i] = ratelimit.State{Key: k.Key, Until: tats[i]}
	}
	l.mirror.Restore(now, states)
}

// Take counts one event for key unless it is blocked, in the backend.
func (l *Limiter) Take(now time.Time, key string) (time.Duration, bool) {
	ks := l.keys([]string{key})
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	tat, ok, err := l.backend.Take(ctx, now, ks[0])
	if err != nil {
		l.log.Warn("counting in the shared rate limits failed; counting on this node only", "err", err)
		return l.mirror.Take(now, key)
	}
	if ok {
		return 0, true
	}
	return max(tat.Sub(now)-ks[0].Tolerance, time.Nanosecond), false
}

// Reset forgets keys in the mirror, and in the backend those the mirror
// had.
func (l *Limiter) Reset(keys ...string) {
	var known []string
	for _, k := range keys {
		if l.mirror.Tracks(k) {
			known = append(known, k)
		}
	}
	l.mirror.Reset(keys...)
	if len(known) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := l.backend.Reset(ctx, known); err != nil {
		l.log.Warn("resetting shared rate limits failed", "err", err)
	}
}

// keys returns keys with their costs; it panics on a key without a rule,
// as ratelimit.Limiter does.
func (l *Limiter) keys(keys []string) []Key {
	out := make([]Key, len(keys))
	for i, k := range keys {
		c, ok := l.mirror.Cost(k)
		if !ok {
			l.mirror.Allow(time.Time{}, k) // panics with the missing prefix
		}
		out[i] = Key{Key: k, Cost: c}
	}
	return out
}
