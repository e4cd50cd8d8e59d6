package runtime_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/host/legacydb"
	"github.com/wasmauth/wasmauth/runtime"
)

// exampleModules are the example guests of examples-wasm, each built from the
// source beside it (see the build comment at the top of each source).
var exampleModules = []string{"wat", "c", "rust", "assemblyscript", "go"}

// readExample returns examples-wasm/<lang>/legacy.wasm, or skips the test when
// that example has not been built.
func readExample(t testing.TB, lang string) []byte {
	t.Helper()
	dir := filepath.Join("..", "examples-wasm", lang)
	if lang == "go" {
		dir = filepath.Join(dir, "legacy")
	}
	b, err := os.ReadFile(filepath.Join(dir, "legacy.wasm"))
	if err != nil {
		t.Skipf("example %s not built (%v); run make examples", lang, err)
	}
	return b
}

// exampleDB opens a copy of the examples' SQLite legacy database.
func exampleDB(t testing.TB) *legacydb.DB {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "examples-wasm", "testdata", "legacy.db"))
	if err != nil {
		t.Skipf("examples-wasm/testdata/legacy.db missing: %v", err)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "acme"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "acme", "legacy.db"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := legacydb.Open(context.Background(), legacydb.Config{Driver: "sqlite", DSN: "legacy.db", SQLiteRoot: root, Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestExamples(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	db := exampleDB(t)
	for _, lang := range exampleModules {
		t.Run(lang, func(t *testing.T) {
			info := compile(t, e, readExample(t, lang))
			call := func(op, input string) *runtime.Result {
				t.Helper()
				res, err := e.Call(context.Background(), runtime.CallRequest{
					Tenant: "acme-" + lang, SHA256: info.SHA256, Op: op, Input: []byte(input), DB: db,
				})
				if err != nil {
					t.Fatalf("%s: %v; logs %v", op, err, res.Logs)
				}
				return res
			}
			res := call(runtime.OpGetUser, `{"identifier": "alice@example.com", "tenant": "acme", "config": {}}`)
			if u := res.Answer.User; u == nil || u.ID != "1" || u.Email != "alice@example.com" {
				t.Fatalf("get_user(alice) = %+v", res.Answer)
			}
			res = call(runtime.OpGetUser, `{"identifier": "nobody@example.com", "tenant": "acme", "config": {}}`)
			if res.Answer.User != nil {
				t.Fatalf("get_user(nobody) = %+v", res.Answer)
			}
			res = call(runtime.OpLogin, `{"identifier": "alice@example.com", "password": "not her password", "tenant": "acme", "config": {}}`)
			if res.Answer.User != nil {
				t.Fatalf("login with a wrong password = %+v", res.Answer.User)
			}
			if limit := runtime.DefaultLimits().Fuel / 10; res.FuelUsed > limit {
				t.Errorf("login used %d fuel, over 10%% of the default budget", res.FuelUsed)
			}
		})
	}
}

func TestCompileTimeout(t *testing.T) {
	wasm := readExample(t, "go") // takes seconds to compile
	e := newEngine(t, runtime.Config{CompileTimeout: time.Millisecond})
	_, err := e.Compile(context.Background(), wasm)
	var me *runtime.ModuleError
	if !errors.As(err, &me) || !strings.Contains(me.Reason, "took longer than 1ms") {
		t.Fatalf("err = %v, want a ModuleError for the time budget", err)
	}
}
