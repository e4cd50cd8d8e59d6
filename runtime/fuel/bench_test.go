package fuel_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/wasmauth/wasmauth/runtime/fuel"
)

// benchGuests are the CPU-bound guests of testdata/bench.wat.
var benchGuests = []struct {
	name string
	arg  uint64
}{
	{name: "hash", arg: 1_000_000},
	{name: "fib", arg: 27},
	{name: "tight", arg: 3_000_000},
	{name: "chase", arg: 100_000},
}

// benchMode is one way of running a guest.
type benchMode struct {
	name   string
	fuel   bool
	config func() wazero.RuntimeConfig
}

var benchModes = []benchMode{
	{name: "plain", config: compilerConfig},
	{name: "fuel", fuel: true, config: compilerConfig},
	{name: "closeOnContextDone", config: func() wazero.RuntimeConfig {
		return compilerConfig().WithCloseOnContextDone(true)
	}},
}

// benchFunc instantiates bench.wasm (instrumented when m.fuel) in a runtime
// closed with the benchmark and returns a function that calls fn(arg) once
// and returns the fuel it used (0 without fuel).
func benchFunc(b *testing.B, m benchMode, fn string, arg uint64) func() int64 {
	wasm := readWasm(b, "bench.wasm")
	if m.fuel {
		wasm = instrument(b, wasm)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	b.Cleanup(cancel)
	r := wazero.NewRuntimeWithConfig(ctx, m.config())
	b.Cleanup(func() { _ = r.Close(context.Background()) })
	if err := fuel.Instantiate(ctx, r); err != nil {
		b.Fatal(err)
	}
	mod := instantiate(b, r, wasm)
	// Give the memory real pages with pseudo-random contents, so that
	// chase misses the caches as it would in a busy guest (untouched pages
	// all map the kernel's one zero page).
	mem := mod.Memory()
	buf := make([]byte, mem.Size())
	_, _ = rand.NewChaCha8([32]byte{1}).Read(buf)
	mem.Write(0, buf)
	f := mod.ExportedFunction(fn)
	return func() int64 {
		if m.fuel {
			if err := fuel.Set(mod, fuel.DefaultCallBudget); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := f.Call(ctx, arg); err != nil {
			b.Fatal(err)
		}
		if !m.fuel {
			return 0
		}
		left, _ := fuel.Remaining(mod)
		return fuel.DefaultCallBudget - left
	}
}

// BenchmarkGuest runs CPU-bound guests three ways: plain, instrumented with
// fuel, and plain in a runtime with WithCloseOnContextDone(true) (wazero's
// own way to stop a guest). Besides ns/op it reports cpu-ns/op, the thread's
// CPU time, which a busy machine disturbs less; the fuel runs also report
// fuel/op and fuel/cpu-s, the rate that sizes the default budgets.
func BenchmarkGuest(b *testing.B) {
	for _, g := range benchGuests {
		for _, m := range benchModes {
			b.Run(g.name+"/"+m.name, func(b *testing.B) {
				call := benchFunc(b, m, g.name, g.arg)
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				var used int64
				cpu0, cpuOK := threadCPU()
				for b.Loop() {
					used = call()
				}
				cpu1, _ := threadCPU()
				if cpuOK {
					cpu := float64(cpu1-cpu0) / float64(b.N)
					b.ReportMetric(cpu, "cpu-ns/op")
					if m.fuel {
						b.ReportMetric(float64(used)/cpu*1e9, "fuel/cpu-s")
					}
				}
				if m.fuel {
					b.ReportMetric(float64(used), "fuel/op")
				}
			})
		}
	}
}

// BenchmarkOverhead runs the three modes of each guest in turn within every
// iteration and reports their CPU time relative to plain (fuel-x and
// ctxdone-x), so that ratios hold even while other work comes and goes.
func BenchmarkOverhead(b *testing.B) {
	if _, ok := threadCPU(); !ok {
		b.Skip("thread CPU time is not available on this system")
	}
	for _, g := range benchGuests {
		b.Run(g.name, func(b *testing.B) {
			calls := make([]func() int64, len(benchModes))
			for i, m := range benchModes {
				calls[i] = benchFunc(b, m, g.name, g.arg)
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu := make([]int64, len(benchModes))
			for b.Loop() {
				for i, call := range calls {
					t0, _ := threadCPU()
					call()
					t1, _ := threadCPU()
					cpu[i] += t1 - t0
				}
			}
			b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "fuel-x")
			b.ReportMetric(float64(cpu[2])/float64(cpu[0]), "ctxdone-x")
		})
	}
}

// BenchmarkInstrument measures the upload-time cost of instrumenting a
// module.
func BenchmarkInstrument(b *testing.B) {
	wasm := readWasm(b, "tables.wasm")
	b.SetBytes(int64(len(wasm)))
	for b.Loop() {
		if _, err := fuel.Instrument(wasm, fuel.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
