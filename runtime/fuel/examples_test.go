package fuel_test

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wasmauth/wasmauth/runtime/fuel"
)

// exampleModules returns the .wasm files under examples-wasm (built by other
// parts of the project), skipping the test when there are none yet.
func exampleModules(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join("..", "..", "examples-wasm"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".wasm") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no .wasm under examples-wasm yet")
	}
	return files
}

// TestExamples instruments every example module and checks that wazero still
// compiles it.
func TestExamples(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, compilerConfig())
	defer r.Close(ctx)
	if err := fuel.Instantiate(ctx, r); err != nil {
		t.Fatal(err)
	}
	for _, path := range exampleModules(t) {
		t.Run(path, func(t *testing.T) {
			wasm, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.CompileModule(ctx, wasm); err != nil {
				t.Skipf("wazero does not compile the original: %v", err)
			}
			out, err := fuel.Instrument(wasm, fuel.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.CompileModule(ctx, out); err != nil {
				t.Fatalf("instrumented module does not compile: %v", err)
			}
		})
	}
}

// stubHost is a stand-in for the wasmauth host module, enough to drive the
// examples through one login and one get_user: it answers every db_query
// with one user row and every verify_password with a match.
type stubHost struct {
	input, last, output []byte
}

const stubRow = `{"columns": ["id", "email", "username", "email_verified", "name", "password_hash"],` +
	` "rows": [[1, "alice@example.com", "alice", true, "Alice Example",` +
	` "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"]]}`

func (h *stubHost) instantiate(ctx context.Context, r wazero.Runtime) error {
	read := func(m api.Module, ptr, n uint32) []byte {
		b, _ := m.Memory().Read(ptr, n)
		return b
	}
	i32 := []api.ValueType{api.ValueTypeI32}
	fn := func(name string, params, results []api.ValueType, f func(m api.Module, s []uint64)) func(wazero.HostModuleBuilder) wazero.HostModuleBuilder {
		return func(b wazero.HostModuleBuilder) wazero.HostModuleBuilder {
			return b.NewFunctionBuilder().
				WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, m api.Module, s []uint64) { f(m, s) }), params, results).
				Export(name)
		}
	}
	params := func(n int) []api.ValueType {
		p := make([]api.ValueType, n)
		for i := range p {
			p[i] = api.ValueTypeI32
		}
		return p
	}
	copyOut := func(m api.Module, s []uint64, src []byte) {
		n := min(uint32(s[1]), uint32(len(src)))
		m.Memory().Write(uint32(s[0]), src[:n])
		s[0] = uint64(n)
	}
	b := r.NewHostModuleBuilder("wasmauth")
	for _, add := range []func(wazero.HostModuleBuilder) wazero.HostModuleBuilder{
		fn("input_len", nil, i32, func(_ api.Module, s []uint64) { s[0] = uint64(len(h.input)) }),
		fn("input_read", params(2), i32, func(m api.Module, s []uint64) { copyOut(m, s, h.input) }),
		fn("output_set", params(2), i32, func(m api.Module, s []uint64) {
			h.output = append([]byte(nil), read(m, uint32(s[0]), uint32(s[1]))...)
			s[0] = 0
		}),
		fn("log", params(3), nil, func(api.Module, []uint64) {}),
		fn("db_query", params(2), i32, func(_ api.Module, s []uint64) {
			h.last = []byte(stubRow)
			s[0] = uint64(len(h.last))
		}),
		fn("result_read", params(2), i32, func(m api.Module, s []uint64) { copyOut(m, s, h.last) }),
		fn("verify_password", params(4), i32, func(_ api.Module, s []uint64) { s[0] = 1 }),
		fn("digest", params(4), i32, func(m api.Module, s []uint64) {
			data := read(m, uint32(s[2]), uint32(s[3]))
			switch string(read(m, uint32(s[0]), uint32(s[1]))) {
			case "md5":
				d := md5.Sum(data)
				h.last = d[:]
			case "sha1":
				d := sha1.Sum(data)
				h.last = d[:]
			case "sha512":
				d := sha512.Sum512(data)
				h.last = d[:]
			default:
				d := sha256.Sum256(data)
				h.last = d[:]
			}
			s[0] = uint64(len(h.last))
		}),
	} {
		b = add(b)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return err
	}
	_, err := r.NewHostModuleBuilder("env").
		NewFunctionBuilder().
		WithFunc(func(int32, int32, int32, int32) {}).
		Export("abort").
		Instantiate(ctx)
	return err
}

// TestExampleFuel runs each example's _initialize, login and get_user under
// fuel, logs what they use, and checks the ABI's promise that the default
// budgets leave them under 10% of their budget.
func TestExampleFuel(t *testing.T) {
	ctx := context.Background()
	for _, path := range exampleModules(t) {
		t.Run(path, func(t *testing.T) {
			wasm, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			out, err := fuel.Instrument(wasm, fuel.Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := wazero.NewRuntimeWithConfig(ctx, compilerConfig())
			defer r.Close(ctx)
			wasi_snapshot_preview1.MustInstantiate(ctx, r)
			if err := fuel.Instantiate(ctx, r); err != nil {
				t.Fatal(err)
			}
			h := &stubHost{}
			if err := h.instantiate(ctx, r); err != nil {
				t.Fatal(err)
			}
			meter := fuel.StartMeter(fuel.Options{})
			mod, err := r.InstantiateWithConfig(fuel.WithMeter(ctx, meter), out, wazero.NewModuleConfig().WithStartFunctions())
			if err != nil {
				t.Skipf("does not instantiate with the stub host: %v", err)
			}
			if err := meter.Bind(mod); err != nil {
				t.Fatal(err)
			}
			startUsed := fuel.DefaultInitializeBudget - meter.Remaining()

			run := func(fn string, budget int64, input string) {
				f := mod.ExportedFunction(fn)
				if f == nil {
					return
				}
				h.input, h.output = []byte(input), nil
				if err := meter.Start(budget); err != nil {
					t.Fatal(err)
				}
				res, err := f.Call(fuel.WithMeter(ctx, meter))
				used := budget - meter.Remaining()
				t.Logf("%-11s fuel %10d (%.3f%% of %d), result %v, error %v, output %.60s",
					fn, used, 100*float64(used)/float64(budget), budget, res, err, h.output)
				if used*10 >= budget {
					t.Errorf("%s used %d fuel, 10%% or more of its budget %d", fn, used, budget)
				}
			}
			t.Logf("%-11s fuel %10d", "start", startUsed)
			run("_initialize", fuel.DefaultInitializeBudget-startUsed, "")
			run("login", fuel.DefaultCallBudget,
				`{"identifier": "alice@example.com", "password": "correct horse", "tenant": "acme", "config": {}}`)
			run("get_user", fuel.DefaultCallBudget,
				`{"identifier": "alice@example.com", "tenant": "acme", "config": {}}`)
		})
	}
}
