package ratelimit

import (
	"fmt"
	"hash/maphash"
	"strings"
	"time"
)

// Rule limits the keys of one prefix to Limit failures per Window, on
// average.
type Rule struct {
	// Limit is the number of failures admitted in a burst.
	Limit int
	// Window is the time in which Limit failures decay completely.
	Window time.Duration
}

// Validate reports whether r has a positive Limit and a Window of at least
// Limit nanoseconds.
func (r Rule) Validate() error {
	if r.Limit < 1 {
		return fmt.Errorf("ratelimit: limit %d must be positive", r.Limit)
	}
	if r.Window < time.Duration(r.Limit) {
		return fmt.Errorf("ratelimit: window %v too short for limit %d", r.Window, r.Limit)
	}
	return nil
}

// maxShards is the number of shards for a large maxKeys.
const maxShards = 64

// minShardKeys is the fewest keys a shard holds when there is more than one.
const minShardKeys = 64

// Limiter counts failures per key. It is safe for concurrent use.
type Limiter struct {
	rules  map[string]rule
	seed   maphash.Seed
	shards []shard
}

// rule is a Rule in the units the algorithm uses.
type rule struct {
	interval  int64 // Window/Limit: the cost of one failure, in ns
	tolerance int64 // Window - interval: how far ahead tat may run while allowed
	window    int64
}

// New returns a Limiter with rules by key prefix (the part of a key before
// its first ':', or the whole key when it has none) that tracks at most
// maxKeys keys. Allow, Fail, Take and Reset panic on a key whose prefix has
// no rule: such a key is a programming error that would otherwise turn its
// protection off without a word. New panics if a rule is invalid, a prefix
// is empty or holds a ':', or maxKeys is less than 1: all configuration
// errors to catch at start-up (see Rule.Validate).
func New(rules map[string]Rule, maxKeys int) *Limiter {
	if maxKeys < 1 {
		panic(fmt.Sprintf("ratelimit: maxKeys %d must be positive", maxKeys))
	}
	l := &Limiter{rules: make(map[string]rule, len(rules)), seed: maphash.MakeSeed()}
	for prefix, r := range rules {
		if prefix == "" || strings.Contains(prefix, ":") {
			panic(fmt.Sprintf("ratelimit: rule prefix %q must be non-empty and hold no ':'", prefix))
		}
		if err := r.Validate(); err != nil {
			panic(fmt.Sprintf("ratelimit: rule %q: %v", prefix, err))
		}
		interval := int64(r.Window) / int64(r.Limit)
		l.rules[prefix] = rule{interval: interval, tolerance: int64(r.Window) - interval, window: int64(r.Window)}
	}
	// Each shard keeps at least minShardKeys keys (or all of them), so a
	// small limiter does not evict a key because another hashed into its
	// one-key shard.
	n := maxShards
	for n > 1 && maxKeys/n < minShardKeys {
		n /= 2
	}
	l.shards = make([]shard, n)
	for i := range l.shards {
		l.shards[i].init(maxKeys / n)
	}
	return l
}

// lookup returns key's rule and shard, and false when its prefix has no rule.
func (l *Limiter) lookup(key string) (rule, *shard, bool) {
	prefix, _, _ := strings.Cut(key, ":")
	r, ok := l.rules[prefix]
	if !ok {
		return rule{}, nil, false
	}
	return r, &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))], true
}

// mustLookup is lookup for a key in use: it panics when key's prefix has no
// rule.
func (l *Limiter) mustLookup(key string) (rule, *shard) {
	r, s, ok := l.lookup(key)
	if !ok {
		prefix, _, _ := strings.Cut(key, ":")
		panic(fmt.Sprintf("ratelimit: no rule for the prefix %q of a key", prefix))
	}
	return r, s
}

// Allow reports whether none of keys is blocked at now, without counting
// anything. When some are, ok is false and retryAfter is how long until all
// of them are allowed again (round it up when sending Retry-After seconds).
func (l *Limiter) Allow(now time.Time, keys ...string) (retryAfter time.Duration, ok bool) {
	t := now.UnixNano()
	var wait int64
	for _, key := range keys {
		r, s := l.mustLookup(key)
		s.mu.Lock()
		e := s.m[key]
		var tat int64
		if e != nil {
			tat = e.tat
		}
		s.mu.Unlock()
		// Blocked while the next failure would start before tat-tolerance.
		if w := tat - r.tolerance - t; w > wait {
			wait = w
		}
	}
	return time.Duration(wait), wait == 0
}

// Fail counts one failure at now for each of keys.
func (l *Limiter) Fail(now time.Time, keys ...string) {
	t := now.UnixNano()
	for _, key := range keys {
		r, s := l.mustLookup(key)
		s.mu.Lock()
		e := s.m[key]
		if e == nil {
			e = s.insert(key, t)
		} else {
			s.touch(e)
		}
		// Each failure costs one interval; decayed time is not banked.
		e.tat = max(e.tat, t) + r.interval
		// Never block for longer than the window: tat-tolerance-t <= window.
		e.tat = min(e.tat, t+r.tolerance+r.window)
		s.changed(key, e.tat)
		s.mu.Unlock()
	}
}

// Take counts one event at now for key, if key is not blocked, in one step:
// of concurrent callers no more than the rule allows get ok. When key is
// blocked nothing is counted, ok is false and retryAfter says how long
// until it is allowed again. Use it for limits on attempts rather than on
// failures, such as registrations per address.
func (l *Limiter) Take(now time.Time, key string) (retryAfter time.Duration, ok bool) {
	r, s := l.mustLookup(key)
	t := now.UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[key]
	if e != nil {
		if w := e.tat - r.tolerance - t; w > 0 {
			return time.Duration(w), false
		}
		s.touch(e)
	} else {
		e = s.insert(key, t)
	}
	e.tat = max(e.tat, t) + r.interval
	s.changed(key, e.tat)
	return 0, true
}

// Reset forgets keys, for example the identifier key after a successful
// login.
func (l *Limiter) Reset(keys ...string) {
	for _, key := range keys {
		_, s := l.mustLookup(key)
		s.mu.Lock()
		if e := s.m[key]; e != nil {
			s.remove(e)
			s.changed(key, 0)
		}
		s.mu.Unlock()
	}
}

// Len returns the number of keys tracked, including ones that have decayed
// but not been dropped yet.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// Cost is a key's rule in the terms a shared counter needs (see Limiter.Cost).
type Cost struct {
	// Interval is what one failure adds to the key's tat (Window/Limit).
	Interval time.Duration
	// Tolerance is how far ahead of now tat may run while the key is still
	// allowed: the key is blocked while tat - Tolerance > now.
	Tolerance time.Duration
	// Max caps tat at now + Max (Tolerance + Window): no block outlasts the
	// window.
	Max time.Duration
}

// Cost returns the cost of key's rule, and false when its prefix has none.
func (l *Limiter) Cost(key string) (Cost, bool) {
	r, _, ok := l.lookup(key)
	if !ok {
		return Cost{}, false
	}
	return Cost{Interval: time.Duration(r.interval), Tolerance: time.Duration(r.tolerance), Max: time.Duration(r.tolerance + r.window)}, true
}

// Tracks reports whether the limiter holds a state for key.
func (l *Limiter) Tracks(key string) bool {
	_, s, ok := l.lookup(key)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key] != nil
}
