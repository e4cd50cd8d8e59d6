package examples_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/runtime"
)

// The tests share one engine with every example compiled: compiling the 3 MiB Go
// example takes seconds, and minutes under the race detector.
var shared struct {
	once    sync.Once
	engine  *runtime.Engine
	modules map[string]runtime.ModuleInfo
	err     error
}

// sharedEngine returns the tests' engine and the compiled examples by language
// (examples.Languages() and "wat-trivial").
func sharedEngine(tb testing.TB) (*runtime.Engine, map[string]runtime.ModuleInfo) {
	tb.Helper()
	shared.once.Do(func() {
		ctx := context.Background()
		// The defaults, but with time to compile the Go example under -race.
		shared.engine, shared.err = runtime.New(ctx, runtime.Config{CompileTimeout: 5 * time.Minute})
		if shared.err != nil {
			return
		}
		modules := examples.Legacy()
		modules["wat-trivial"] = examples.WATTrivial
		shared.modules = map[string]runtime.ModuleInfo{}
		for lang, wasm := range modules {
			info, err := shared.engine.Compile(ctx, wasm)
			if err != nil {
				shared.err = err
				return
			}
			shared.modules[lang] = info
		}
	})
	if shared.err != nil {
		tb.Fatalf("engine: %v", shared.err)
	}
	return shared.engine, shared.modules
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.engine != nil {
		shared.engine.Close(context.Background())
	}
	os.Exit(code)
}
