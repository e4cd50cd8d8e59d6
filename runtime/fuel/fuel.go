package fuel

import (
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// GlobalExport is the export name of the fuel global Instrument adds.
const GlobalExport = "wasmauth_fuel"

// Default budgets, in units of fuel (about one WebAssembly instruction each).
const (
	// DefaultCallBudget is the fuel of one call of login or get_user: about
	// half a second of CPU-bound guest code on the machine it was measured
	// on, and more than ten times what the example modules use.
	DefaultCallBudget int64 = 1_000_000_000

	// DefaultInitializeBudget is the fuel of a new instance's start function
	// and _initialize together; runtimes such as Go's do most of their
	// set-up there.
	DefaultInitializeBudget int64 = 1_000_000_000
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

// Set gives mod budget units of fuel for its next call. It returns
// ErrNotInstrumented if mod was not instrumented.
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
