package pgstore

import (
	"context"
	"errors"
	"time"
)

// deletedChannel carries the id of each deleted tenant; a trigger on
// tenants sends it when the deleting transaction commits.
const deletedChannel = "wasmauth_tenant_deleted"

// Timing of Watch.
const (
	// watchCheck is how long Watch waits for a notification before it
	// checks that its connection still works: a connection lost without a
	// word (a dropped network path) is noticed within this time.
	watchCheck = 30 * time.Second
	// watchRetry spaces the attempts to listen again after a failure.
	watchRetry = time.Second
)

// Watch calls deleted with the id of every tenant deleted through any store
// sharing the database, until ctx ends or the store is closed. Notifications sent while Watch was
// not listening (its connection was lost) are gone: after listening again
// it calls resync, so the caller can check what it keeps against the store.
func (s *Store) Watch(ctx context.Context, deleted func(tenant string), resync func()) {
	s.watch(ctx, deletedChannel, deleted, resync, false)
}

// watch calls notified with the payload of every notification on channel
// until ctx ends or the store is closed, and resync after listening again
// following a lost connection (and, when atStart, after listening first).
func (s *Store) watch(ctx context.Context, channel string, notified func(payload string), resync func(), atStart bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	first := true
	for ctx.Err() == nil {
		err := s.listen(ctx, channel, notified, func() {
			if !first || atStart {
				resync()
			}
			first = false
		})
		if ctx.Err() != nil {
			return
		}
		s.logger.Warn("pgstore: listening for notifications failed; retrying", "channel", channel, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(watchRetry):
		}
	}
}

// listen holds one connection out of the pool, listens on channel and
// calls notified for each notification until the connection fails or ctx
// ends. listening runs once the connection listens.
func (s *Store) listen(ctx context.Context, channel string, notified func(string), listening func()) error {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pc.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	listening()
	for {
		wctx, cancel := context.WithTimeout(ctx, watchCheck)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			notified(n.Payload)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			if err := conn.Ping(ctx); err != nil {
				return err
			}
		default:
			return err
		}
	}
}
