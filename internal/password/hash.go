package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/wasmauth/wasmauth/internal/argon2x"
)

// Params are the argon2id cost parameters of a hash.
type Params struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Iterations is the number of passes over the memory.
	Iterations uint32
	// Parallelism is the number of lanes.
	Parallelism uint8
	// SaltLen is the length of the random salt in bytes.
	SaltLen uint32
	// KeyLen is the length of the derived key in bytes.
	KeyLen uint32
}

// DefaultParams are the OWASP minimum parameters for argon2id: 19 MiB of
// memory, two iterations, one lane, a 16-byte salt and a 32-byte key.
var DefaultParams = Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// Bounds on parameters, both for configured parameters and for parameters
// read from stored hashes. A stored hash outside them is rejected rather than
// computed, so a corrupted or planted hash cannot make one verification
// allocate gigabytes or run for minutes.
const (
	MaxMemory      = 256 * 1024 // KiB, 256 MiB
	MaxIterations  = 16
	MaxParallelism = 16
	MinSaltLen     = 8
	MaxSaltLen     = 64
	MinKeyLen      = 16
	MaxKeyLen      = 128
)

// Validate reports whether p is within the bounds above. Memory must also be
// at least 8 KiB per lane, as argon2 requires.
func (p Params) Validate() error {
	switch {
	case p.Parallelism < 1 || p.Parallelism > MaxParallelism:
		return fmt.Errorf("password: parallelism %d out of range 1..%d", p.Parallelism, MaxParallelism)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > MaxMemory:
		return fmt.Errorf("password: memory %d KiB out of range %d..%d", p.Memory, 8*uint32(p.Parallelism), MaxMemory)
	case p.Iterations < 1 || p.Iterations > MaxIterations:
		return fmt.Errorf("password: iterations %d out of range 1..%d", p.Iterations, MaxIterations)
	case p.SaltLen < MinSaltLen || p.SaltLen > MaxSaltLen:
		return fmt.Errorf("password: salt length %d out of range %d..%d", p.SaltLen, MinSaltLen, MaxSaltLen)
	case p.KeyLen < MinKeyLen || p.KeyLen > MaxKeyLen:
		return fmt.Errorf("password: key length %d out of range %d..%d", p.KeyLen, MinKeyLen, MaxKeyLen)
	}
	return nil
}

// ErrBusy is wrapped by the BusyError of a call that got no hashing slot:
// one that was not expected to get one within Config.MaxWait (or before its
// context's deadline), which fails at once, or whose context ended.
var ErrBusy = errors.New("password: too many hashes in progress")

// DefaultMaxWait is the longest a request waits for a hashing slot when
// Config.MaxWait is zero.
const DefaultMaxWait = 2 * time.Second

// Config configures a Hasher. The zero value is usable: it means
// DefaultParams, 2*GOMAXPROCS concurrent hashes and DefaultMaxWait.
type Config struct {
	// Params are the parameters of new hashes. The zero value means
	// DefaultParams.
	Params Params
	// MaxConcurrent is the number of hashes computed at once. Zero means
	// 2*GOMAXPROCS.
	MaxConcurrent int
	// MaxWait is the longest a call waits for a slot. A call that is not
	// expected to get one within MaxWait, or before its context's deadline
	// if sooner, fails at once with a BusyError. Zero means DefaultMaxWait.
	MaxWait time.Duration
}

func (c Config) withDefaults() Config {
	if c.Params == (Params{}) {
		c.Params = DefaultParams
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = 2 * runtime.GOMAXPROCS(0)
	}
	if c.MaxWait == 0 {
		c.MaxWait = DefaultMaxWait
	}
	return c
}

// Validate reports the first problem with c after defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := c.Params.Validate(); err != nil {
		return err
	}
	if c.MaxConcurrent < 1 {
		return fmt.Errorf("password: MaxConcurrent %d must be positive", c.MaxConcurrent)
	}
	if c.MaxWait < 0 {
		return fmt.Errorf("password: MaxWait %v must not be negative", c.MaxWait)
	}
	return nil
}

// Hasher hashes and verifies passwords with a bounded number of hashes in
// flight; callers wait for a slot in a queue that is fair across tenants
// (WithTenant) and refuses at once what it cannot serve in time. It is safe
// for concurrent use.
type Hasher struct {
	params Params
	queue  *queue
	// blocks keeps the memory of finished hashes for the next ones, one
	// buffer per slot, so a burst of logins does not allocate per hash.
	blocks *argon2x.Pool
	// turns shares the processors between the hashes in the slots, a
	// segment at a time, by tenant.
	turns *turns

	// dummySalt and dummyKey make VerifyDummy cost exactly what a Verify
	// with the current parameters costs.
	dummySalt []byte
	dummyKey  []byte
}

// NewHasher returns a Hasher for cfg. It panics if cfg.Validate fails: the
// configuration is a programming or deployment error that must surface at
// start-up, so check it with Config.Validate first when it comes from input.
func NewHasher(cfg Config) *Hasher {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.withDefaults()
	h := &Hasher{
		params:    cfg.Params,
		dummySalt: make([]byte, cfg.Params.SaltLen),
		blocks:    argon2x.NewPool(cfg.MaxConcurrent),
	}
	rand.Read(h.dummySalt)
	// The dummy key is a real hash, timed: until slots have been held and
	// released, the queue expects a slot to be held for that long, or
	// longer when there are more slots than processors to run them.
	start := time.Now()
	h.dummyKey = h.idKey(context.Background(), rand.Text(), h.dummySalt, cfg.Params)
	svc := time.Since(start) * time.Duration(max(1, cfg.MaxConcurrent/runtime.GOMAXPROCS(0)))
	h.queue = newQueue(cfg.MaxConcurrent, cfg.MaxWait, svc)
	h.turns = newTurns(runtime.GOMAXPROCS(0))
	return h
}

// Params returns the parameters of new hashes.
func (h *Hasher) Params() Params { return h.params }

// Acquire waits for a hashing slot, for callers that compute an expensive
// hash elsewhere (for example a legacy verification). The caller must call
// release exactly once. Returns a BusyError (wrapping ErrBusy, and the
// context's error if the context ended) when no slot can be had in time.
func (h *Hasher) Acquire(ctx context.Context) (release func(), err error) {
	free, err := h.acquire(ctx)
	if err != nil {
		return nil, err
	}
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			free()
		}
	}, nil
}

// acquire waits for a slot and returns the function that gives it back.
func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	asked := time.Now()
	granted, err := h.queue.acquireAt(ctx)
	if err != nil {
		return nil, err
	}
	addWait(ctx, granted.Sub(asked))
	return func() { h.queue.releaseFor(tenantOf(ctx), time.Since(granted)) }, nil
}

// QueueDepth returns the number of calls waiting for a slot.
func (h *Hasher) QueueDepth() int {
	waiting, _ := h.queue.stats()
	return waiting
}

// InFlight returns the number of slots in use.
func (h *Hasher) InFlight() int {
	_, inUse := h.queue.stats()
	return inUse
}

// Hash returns the PHC string of password with a fresh random salt and the
// current parameters. Returns a BusyError when no slot can be had in time.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	rand.Read(salt)
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	key := h.idKey(ctx, password, salt, h.params)
	return encode(h.params, salt, key), nil
}

// Verify reports whether password matches the PHC string encoded, in
// constant time with respect to the key. needsRehash is true when the
// password matches but encoded was made with parameters other than the
// current ones, so the caller should store a new Hash. Hashes with other
// parameters verify as long as they are within the package bounds. Returns
// an error wrapping ErrInvalidHash for a malformed or out-of-bounds hash and
// a BusyError when no slot can be had in time.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (ok, needsRehash bool, err error) {
	d, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	key := h.idKey(ctx, password, d.salt, d.params)
	if subtle.ConstantTimeCompare(key, d.key) != 1 {
		return false, false, nil
	}
	return true, d.params != h.params, nil
}

// VerifyDummy costs what a Verify against a hash with the current parameters
// costs and always fails. Call it for unknown users so that they cannot be
// told apart from wrong passwords by timing. Returns a BusyError when no
// slot can be had in time, and nil otherwise.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	release, err := h.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	key := h.idKey(ctx, password, h.dummySalt, h.params)
	subtle.ConstantTimeCompare(key, h.dummyKey)
	return nil
}

// idKey computes an argon2id key with the hasher's pooled block memory, on
// one of the processor turns of ctx's tenant (none while NewHasher makes
// the dummy key). The hash's waits for its turn count toward ctx's wait
// meter, as its wait for a slot does: they are other hashes' computing;
// the hash itself counts as its units (see Hashed), with the rest of its
// time.
func (h *Hasher) idKey(ctx context.Context, password string, salt []byte, p Params) []byte {
	if h.turns == nil {
		return h.blocks.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
	}
	asked := h.turns.now()
	t := h.turns.take(tenantOf(ctx))
	defer func() {
		t.done()
		addWait(ctx, t.waited)
		addHash(ctx, h.units(p), h.turns.now().Sub(asked)-t.waited)
	}()
	return h.blocks.IDKeyYield([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen, t.yield)
}

// units is the work of a hash with parameters p in hashes with the
// hasher's: argon2id fills and passes over Memory KiB Iterations times.
func (h *Hasher) units(p Params) float64 {
	return float64(p.Memory) * float64(p.Iterations) / (float64(h.params.Memory) * float64(h.params.Iterations))
}
