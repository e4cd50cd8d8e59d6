package fuel

import (
	"context"
	"errors"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// The refuel import. Instrument adds it to every module, after the module's
// own imports; a module that imports anything from ImportModule itself is
// refused (ErrReservedImport). Instantiate provides it.
const (
	ImportModule = "wasmauth_fuel"
	ImportName   = "refuel"
)

// Slice is the most fuel the global holds at a time when a Meter feeds it:
// a Meter keeps the rest of the budget outside the module and adds it a
// slice at a time when the global runs out, through the refuel import. Go
// cannot preempt a goroutine while it runs compiled wasm, so a garbage
// collection's stop-the-world waits until every guest returns or calls the
// host; refuel is such a call, so a spinning guest holds up a collection
// for at most one slice, about 1-4 ms of ordinary code (0.6-0.9 ms of
// tight loops, 4 ms of call-heavy code, up to 80 ms of loads that all miss
// the caches), whatever its budget. A refuel runs once per slice, which
// is negligible; see the package documentation for what the call costs
// the code around it.
const Slice int64 = 10_000_000

// ErrReservedImport is returned by Instrument for a module that imports
// from ImportModule.
var ErrReservedImport = errors.New("fuel: module imports from " + ImportModule + ", a name reserved for the fuel meter")

// ErrStopped is the error of a call whose Meter was stopped (Meter.Stop) or
// whose context ended: the guest traps at its next refuel.
var ErrStopped = errors.New("fuel: stopped")

// drainedFuel is what Stop writes into the fuel global: -2^62 as the
// global's two's-complement bits, far below any charge, so that the guest
// calls refuel at its next charge.
const drainedFuel = uint64(1<<63 | 1<<62)

// Meter feeds one instance's calls their budgets, a Slice at a time. Give
// it to a call with WithMeter. It is safe for concurrent use: Stop may be
// called from another goroutine while the guest runs.
type Meter struct {
	mu      sync.Mutex
	g       api.MutableGlobal // nil until the first refuel for a StartMeter
	reserve int64             // budget not yet in the global
	stopped bool
}

// NewMeter returns a Meter for the calls of an instrumented instance, or
// ErrNotInstrumented.
func NewMeter(mod api.Module) (*Meter, error) {
	g, ok := global(mod)
	if !ok {
		return nil, ErrNotInstrumented
	}
	return &Meter{g: g}, nil
}

// StartMeter returns a Meter for instantiating a module instrumented with
// opts: the global starts with min(opts.InitialFuel, Slice) and the Meter
// holds the rest, for the start function. Without it, the start function
// has only what the global starts with.
func StartMeter(opts Options) *Meter {
	initial := opts.initial()
	return &Meter{reserve: initial - min(initial, Slice)}
}

// Bind binds m to the instance mod, for a StartMeter once the instance
// exists: Remaining then reads its global, and m can meter its calls.
func (m *Meter) Bind(mod api.Module) error {
	g, ok := global(mod)
	if !ok {
		return ErrNotInstrumented
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.g = g
	return nil
}

// Start gives the instance budget units of fuel for its next call: at most
// Slice in the global, the rest in the Meter.
func (m *Meter) Start(budget int64) error {
	if budget < 0 {
		return errors.New("fuel: negative budget")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	give := min(budget, Slice)
	m.g.Set(uint64(give))
	m.reserve, m.stopped = budget-give, false
	return nil
}

// Remaining returns the fuel left, in the global and in the Meter. After a
// call that was given budget, budget - remaining is the fuel it used; a
// negative remaining means the call ran out of fuel (or was stopped).
func (m *Meter) Remaining() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.g == nil {
		return m.reserve
	}
	return int64(m.g.Get()) + m.reserve
}

// Stop drains the global so that the guest calls refuel at its next charge
// (a loop header or function entry), which then traps with ErrStopped. A
// guest between reading and writing the counter can overwrite one drain, so
// a watchdog calls Stop repeatedly until the call returns.
func (m *Meter) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopped = true
	if m.g != nil {
		m.g.Set(drainedFuel)
	}
}

// Stopped reports whether Stop was called, or the guest was stopped at the
// end of its context, since the last Start.
func (m *Meter) Stopped() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stopped
}

type meterKey struct{}

// WithMeter returns a context whose calls refuel from m.
func WithMeter(ctx context.Context, m *Meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

// Instantiate adds the host module ImportModule, which instrumented modules
// import, to r.
func Instantiate(ctx context.Context, r wazero.Runtime) error {
	_, err := r.NewHostModuleBuilder(ImportModule).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(refuel), nil, nil).
		Export(ImportName).
		Instantiate(ctx)
	return err
}

// refuel is called by the guest when its fuel global goes below zero. It
// moves the next slice of the call's budget from the Meter into the global,
// or traps: with ErrOutOfFuel, leaving the global at the (negative) fuel
// left, when the budget is spent; with ErrStopped when the Meter was stopped
// or ctx ended. Without a Meter (a budget given with Set), the budget is
// spent.
func refuel(ctx context.Context, mod api.Module, _ []uint64) {
	m, _ := ctx.Value(meterKey{}).(*Meter)
	if m == nil {
		panic(ErrOutOfFuel)
	}
	if err := m.refill(ctx, mod); err != nil {
		panic(err)
	}
}

func (m *Meter) refill(ctx context.Context, mod api.Module) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.g == nil {
		g, ok := global(mod)
		if !ok {
			return ErrNotInstrumented
		}
		m.g = g
	}
	if !m.stopped && ctx.Err() != nil {
		m.stopped = true
	}
	if m.stopped {
		m.g.Set(drainedFuel)
		return ErrStopped
	}
	total := int64(m.g.Get()) + m.reserve
	if total < 0 {
		m.g.Set(uint64(total))
		m.reserve = 0
		return ErrOutOfFuel
	}
	give := min(total, Slice)
	m.g.Set(uint64(give))
	m.reserve = total - give
	return nil
}
