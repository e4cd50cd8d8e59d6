package fuel

import (
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// GlobalExport is the export name of the fuel global Instrument adds.
const GlobalExport = "wasmauth_fuel"

// Default budgets, in units of fuel (one WebAssembly instruction each; see
// the package documentation). They were sized with BenchmarkGuest on a
// shared 2-core AMD EPYC, where instrumented code ran 2.5-2.8e9 units per
// CPU-second for naive recursive Fibonacci (call-heavy), 11-18e9 for tight
// arithmetic loops and about 1.3e8 for a chain of cache-missing loads.
const (
	// DefaultCallBudget is the fuel of one call of login or get_user:
	// about 40 ms of call-heavy code such as fib, 6-10 ms of tight loops.
	// The example modules use at most 1.6 million units per call (1.6%).
	//
	// Go cannot stop a goroutine while it runs compiled wasm, so a
	// garbage collection waits until every guest call in progress returns
	// or calls the host. Before fuel slicing, a budget worth a second made
	// one tenant's spinning module stall every other tenant's requests for
	// up to a second at each collection (measured: p99 9.8x). A Meter now
	// feeds the budget a Slice at a time through a host call, so a guest
	// holds up a collection for one slice at most, whatever its budget;
	// the budget stays small so that a broken module fails fast. A guest
	// that does nothing but miss the caches runs about 0.8 s on it; the
	// deadline (checked at every refuel, and by the watchdog in package
	// runtime) covers slower cases.
	DefaultCallBudget int64 = 100_000_000

	// DefaultInitializeBudget is the fuel of a new instance's start
	// function and _initialize together, by the same rule. Go's runtime
	// initialisation, the heaviest among the examples, uses about 720,000
	// units (0.7%).
	DefaultInitializeBudget int64 = 100_000_000
)

// ErrOutOfFuel reports a call that spent its whole budget.
var ErrOutOfFuel = errors.New("fuel: out of fuel")

// ErrNotInstrumented reports a module without a mutable i64 global exported
// as GlobalExport.
var ErrNotInstrumented = errors.New("fuel: module has no " + GlobalExport + " global")

func global(mod api.Module) (api.MutableGlobal, bool) {
	g, ok := mod.ExportedGlobal(GlobalExport).(api.MutableGlobal)
	if !ok || g.Type() != api.ValueTypeI64 {
		return nil, false
	}
	return g, true
}

// Set gives mod budget units of fuel for its next call, all of it in the
// global and no Meter: the guest traps at the first refuel. A Meter instead
// feeds the budget a Slice at a time (see the package documentation). It
// returns ErrNotInstrumented if mod was not instrumented.
func Set(mod api.Module, budget int64) error {
	if budget < 0 {
		return fmt.Errorf("fuel: negative budget %d", budget)
	}
	g, ok := global(mod)
	if !ok {
		return ErrNotInstrumented
	}
	g.Set(uint64(budget))
	return nil
}

// Remaining returns the fuel left in mod, and false if mod was not
// instrumented. After a call that was given budget, budget - remaining is the
// fuel it used; a negative remaining means the call ran out of fuel (and, if
// it did not return, that its trap was the fuel check's).
func Remaining(mod api.Module) (int64, bool) {
	g, ok := global(mod)
	if !ok {
		return 0, false
	}
	return int64(g.Get()), true
}
