// Package ratelimit slows down password guessing: it counts failed logins
// per key and blocks a key that failed too often, for a while.
//
// Callers build keys from a prefix that selects the Rule and an identity,
// for example "id:<tenant>:<identifier>" and "ip:<tenant>:<addr>"; a key
// whose prefix has no rule is a programming error, and panics. Before a
// login they call Allow with all its keys; after a failed login, Fail; after
// a successful one, Reset on the identifier key (not the address key, so a
// valid login does not clear an attacker's address).
//
// Each key is a leaky bucket in the form of the generic cell rate algorithm
// (GCRA): one timestamp per key, no background work. A Rule{Limit, Window}
// admits a burst of Limit failures, after which the key is blocked and one
// more failure is admitted every Window/Limit; a key that stops failing
// decays back to a clean state (and may be dropped) within two Windows. No
// key is blocked for longer than its Window at a time, so there is no
// permanent lockout.
//
// Take is Allow and Fail in one step, for limits on attempts rather than
// failures (registrations per address, for example).
//
// The limiter does no I/O. To survive a restart, a caller saves the keys
// that Changes reports now and then (a batch per write, not a write per
// failure) and, at start, hands them back to Restore.
//
// Memory is bounded: at most maxKeys keys are tracked, spread over shards.
// When a shard is full, its entries that have fully decayed are dropped, and
// if none has, the least recently failed key is evicted. An attacker who
// fails with very many distinct keys can thus make the limiter forget
// older keys; size maxKeys for the expected number of failing keys within a
// Window.
package ratelimit
