package legacyhash

import (
	"context"
	"errors"
	"math"
	"time"
)

// Cost is what verifying one hash takes, estimated from its parameters
// before any work: the CPU time on one core of the machine the unit costs
// were measured on, and the bytes of working memory.
type Cost struct {
	Time   time.Duration
	Memory int64
}

// The caps of Verify: a hash whose estimated cost exceeds one of them is
// refused with ErrTooExpensive before any hashing. The package documentation
// derives them, and what they allow per scheme, from the unit costs below.
const (
	// MaxTime is the most estimated CPU time of one verification: under a
	// third of a call's default deadline (5 s), so that a verification at
	// the cap still finishes in time on a machine twice as busy.
	MaxTime = 1500 * time.Millisecond
	// MaxMemory is the most working memory of one verification: 256 MiB of
	// argon2 blocks or scrypt's mixing buffer, plus 1 MiB for scrypt's
	// lanes.
	MaxMemory = 256<<20 + 1<<20
	// MaxArgon2Threads is the highest argon2 parallelism (p) verified. The
	// work does not grow with p (memory and passes bound it); p only sets
	// how many goroutines share it.
	MaxArgon2Threads = 64
)

// Unit costs, in nanoseconds of one core, measured with BenchmarkUnitCost
// (cost_test.go) on the development machine (Intel Xeon, 2 vCPUs, Go 1.26,
// SHA-NI): see the package documentation.
const (
	nsBcryptRound   = 55_000 // one of bcrypt's 2^cost key expansions
	nsArgon2KiB     = 850    // one KiB of argon2 memory, one pass
	nsScryptBlock   = 330    // one unit of N·r·p (a 128·r-byte block mixed twice, per r)
	nsPBKDF2SHA1    = 180    // one PBKDF2-HMAC-SHA1 iteration
	nsPBKDF2SHA256  = 160    // one PBKDF2-HMAC-SHA256 iteration
	nsPBKDF2SHA512  = 490    // one PBKDF2-HMAC-SHA512 iteration
	nsMD5Block      = 85     // one MD5 block (64 bytes)
	nsSHA1Block     = 70     // one SHA-1 block (64 bytes)
	nsSHA256Block   = 61     // one SHA-256 block (64 bytes)
	nsSHA512Block   = 205    // one SHA-512 block (128 bytes)
	stopCheckEveryN = 1 << 12
)

// errPlanned ends a verification at its cost check when only the estimate
// is wanted (Estimate).
var errPlanned = errors.New("legacyhash: cost estimated")

// admit checks a verification's estimated cost against the caps, before any
// hashing; for Estimate it records the cost and stops there.
func (l *limits) admit(c Cost) error {
	if c.Time > l.maxTime || c.Memory > l.maxMemory {
		return ErrTooExpensive
	}
	if l.plan != nil {
		*l.plan = c
		return errPlanned
	}
	return nil
}

// stopped reports the context's error every few thousand iterations of a
// loop, so that a verification with a context stops soon after it ends.
func (l *limits) stopped(i int) error {
	if l.ctx == nil || i%stopCheckEveryN != 0 {
		return nil
	}
	return l.ctx.Err()
}

// Estimate returns the cost of verifying hash with password, judged from
// the hash's parameters (and the password's length, for the crypt(3)-style
// schemes) without hashing, or the error Verify would return before any
// work: ErrUnknownFormat or ErrTooExpensive. A hash that Verify decides
// without hashing (a password with a NUL against bcrypt, for example) still
// reports the cost of hashing it.
func Estimate(hash, password []byte) (Cost, error) {
	var c Cost
	l := defaultLimits
	l.plan = &c
	_, err := l.verify(hash, password)
	if err == nil || errors.Is(err, errPlanned) {
		return c, nil
	}
	return Cost{}, err
}

// VerifyContext is Verify that stops, with ctx's error, when ctx ends
// while it hashes. PBKDF2, SHA-crypt, md5-crypt and phpass check ctx every
// few thousand iterations; bcrypt, scrypt and argon2 (from
// golang.org/x/crypto) cannot be interrupted: for them the caps bound the
// work.
func VerifyContext(ctx context.Context, hash, password []byte) (bool, error) {
	l := defaultLimits
	l.ctx = ctx
	return l.verify(hash, password)
}

// nsCost returns units × ns as a duration, saturating.
func nsCost(units, ns uint64) time.Duration {
	t := mulCapped(units, ns)
	if t > math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(t)
}

// mdBlocks returns the blocks a Merkle–Damgård hash with blockSize-byte
// blocks (64 for MD5 and SHA-256, 128 for SHA-512) compresses for n bytes,
// padding and length included.
func mdBlocks(n, blockSize uint64) uint64 {
	pad := 1 + blockSize/8 // the 0x80 byte and the length field
	if n > math.MaxUint64-pad-blockSize {
		return math.MaxUint64 / blockSize
	}
	return (n + pad + blockSize - 1) / blockSize
}
