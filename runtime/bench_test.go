package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmauth/wasmauth/runtime"
)

// trivialModule is the trivial WAT example (or the test guest when the
// example is not built): the host's own overhead with no script work.
func trivialModule(b *testing.B) ([]byte, string) {
	if wasm, err := os.ReadFile(filepath.Join("..", "examples-wasm", "wat", "trivial.wasm")); err == nil {
		return wasm, `{"identifier": "alice@example.com", "tenant": "acme", "config": {}}`
	}
	return module(b, "guest"), "o"
}

// BenchmarkCallWarm measures a call on a pooled instance.
func BenchmarkCallWarm(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  runtime.Config
	}{{"fuel", runtime.Config{}}, {"nofuel", runtime.Config{NoFuel: true}}} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEngine(b, bc.cfg)
			wasm, input := trivialModule(b)
			req := runtime.CallRequest{Tenant: "acme", SHA256: compile(b, e, wasm).SHA256, Op: runtime.OpLogin, Input: []byte(input)}
			ctx := context.Background()
			if _, err := e.Call(ctx, req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.Call(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkColdStart measures a call on a new instance: instantiation,
// _initialize and the call.
func BenchmarkColdStart(b *testing.B) {
	modules := map[string]func(b *testing.B) []byte{
		"wat": func(b *testing.B) []byte { w, _ := trivialModule(b); return w },
		"c":   func(b *testing.B) []byte { return readExample(b, "c") },
		"go":  func(b *testing.B) []byte { return readExample(b, "go") },
	}
	for _, name := range []string{"wat", "c", "go"} {
		b.Run(name, func(b *testing.B) {
			e := newEngine(b, runtime.Config{})
			req := runtime.CallRequest{Tenant: "acme", SHA256: compile(b, e, modules[name](b)).SHA256, Op: runtime.OpGetUser,
				Input: []byte(`{"identifier": "nobody@example.com", "tenant": "acme", "config": {}}`)}
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.Forget("acme")
				res, _ := e.Call(ctx, req) // no database: the examples answer with a failure
				if !res.Cold {
					b.Fatal("warm call")
				}
			}
		})
	}
}

// BenchmarkCompile measures Compile in a fresh engine, without and with a
// warm compilation cache on disk (as after a restart).
func BenchmarkCompile(b *testing.B) {
	modules := map[string]func(b *testing.B) []byte{
		"wat": func(b *testing.B) []byte { w, _ := trivialModule(b); return w },
		"go":  func(b *testing.B) []byte { return readExample(b, "go") },
	}
	for _, name := range []string{"wat", "go"} {
		for _, cached := range []bool{false, true} {
			label := name + "/nocache"
			if cached {
				label = name + "/cache"
			}
			b.Run(label, func(b *testing.B) {
				wasm := modules[name](b)
				cfg := runtime.Config{}
				if cached {
					cfg.CacheDir = b.TempDir()
					e := newEngine(b, cfg)
					compile(b, e, wasm)
					e.Close(context.Background())
				}
				ctx := context.Background()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					e, err := runtime.New(ctx, cfg)
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if _, err := e.Compile(ctx, wasm); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					e.Close(ctx)
					b.StartTimer()
				}
			})
		}
	}
}
