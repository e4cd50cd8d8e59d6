package fuel_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmauth/wasmauth/runtime/fuel"
)

// readWasm reads a test module built by testdata/build.sh.
func readWasm(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// instrument instruments wasm with the default options or fails the test.
func instrument(tb testing.TB, wasm []byte) []byte {
	tb.Helper()
	out, err := fuel.Instrument(wasm, fuel.Options{})
	if err != nil {
		tb.Fatalf("Instrument: %v", err)
	}
	return out
}

// newRuntime returns a compiler runtime, closed with the test, that provides
// the imports of testdata/imports.wat: host.add and the module env.
func newRuntime(tb testing.TB, config wazero.RuntimeConfig) wazero.Runtime {
	tb.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, config)
	tb.Cleanup(func() { _ = r.Close(ctx) })
	if err := fuel.Instantiate(ctx, r); err != nil {
		tb.Fatal(err)
	}
	_, err := r.NewHostModuleBuilder("host").
		NewFunctionBuilder().
		WithFunc(func(a, b int64) int64 { return a + b }).
		Export("add").
		Instantiate(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := r.InstantiateWithConfig(ctx, readWasm(tb, "env.wasm"), wazero.NewModuleConfig().WithName("env")); err != nil {
		tb.Fatal(err)
	}
	return r
}

func compilerConfig() wazero.RuntimeConfig {
	return wazero.NewRuntimeConfigCompiler().WithCoreFeatures(api.CoreFeaturesV2)
}

// instantiate instantiates wasm anonymously in r, with a start meter for a
// module instrumented with the default options.
func instantiate(tb testing.TB, r wazero.Runtime, wasm []byte) api.Module {
	tb.Helper()
	ctx := fuel.WithMeter(context.Background(), fuel.StartMeter(fuel.Options{}))
	mod, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		tb.Fatalf("instantiate: %v", err)
	}
	return mod
}

// callWithFuel gives mod budget, calls fn and returns its results, the fuel
// left and the call's error.
func callWithFuel(tb testing.TB, mod api.Module, budget int64, fn string, args ...uint64) ([]uint64, int64, error) {
	tb.Helper()
	if err := fuel.Set(mod, budget); err != nil {
		tb.Fatal(err)
	}
	f := mod.ExportedFunction(fn)
	if f == nil {
		tb.Fatalf("no export %q", fn)
	}
	res, err := f.Call(context.Background(), args...)
	left, ok := fuel.Remaining(mod)
	if !ok {
		tb.Fatal("Remaining: module not instrumented")
	}
	return res, left, err
}
