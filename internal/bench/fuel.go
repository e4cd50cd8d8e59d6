package bench

import (
	"context"
	"fmt"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"golang.org/x/sys/unix"

	"github.com/wasmauth/wasmauth/runtime/fuel"
)

// fuelGuest is one CPU-bound function of cpu.wasm and its argument.
type fuelGuest struct {
	name string
	fn   string
	arg  uint64
}

var fuelGuests = []fuelGuest{
	{name: "hash loop", fn: "hash", arg: 1_000_000},
	{name: "recursive fib", fn: "fib", arg: 24},
}

// fuelMode is one way of running a guest.
type fuelMode struct {
	fuel    bool // instrumented, with a budget set before each call
	ctxDone bool // a runtime with WithCloseOnContextDone
}

// fuelModes are plain, fuel and closeOnContextDone, in that order.
var fuelModes = []fuelMode{{}, {fuel: true}, {ctxDone: true}}

// threadCPU returns the CPU time the calling thread has used. The caller
// locks its goroutine to the thread.
func threadCPU() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, fmt.Errorf("thread CPU time: %w", err)
	}
	return time.Duration(ts.Nano()), nil
}

// guestCaller instantiates cpu.wasm (instrumented for m.fuel) in its own
// runtime and returns a function calling fn(arg) once, and a closer.
func guestCaller(ctx context.Context, m fuelMode, fn string, arg uint64) (func() error, func(), error) {
	wasm := cpuWasm
	if m.fuel {
		var err error
		if wasm, err = fuel.Instrument(cpuWasm, fuel.Options{}); err != nil {
			return nil, nil, err
		}
	}
	cfg := wazero.NewRuntimeConfigCompiler().WithCoreFeatures(api.CoreFeaturesV2).WithCloseOnContextDone(m.ctxDone)
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	closer := func() { _ = r.Close(context.WithoutCancel(ctx)) }
	if err := fuel.Instantiate(ctx, r); err != nil {
		closer()
		return nil, nil, err
	}
	mod, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		closer()
		return nil, nil, fmt.Errorf("instantiating the CPU guest: %w", err)
	}
	f := mod.ExportedFunction(fn)
	if f == nil {
		closer()
		return nil, nil, fmt.Errorf("the CPU guest has no %s", fn)
	}
	return func() error {
		if m.fuel {
			if err := fuel.Set(mod, fuel.DefaultCallBudget); err != nil {
				return err
			}
		}
		_, err := f.Call(ctx, arg)
		return err
	}, closer, nil
}

// measureFuelOverhead runs each CPU-bound guest plain, instrumented with
// fuel and under WithCloseOnContextDone, in turn within each round so that
// changing load weighs on the three alike, and compares the thread CPU time
// of each with plain. Each guest gets about perGuest.
func measureFuelOverhead(ctx context.Context, perGuest time.Duration) (Row, error) {
	row := Row{
		Name:     "fuel overhead",
		Measures: "thread CPU time of CPU-bound guests: fuel-instrumented vs plain vs plain under WithCloseOnContextDone",
		Target:   "fuel <= 1.3x plain",
		Bound:    "One charge per loop iteration or function entry (a global decrement and a compare whose refuel-call branch is taken once per 10M units); WithCloseOnContextDone instead checks the context at every loop back-edge and call.",
	}
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	var parts []string
	worst := 0.0
	for _, g := range fuelGuests {
		calls := make([]func() error, len(fuelModes))
		for i, m := range fuelModes {
			call, closer, err := guestCaller(ctx, m, g.fn, g.arg)
			if err != nil {
				return row, err
			}
			defer closer()
			calls[i] = call
		}
		cpu := make([]time.Duration, len(fuelModes))
		deadline := time.Now().Add(perGuest)
		for round := 0; round < 3 || time.Now().Before(deadline); round++ {
			if err := ctx.Err(); err != nil {
				return row, err
			}
			for i, call := range calls {
				t0, err := threadCPU()
				if err != nil {
					return row, err
				}
				if err := call(); err != nil {
					return row, fmt.Errorf("%s: %w", g.name, err)
				}
				t1, _ := threadCPU()
				cpu[i] += t1 - t0
			}
		}
		fx := Ratio(float64(cpu[1]), float64(cpu[0]))
		cx := Ratio(float64(cpu[2]), float64(cpu[0]))
		worst = max(worst, fx)
		parts = append(parts, fmt.Sprintf("%s: fuel **%.2fx**, ctxdone %.2fx", g.name, fx, cx))
	}
	row.Result = strings.Join(parts, "; ")
	row.Verdict = verdict(worst <= 1.3)
	return row, nil
}
