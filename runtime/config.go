package runtime

import (
	"context"
	"fmt"
	"log/slog"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/wasmauth/wasmauth/runtime/fuel"
)

// Limits bounds one call of a tenant's module. In a CallRequest a zero field
// means the engine's default; the engine caps every field at its maximum.
type Limits struct {
	Timeout     time.Duration // wall clock of a call, host calls and waiting for an instance included
	Memory      int64         // bytes of linear memory an instance may have after a call
	Fuel        int64         // fuel of one call of login or get_user
	InitFuel    int64         // fuel of _initialize in a new instance
	MaxQueries  int           // db_query calls per call
	MaxRows     int           // rows per db_query response
	MaxResponse int           // bytes per db_query response
	MaxInput    int           // bytes of input JSON
	MaxOutput   int           // bytes of output JSON
	MaxLogLines int           // log lines kept per call
	Instances   int           // instances of the tenant in use at once
}

// DefaultLimits returns the ABI's default limits.
func DefaultLimits() Limits {
	return Limits{
		Timeout:     5 * time.Second,
		Memory:      64 << 20,
		Fuel:        fuel.DefaultCallBudget,
		InitFuel:    fuel.DefaultInitializeBudget,
		MaxQueries:  10,
		MaxRows:     100,
		MaxResponse: 256 << 10,
		MaxInput:    64 << 10,
		MaxOutput:   64 << 10,
		MaxLogLines: 50,
		Instances:   4,
	}
}

// DefaultMaxLimits returns the default maxima an operator may raise: what a
// tenant may ask for at most.
func DefaultMaxLimits() Limits {
	return Limits{
		Timeout:     20 * time.Second,
		Memory:      256 << 20,
		Fuel:        10 * fuel.DefaultCallBudget,
		InitFuel:    10 * fuel.DefaultInitializeBudget,
		MaxQueries:  100,
		MaxRows:     10_000,
		MaxResponse: 4 << 20,
		MaxInput:    1 << 20,
		MaxOutput:   1 << 20,
		MaxLogLines: 1000,
		Instances:   64,
	}
}

// fill returns l with zero fields taken from def.
func (l Limits) fill(def Limits) Limits {
	pick := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	pickInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.Timeout <= 0 {
		l.Timeout = def.Timeout
	}
	pick(&l.Memory, def.Memory)
	pick(&l.Fuel, def.Fuel)
	pick(&l.InitFuel, def.InitFuel)
	pickInt(&l.MaxQueries, def.MaxQueries)
	pickInt(&l.MaxRows, def.MaxRows)
	pickInt(&l.MaxResponse, def.MaxResponse)
	pickInt(&l.MaxInput, def.MaxInput)
	pickInt(&l.MaxOutput, def.MaxOutput)
	pickInt(&l.MaxLogLines, def.MaxLogLines)
	pickInt(&l.Instances, def.Instances)
	return l
}

// over returns the names of the fields of l above max.
func (l Limits) over(max Limits) []string {
	var bad []string
	check := func(name string, v, m int64) {
		if v > m {
			bad = append(bad, fmt.Sprintf("%s %d is above the maximum %d", name, v, m))
		}
	}
	check("timeout_ms", l.Timeout.Milliseconds(), max.Timeout.Milliseconds())
	check("memory_mb", l.Memory>>20, max.Memory>>20)
	check("fuel", l.Fuel, max.Fuel)
	check("init_fuel", l.InitFuel, max.InitFuel)
	check("max_queries", int64(l.MaxQueries), int64(max.MaxQueries))
	check("max_rows", int64(l.MaxRows), int64(max.MaxRows))
	check("max_response", int64(l.MaxResponse), int64(max.MaxResponse))
	check("max_input", int64(l.MaxInput), int64(max.MaxInput))
	check("max_output", int64(l.MaxOutput), int64(max.MaxOutput))
	check("max_log_lines", int64(l.MaxLogLines), int64(max.MaxLogLines))
	check("instances", int64(l.Instances), int64(max.Instances))
	return bad
}

// clamp returns l with every field at most max's.
func (l Limits) clamp(max Limits) Limits {
	l.Timeout = min(l.Timeout, max.Timeout)
	l.Memory = min(l.Memory, max.Memory)
	l.Fuel = min(l.Fuel, max.Fuel)
	l.InitFuel = min(l.InitFuel, max.InitFuel)
	l.MaxQueries = min(l.MaxQueries, max.MaxQueries)
	l.MaxRows = min(l.MaxRows, max.MaxRows)
	l.MaxResponse = min(l.MaxResponse, max.MaxResponse)
	l.MaxInput = min(l.MaxInput, max.MaxInput)
	l.MaxOutput = min(l.MaxOutput, max.MaxOutput)
	l.MaxLogLines = min(l.MaxLogLines, max.MaxLogLines)
	l.Instances = min(l.Instances, max.Instances)
	return l
}

// LimitsError is returned by CheckLimits for limits above the maxima.
type LimitsError struct {
	Problems []string
}

func (e *LimitsError) Error() string { return "invalid limits: " + strings.Join(e.Problems, "; ") }

// Config configures an Engine. Zero fields take the documented defaults.
type Config struct {
	// CacheDir, when set, holds wazero's compilation cache, so that a restart
	// does not compile modules again. Empty keeps compiled code in memory only.
	CacheDir string

	// MaxModuleSize bounds an uploaded module; default 16 MiB.
	MaxModuleSize int

	// Defaults are the limits of a call whose request leaves a field zero;
	// default DefaultLimits(). Max caps what a request may ask for; default
	// DefaultMaxLimits(). Max.Memory is also the runtime-wide bound of any
	// instance's linear memory.
	Defaults Limits
	Max      Limits

	// PoolMemory bounds the linear memory of all idle pooled instances
	// together; beyond it the least recently used are closed. Default 1 GiB.
	PoolMemory int64

	// RecycleMemory closes, rather than pools, an instance whose linear memory
	// grew past it during a call. Default 32 MiB.
	RecycleMemory int64

	// IdleTimeout closes pooled instances (and drops compiled modules no
	// instance uses) idle for longer. Default 5 minutes.
	IdleTimeout time.Duration

	// CompileTimeout refuses a module whose compilation takes longer; default
	// 60 s (a 4.5 MiB Go module takes about 3 s on one idle core, several
	// times that on a loaded machine). CompileConcurrency bounds compilations
	// at once; default 1.
	CompileTimeout     time.Duration
	CompileConcurrency int

	// MaxRunning bounds the guest calls executing at once in the engine
	// (waiting for an instance, or in a host call that waits — db_query,
	// verify_password, a sleep — does not count); default GOMAXPROCS,
	// negative for no bound. MaxRunningPerTenant bounds one tenant's;
	// default half of MaxRunning, at least 1. Waiting calls are admitted
	// fairly between tenants (see admission). Compiled
	// wasm code holds its thread until the call returns (the Go scheduler
	// cannot preempt it), so without these bounds one tenant spinning on as
	// many calls as there are Ps would stall the whole process.
	MaxRunning          int
	MaxRunningPerTenant int

	// Loader returns the bytes of a tenant's module version that this engine
	// has not compiled yet (after a restart, or after it was dropped when
	// idle). Without a Loader such calls fail.
	Loader func(ctx context.Context, tenant string, version int) ([]byte, error)

	// LegacyHashes and LegacyHashMemory bound verify_password's hashes, in
	// a pool of their own shared fairly between tenants (host.Config).
	LegacyHashes     int
	LegacyHashMemory int64

	// Logger receives the engine's own events (instances evicted, slow
	// compiles). Default slog.Default().
	Logger *slog.Logger

	// NoFuel runs modules without fuel metering, for measurements only: CPU
	// is then bounded by interrupting wasm code when the call's context ends
	// (wazero's WithCloseOnContextDone), which is much slower on loops.
	NoFuel bool
}

func (c Config) withDefaults() Config {
	if c.MaxModuleSize <= 0 {
		c.MaxModuleSize = 16 << 20
	}
	if c.Max == (Limits{}) {
		c.Max = DefaultMaxLimits()
	} else {
		c.Max = c.Max.fill(DefaultMaxLimits())
	}
	c.Defaults = c.Defaults.fill(DefaultLimits()).clamp(c.Max)
	if c.PoolMemory <= 0 {
		c.PoolMemory = 1 << 30
	}
	if c.RecycleMemory <= 0 {
		c.RecycleMemory = 32 << 20
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 5 * time.Minute
	}
	if c.CompileTimeout <= 0 {
		c.CompileTimeout = 60 * time.Second
	}
	if c.CompileConcurrency <= 0 {
		c.CompileConcurrency = 1
	}
	if c.MaxRunning == 0 {
		c.MaxRunning = goruntime.GOMAXPROCS(0)
	}
	if c.MaxRunningPerTenant <= 0 {
		c.MaxRunningPerTenant = max(1, c.MaxRunning/2)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
