package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/ratelimit"
	"github.com/wasmauth/wasmauth/internal/ratelimit/shared"
)

// blockedChannel carries "{base64 key} {tat ns}" for each rate limit key a
// failure blocks, so that every node's limiter blocks it too.
const blockedChannel = "wasmauth_rate_limit_blocked"

// RateLimits counts rate limits in the rate_limits table that every node
// shares: a shared.Backend.
type RateLimits struct{ s *Store }

var _ shared.Backend = RateLimits{}

// RateLimits returns the store's shared rate limit counter.
func (s *Store) RateLimits() RateLimits { return RateLimits{s} }

// failSQL counts one failure for a key (GCRA) and announces it when it
// blocks the key. $1 key, $2 now, $3 interval, $4 max, $5 tolerance.
const failSQL = `WITH u AS (
	INSERT INTO rate_limits AS r (key, until) VALUES ($1, $2::bigint + $3::bigint)
	ON CONFLICT (key) DO UPDATE SET until = LEAST(GREATEST(r.until, $2::bigint) + $3::bigint, $2::bigint + $4::bigint)
	RETURNING until)
SELECT until, (SELECT count(pg_notify('` + blockedChannel + `', encode($1::bytea, 'base64') || ' ' || until)) FROM u WHERE until - $5::bigint > $2::bigint)
FROM u`

// Fail implements shared.Backend: one round trip (a batch, in one
// transaction without waiting for the WAL flush, keys in order so that
// concurrent failures do not deadlock).
func (r RateLimits) Fail(ctx context.Context, now time.Time, keys []shared.Key) ([]time.Time, error) {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(keys[a].Key, keys[b].Key) })
	out := make([]time.Time, len(keys))
	err := retry(func() error {
		b := &pgx.Batch{}
		t := now.UnixNano()
		// A count lost in a crash of PostgreSQL costs little; waiting for
		// the WAL flush would cost every failed login a disk sync.
		b.Queue("BEGIN")
		b.Queue("SET LOCAL synchronous_commit = off")
		for _, i := range order {
			k := keys[i]
			b.Queue(failSQL, storedKey(k.Key), t, max(int64(k.Interval), 1), int64(k.Max), int64(k.Tolerance)).QueryRow(func(row pgx.Row) error {
				var until, notified int64
				if err := row.Scan(&until, &notified); err != nil {
					return err
				}
				out[i] = time.Unix(0, until)
				return nil
			})
		}
		b.Queue("COMMIT")
		return r.s.pool.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Take implements shared.Backend: one round trip, two when the key is
// blocked.
func (r RateLimits) Take(ctx context.Context, now time.Time, key shared.Key) (time.Time, bool, error) {
	t := now.UnixNano()
	var until int64
	err := r.s.pool.QueryRow(ctx, `INSERT INTO rate_limits AS r (key, until) VALUES ($1, $2::bigint + $3::bigint)
		ON CONFLICT (key) DO UPDATE SET until = GREATEST(r.until, $2::bigint) + $3::bigint
		WHERE r.until - $4::bigint <= $2::bigint
		RETURNING until`, storedKey(key.Key), t, max(int64(key.Interval), 1), int64(key.Tolerance)).Scan(&until)
	if err == nil {
		return time.Unix(0, until), true, nil
	}
	if err != pgx.ErrNoRows {
		return time.Time{}, false, mapErr(err)
	}
	err = r.s.pool.QueryRow(ctx, "SELECT until FROM rate_limits WHERE key = $1", storedKey(key.Key)).Scan(&until)
	if err != nil {
		return time.Time{}, false, mapErr(err)
	}
	return time.Unix(0, until), false, nil
}

// Reset implements shared.Backend.
func (r RateLimits) Reset(ctx context.Context, keys []string) error {
	bs := make([][]byte, len(keys))
	for i, k := range keys {
		bs[i] = storedKey(k)
	}
	_, err := r.s.pool.Exec(ctx, "DELETE FROM rate_limits WHERE key = ANY($1)", bs)
	return mapErr(err)
}

// Subscribe implements shared.Backend. Once it listens, at first and after
// a lost connection, it loads the stored states, so that no block made
// while it was not listening is missed.
func (r RateLimits) Subscribe(ctx context.Context, blocked func([]ratelimit.State), listening func()) {
	r.s.watch(ctx, blockedChannel, func(p string) {
		if st, ok := parseBlocked(p); ok {
			blocked([]ratelimit.State{st})
		}
	}, func() {
		defer listening()
		states, err := r.s.LoadRateLimits(ctx, time.Now())
		if err != nil {
			r.s.logger.Warn("pgstore: reloading rate limits failed", "err", err)
			return
		}
		out := make([]ratelimit.State, len(states))
		for i, st := range states {
			out[i] = ratelimit.State{Key: st.Key, Until: st.Until}
		}
		blocked(out)
	}, true)
}

// storedKey is the stored form of a limiter key: the key itself, or, past
// maxRateLimitKey bytes (which a notification could not carry), its
// prefix and a SHA-256 of it; such a key still counts across nodes, but
// only the node that blocks it hears of the block at once.
func storedKey(k string) []byte {
	if len(k) <= maxRateLimitKey {
		return []byte(k)
	}
	sum := sha256.Sum256([]byte(k))
	prefix, _, _ := strings.Cut(k, ":")
	return []byte(prefix + ":sha256:" + hex.EncodeToString(sum[:]))
}

// parseBlocked reads a blockedChannel payload.
func parseBlocked(p string) (ratelimit.State, bool) {
	k, v, ok := strings.Cut(p, " ")
	if !ok {
		return ratelimit.State{}, false
	}
	key, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(k, "\n", ""))
	if err != nil {
		return ratelimit.State{}, false
	}
	until, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return ratelimit.State{}, false
	}
	return ratelimit.State{Key: string(key), Until: time.Unix(0, until)}, true
}
