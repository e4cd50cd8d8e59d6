package shared

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasmauth/wasmauth/internal/ratelimit"
)

// Redis keys and channel. Tats are kept in Unix microseconds: Lua numbers
// are doubles, exact to 2^53.
const (
	redisPrefix  = "wasmauth:rl:"
	redisChannel = "wasmauth:rl:blocked"
)

// failScript counts one failure for each key (GCRA) and publishes the keys
// it blocks. ARGV: now, then interval, tolerance, max per key, in µs.
var failScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local out = {}
for i, k in ipairs(KEYS) do
  local iv, tol, mx = tonumber(ARGV[3*i-1]), tonumber(ARGV[3*i]), tonumber(ARGV[3*i+1])
  local tat = tonumber(redis.call('GET', k) or '0')
  local n = math.min(math.max(tat, now) + iv, now + mx)
  redis.call('SET', k, string.format('%d', n), 'PX', math.ceil((n - now) / 1000) + 1)
  if n - tol > now then redis.call('PUBLISH', '` + redisChannel + `', k .. ' ' .. string.format('%d', n)) end
  out[i] = n
end
return out
`)

// takeScript counts one event for KEYS[1] unless it is blocked; it returns
// {1, new tat} or {0, blocking tat}. ARGV: now, interval, tolerance.
var takeScript = redis.NewScript(`
local now, iv, tol = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat - tol > now then return {0, tat} end
local n = math.max(tat, now) + iv
redis.call('SET', KEYS[1], string.format('%d', n), 'PX', math.ceil((n - now) / 1000) + 1)
return {1, n}
`)

// Redis is a Backend in Redis: one EVALSHA per failure, blocks announced
// with PUBLISH.
type Redis struct {
	client *redis.Client
	log    func(msg string, args ...any)
}

// OpenRedis connects to the Redis at url (redis://host:port/db) and checks
// that it answers.
func OpenRedis(ctx context.Context, url string, warn func(msg string, args ...any)) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("rate limit store: %w", err)
	}
	c := redis.NewClient(opt)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("rate limit store: %w", err)
	}
	if warn == nil {
		warn = func(string, ...any) {}
	}
	return &Redis{client: c, log: warn}, nil
}

// Close closes the connections.
func (r *Redis) Close() error { return r.client.Close() }

func us(t time.Time) int64                { return t.UnixMicro() }
func usd(d time.Duration) int64           { return d.Microseconds() }
func fromUS(v int64) time.Time            { return time.UnixMicro(v) }
func redisKey(k string) string            { return redisPrefix + k }
func cutRedisKey(k string) (string, bool) { return strings.CutPrefix(k, redisPrefix) }

// Fail implements Backend.
func (r *Redis) Fail(ctx context.Context, now time.Time, keys []Key) ([]time.Time, error) {
	ks := make([]string, len(keys))
	args := make([]any, 0, 1+3*len(keys))
	args = append(args, us(now))
	for i, k := range keys {
		ks[i] = redisKey(k.Key)
		args = append(args, max(usd(k.Interval), 1), usd(k.Tolerance), usd(k.Max))
	}
	res, err := failScript.Run(ctx, r.client, ks, args...).Int64Slice()
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, len(res))
	for i, v := range res {
		out[i] = fromUS(v)
	}
	return out, nil
}

// Take implements Backend.
func (r *Redis) Take(ctx context.Context, now time.Time, key Key) (time.Time, bool, error) {
	res, err := takeScript.Run(ctx, r.client, []string{redisKey(key.Key)}, us(now), max(usd(key.Interval), 1), usd(key.Tolerance)).Int64Slice()
	if err != nil {
		return time.Time{}, false, err
	}
	if len(res) != 2 {
		return time.Time{}, false, fmt.Errorf("rate limit store: take answered %v", res)
	}
	return fromUS(res[1]), res[0] == 1, nil
}

// Reset implements Backend.
func (r *Redis) Reset(ctx context.Context, keys []string) error {
	ks := make([]string, len(keys))
	for i, k := range keys {
		ks[i] = redisKey(k)
	}
	return r.client.Del(ctx, ks...).Err()
}

// Subscribe implements Backend.
func (r *Redis) Subscribe(ctx context.Context, blocked func([]ratelimit.State), listening func()) {
	for ctx.Err() == nil {
		sub := r.client.Subscribe(ctx, redisChannel)
		if _, err := sub.Receive(ctx); err != nil { // the subscription's confirmation
			sub.Close()
			if ctx.Err() == nil {
				r.log("rate limit store: subscribing failed; retrying", "err", err)
				time.Sleep(time.Second)
			}
			continue
		}
		// Blocks made before the subscription: load the stored states.
		if err := r.load(ctx, blocked); err != nil && ctx.Err() == nil {
			r.log("rate limit store: loading the states failed", "err", err)
		}
		listening()
		ch := sub.Channel()
		for msg := range channelUntil(ctx, ch) {
			if st, ok := parseBlocked(msg.Payload); ok {
				blocked([]ratelimit.State{st})
			}
		}
		sub.Close()
	}
}

// load hands every stored state to blocked.
func (r *Redis) load(ctx context.Context, blocked func([]ratelimit.State)) error {
	iter := r.client.Scan(ctx, 0, redisPrefix+"*", 1000).Iterator()
	var keys []string
	flush := func() error {
		if len(keys) == 0 {
			return nil
		}
		vals, err := r.client.MGet(ctx, keys...).Result()
		if err != nil {
			return err
		}
		var states []ratelimit.State
		for i, v := range vals {
			s, ok := v.(string)
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(s, 10, 64)
			k, kok := cutRedisKey(keys[i])
			if err == nil && kok {
				states = append(states, ratelimit.State{Key: k, Until: fromUS(n)})
			}
		}
		blocked(states)
		keys = keys[:0]
		return nil
	}
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	return flush()
}

// channelUntil yields the messages of ch until ctx ends or ch closes.
func channelUntil(ctx context.Context, ch <-chan *redis.Message) func(func(*redis.Message) bool) {
	return func(yield func(*redis.Message) bool) {
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-ch:
				if !ok || !yield(m) {
					return
				}
			}
		}
	}
}

// parseBlocked reads "{redis key} {tat µs}".
func parseBlocked(p string) (ratelimit.State, bool) {
	i := strings.LastIndexByte(p, ' ')
	if i < 0 {
		return ratelimit.State{}, false
	}
	k, ok := cutRedisKey(p[:i])
	v, err := strconv.ParseInt(p[i+1:], 10, 64)
	if !ok || err != nil {
		return ratelimit.State{}, false
	}
	return ratelimit.State{Key: k, Until: fromUS(v)}, true
}
