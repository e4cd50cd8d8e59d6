package fuel_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmauth/wasmauth/runtime/fuel"
)

// callWithMeter gives mod budget through a Meter, calls fn under ctx and
// returns its results, the fuel left and the call's error.
func callWithMeter(tb testing.TB, ctx context.Context, mod api.Module, budget int64, fn string, args ...uint64) ([]uint64, int64, error) {
	tb.Helper()
	m, err := fuel.NewMeter(mod)
	if err != nil {
		tb.Fatal(err)
	}
	if err := m.Start(budget); err != nil {
		tb.Fatal(err)
	}
	res, err := mod.ExportedFunction(fn).Call(fuel.WithMeter(ctx, m), args...)
	return res, m.Remaining(), err
}

// TestRenumbering runs every function of testdata/renumber.wat, where the
// refuel import moves every defined function's index, plain and
// instrumented: same results, and the same errors, whose stack traces name
// the functions from the renumbered name section.
func TestRenumbering(t *testing.T) {
	ctx := context.Background()
	wasm := readWasm(t, "renumber.wasm")
	plain := instantiate(t, newRuntime(t, compilerConfig()), wasm)
	metered := instantiate(t, newRuntime(t, compilerConfig()), instrument(t, wasm))
	calls := []call{{"started", nil}, {"add", []uint64{2, 3}}, {"double", []uint64{21}}, {"boom", []uint64{1}}}
	for f := range uint64(9) {
		calls = append(calls, call{"apply", []uint64{f, 10}})
	}
	for _, fn := range []string{"via_global", "passive", "reffunc", "direct", "apply"} {
		calls = append(calls, call{fn, []uint64{5}})
	}
	calls[len(calls)-1].args = []uint64{6, 5} // after passive filled it
	for _, c := range calls {
		t.Run(fmt.Sprintf("%s%v", c.fn, c.args), func(t *testing.T) {
			want, wantErr := plain.ExportedFunction(c.fn).Call(ctx, c.args...)
			got, left, err := callWithMeter(t, ctx, metered, bigBudget, c.fn, c.args...)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("error %v, plain module's error %v", err, wantErr)
			}
			if !slices.Equal(got, want) {
				t.Errorf("= %v, plain module returns %v", got, want)
			}
			if left < 0 || left > bigBudget {
				t.Errorf("remaining = %d, want in [0, %d]", left, bigBudget)
			}
		})
	}
}

// TestMeterIsExact: a budget fed a slice at a time is spent exactly as one
// set whole, whether the call returns or runs out of fuel.
func TestMeterIsExact(t *testing.T) {
	ctx := context.Background()
	mod := instantiate(t, newRuntime(t, compilerConfig()), instrument(t, readWasm(t, "costs.wasm")))
	n := uint64(3*fuel.Slice/5 + 12345) // count(n) costs 5n: more than 3 slices
	for _, budget := range []int64{bigBudget, 5*int64(n) - 1, 2*fuel.Slice + 7, fuel.Slice, fuel.Slice - 1} {
		_, leftSet, errSet := callWithFuel(t, mod, budget, "count", n)
		_, leftMeter, errMeter := callWithMeter(t, ctx, mod, budget, "count", n)
		if leftSet != leftMeter {
			t.Errorf("budget %d: remaining %d with a Meter, %d with Set", budget, leftMeter, leftSet)
		}
		if (errSet == nil) != (budget >= 5*int64(n)) || (errMeter == nil) != (errSet == nil) {
			t.Errorf("budget %d: error %v with a Meter, %v with Set", budget, errMeter, errSet)
		}
		if errMeter != nil && (!errors.Is(errMeter, fuel.ErrOutOfFuel) || leftMeter >= 0) {
			t.Errorf("budget %d: error %v, remaining %d, want ErrOutOfFuel and < 0", budget, errMeter, leftMeter)
		}
		if errSet == nil && budget-leftMeter != 5*int64(n) {
			t.Errorf("budget %d: used %d, want %d", budget, budget-leftMeter, 5*n)
		}
	}
}

// TestMeterStops: a guest spinning on a huge budget stops at its next
// refuel once the call's context ends, or at its next charge once the
// Meter is stopped.
func TestMeterStops(t *testing.T) {
	r := newRuntime(t, compilerConfig())
	mod := instantiate(t, r, instrument(t, readWasm(t, "spin.wasm")))
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, _, err := callWithMeter(t, ctx, mod, 1<<50, "spin")
		if !errors.Is(err, fuel.ErrStopped) {
			t.Fatalf("error = %v, want ErrStopped", err)
		}
	})
	t.Run("Stop", func(t *testing.T) {
		m, err := fuel.NewMeter(mod)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Start(1 << 50); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := mod.ExportedFunction("spin").Call(fuel.WithMeter(context.Background(), m))
			done <- err
		}()
		for {
			m.Stop()
			select {
			case err := <-done:
				if !errors.Is(err, fuel.ErrStopped) || !m.Stopped() || m.Remaining() >= 0 {
					t.Fatalf("error = %v, stopped %v, remaining %d; want ErrStopped", err, m.Stopped(), m.Remaining())
				}
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
}

// TestStartMeter: the start function of testdata/renumber.wat uses
// 24,000,002 units, more than the Slice the global starts with: a
// StartMeter holds the rest of Options.InitialFuel.
func TestStartMeter(t *testing.T) {
	ctx := context.Background()
	const startCost = 8*3_000_000 + 2
	wasm := readWasm(t, "renumber.wasm")
	for _, initial := range []int64{0, startCost, startCost - 1} {
		out, err := fuel.Instrument(wasm, fuel.Options{InitialFuel: initial})
		if err != nil {
			t.Fatal(err)
		}
		r := newRuntime(t, compilerConfig())
		m := fuel.StartMeter(fuel.Options{InitialFuel: initial})
		mod, err := r.InstantiateWithConfig(fuel.WithMeter(ctx, m), out, wazero.NewModuleConfig().WithName(""))
		if initial == startCost-1 {
			if !errors.Is(err, fuel.ErrOutOfFuel) {
				t.Errorf("InitialFuel %d: error = %v, want ErrOutOfFuel", initial, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("InitialFuel %d: %v", initial, err)
		}
		if err := m.Bind(mod); err != nil {
			t.Fatal(err)
		}
		if initial == 0 {
			initial = fuel.DefaultInitializeBudget
		}
		if used := initial - m.Remaining(); used != startCost {
			t.Errorf("InitialFuel %d: start function used %d, want %d", initial, used, startCost)
		}
	}
	t.Run("without a meter", func(t *testing.T) {
		r := newRuntime(t, compilerConfig())
		_, err := r.InstantiateWithConfig(ctx, instrument(t, wasm), wazero.NewModuleConfig().WithName(""))
		if !errors.Is(err, fuel.ErrOutOfFuel) {
			t.Errorf("error = %v, want ErrOutOfFuel: the global holds one slice", err)
		}
	})
}

// TestInstrumentEmptyModule: a module without type and import sections
// gets both, in their place, for the refuel import.
func TestInstrumentEmptyModule(t *testing.T) {
	empty := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	withMemory := append(slices.Clip(empty), 5, 3, 1, 0, 1) // memory section: (memory 1)
	for _, wasm := range [][]byte{empty, withMemory} {
		mod := instantiate(t, newRuntime(t, compilerConfig()), instrument(t, wasm))
		if _, ok := fuel.Remaining(mod); !ok {
			t.Error("no fuel global")
		}
	}
}
