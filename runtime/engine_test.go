package runtime_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/host/legacydb"
	"github.com/wasmauth/wasmauth/runtime"
)

// testdata holds the test modules; each .wasm is built from the .wat beside
// it with: wat2wasm NAME.wat -o NAME.wasm (see testdata/build.sh).
//
//go:embed testdata/*.wasm
var testdata embed.FS

func module(t testing.TB, name string) []byte {
	t.Helper()
	b, err := testdata.ReadFile("testdata/" + name + ".wasm")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newEngine(t testing.TB, cfg runtime.Config) *runtime.Engine {
	t.Helper()
	e, err := runtime.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

func compile(t testing.TB, e *runtime.Engine, wasm []byte) runtime.ModuleInfo {
	t.Helper()
	info, err := e.Compile(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestCompileInfo(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	wasm := module(t, "guest")
	info := compile(t, e, wasm)
	sum := sha256.Sum256(wasm)
	if info.SHA256 != hex.EncodeToString(sum[:]) || info.Size != len(wasm) ||
		strings.Join(info.Exports, ",") != "get_user,login" {
		t.Fatalf("info = %+v", info)
	}
	again := compile(t, e, wasm)
	if again.SHA256 != info.SHA256 {
		t.Fatalf("second compile = %+v", again)
	}
}

// leb encodes v as an unsigned LEB128.
func leb(v uint32) []byte {
	var b []byte
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// section returns a section with the given id and content.
func section(id byte, content ...byte) []byte {
	return append(append([]byte{id}, leb(uint32(len(content)))...), content...)
}

func wasmOf(sections ...[]byte) []byte {
	b := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	for _, s := range sections {
		b = append(b, s...)
	}
	return b
}

func TestCompileRefusals(t *testing.T) {
	e := newEngine(t, runtime.Config{MaxModuleSize: 4096})
	tests := []struct {
		name   string
		wasm   []byte
		reason string
	}{
		{"not wasm", []byte("hello, world"), "not a WebAssembly module"},
		{"empty", nil, "not a WebAssembly module"},
		{"wrong version", []byte{0, 'a', 's', 'm', 2, 0, 0, 0}, "version"},
		{"command", module(t, "command"), "WASI command"},
		{"missing login", module(t, "nologin"), `does not export "login"`},
		{"unknown wasmauth function", module(t, "badimport"), "wasmauth.open_socket"},
		{"wrong signature", module(t, "badsig"), "imports wasmauth.log as (i32, i32) -> i32; it is (i32, i32, i32) -> ()"},
		{"env function other than abort", module(t, "othermod"), "env.emscripten_memcpy_big"},
		{"imported memory", module(t, "importmem"), "imports env.memory, a memory"},
		{"memory not exported", module(t, "nomemory"), `does not export its memory as "memory"`},
		{"login with parameters", module(t, "badexport"), `"login" must be a function () -> i32, not (i32) -> i32`},
		{"memory above the limit", module(t, "bigmemory"), "4800"},
		{"truncated section", append(wasmOf(), 1, 10, 1), "larger than the module"},
		{"import count bomb", wasmOf(section(2, 0xff, 0xff, 0xff, 0xff, 0x0f)), "imports count 4294967295 is larger than its section"},
		{"param count bomb", wasmOf(section(1, 1, 0x60, 0xff, 0xff, 0xff, 0xff, 0x0f)), "params count"},
		{"locals bomb", wasmOf(
			section(1, 1, 0x60, 0, 0),
			section(3, 1, 0),
			section(10, 1, 7, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f),
		), "more than 50000 locals"},
		{"data length bomb", wasmOf(section(11, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f)), "data segment 0"},
		{"name section bomb", wasmOf(section(0, append([]byte{4, 'n', 'a', 'm', 'e', 1, 5}, 0xff, 0xff, 0xff, 0xff, 0x0f)...)), "names count"},
		{"table too large", wasmOf(section(4, 1, 0x70, 0, 0xff, 0xff, 0xff, 0xff, 0x0f)), "table 0 starts with"},
		{"unknown section", wasmOf(section(42)), "unknown section"},
		{"import from the fuel meter's module", wasmOf(
			section(1, 1, 0x60, 0, 0),
			section(2, append(append([]byte{1, 13}, "wasmauth_fuel"...), 6, 'r', 'e', 'f', 'u', 'e', 'l', 0, 0)...),
		), "wasmauth_fuel, a name reserved for the fuel meter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Compile(context.Background(), tt.wasm)
			var me *runtime.ModuleError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want a ModuleError", err)
			}
			if !strings.Contains(me.Reason, tt.reason) {
				t.Fatalf("reason = %q, want it to contain %q", me.Reason, tt.reason)
			}
			if errors.Is(err, runtime.ErrModuleTooLarge) {
				t.Fatal("refusal reported as too large")
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		_, err := e.Compile(context.Background(), make([]byte, 4097))
		if !errors.Is(err, runtime.ErrModuleTooLarge) {
			t.Fatalf("err = %v, want ErrModuleTooLarge", err)
		}
	})
}

// fixture is an engine with the guest module compiled.
type fixture struct {
	e   *runtime.Engine
	sha string
}

func newFixture(t testing.TB, cfg runtime.Config) *fixture {
	t.Helper()
	e := newEngine(t, cfg)
	return &fixture{e: e, sha: compile(t, e, module(t, "guest")).SHA256}
}

func (f *fixture) call(tenant, input string, lim runtime.Limits, db runtime.Database) (*runtime.Result, error) {
	return f.e.Call(context.Background(), runtime.CallRequest{
		Tenant: tenant, Version: 1, SHA256: f.sha, Op: runtime.OpLogin,
		Input: []byte(input), Limits: lim, DB: db,
	})
}

func TestCallOutcomes(t *testing.T) {
	f := newFixture(t, runtime.Config{})
	tests := []struct {
		name    string
		input   string
		lim     runtime.Limits
		kind    string // "" for success
		message string
		check   func(t *testing.T, res *runtime.Result)
	}{
		{name: "user", input: "o", check: func(t *testing.T, res *runtime.Result) {
			if u := res.Answer.User; u == nil || u.ID != "1" || u.Email != "a@example.com" {
				t.Fatalf("answer = %+v", res.Answer)
			}
			if res.FuelUsed <= 0 {
				t.Fatalf("fuel used = %d", res.FuelUsed)
			}
		}},
		{name: "no user", input: "n", check: func(t *testing.T, res *runtime.Result) {
			if res.Answer.User != nil || res.Answer.Reason != runtime.ReasonNotFound {
				t.Fatalf("answer = %+v", res.Answer)
			}
		}},
		{name: "trap", input: "u", kind: runtime.KindTrap, message: "unreachable"},
		{name: "endless loop", input: "l", lim: runtime.Limits{Fuel: 1_000_000}, kind: runtime.KindOutOfFuel, check: func(t *testing.T, res *runtime.Result) {
			if res.FuelUsed != 1_000_000 {
				t.Fatalf("fuel used = %d, want the whole budget", res.FuelUsed)
			}
		}},
		{name: "non-zero return", input: "r", kind: runtime.KindScriptFailed, message: "login returned 7"},
		{name: "no answer", input: "x", kind: runtime.KindBadOutput, message: "without calling output_set"},
		{name: "answer not json", input: "b", kind: runtime.KindBadOutput, message: "not a JSON object"},
		{name: "proc_exit(3)", input: "e", kind: runtime.KindScriptFailed, message: "exited with code 3"},
		{name: "proc_exit(0) after an answer", input: "z", check: func(t *testing.T, res *runtime.Result) {
			if res.Answer.User == nil {
				t.Fatalf("answer = %+v", res.Answer)
			}
		}},
		{name: "abort", input: "a", kind: runtime.KindTrap, message: "abort: boom at guest.ts:7:9", check: func(t *testing.T, res *runtime.Result) {
			if len(res.Logs) != 1 || res.Logs[0].Message != "abort: boom at guest.ts:7:9" {
				t.Fatalf("logs = %v", res.Logs)
			}
		}},
		{name: "stdout lines over the limit", input: "p", check: func(t *testing.T, res *runtime.Result) {
			if len(res.Logs) != 50 || res.LogsDropped != 10 || res.Logs[0].Message != "line" {
				t.Fatalf("%d lines, %d dropped: %v", len(res.Logs), res.LogsDropped, res.Logs[:1])
			}
		}},
		{name: "sleep past the deadline", input: "k", lim: runtime.Limits{Timeout: 100 * time.Millisecond}, kind: runtime.KindDeadline, message: "poll_oneoff"},
		{name: "memory over the tenant's limit", input: "m", lim: runtime.Limits{Memory: 8 << 20}, kind: runtime.KindLimit, message: "memory limit of 8 MiB reached"},
		{name: "input over the limit", input: "o" + strings.Repeat(" ", 100), lim: runtime.Limits{MaxInput: 100}, kind: runtime.KindLimit, message: "input is 101 bytes"},
		{name: "no connection", input: `q{"sql": "SELECT 1"}`, kind: runtime.KindScriptFailed, message: "returned 103"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.call("acme", tt.input, tt.lim, nil)
			if res == nil {
				t.Fatalf("nil result (err %v)", err)
			}
			if tt.kind == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			} else {
				var ce *runtime.CallError
				if !errors.As(err, &ce) || ce.Kind != tt.kind || !strings.Contains(ce.Message, tt.message) {
					t.Fatalf("err = %v, want %s containing %q", err, tt.kind, tt.message)
				}
				if res.Answer != nil {
					t.Fatalf("failed call has an answer %+v", res.Answer)
				}
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
}

func TestInstancesReusedAndDiscarded(t *testing.T) {
	f := newFixture(t, runtime.Config{})
	ids := func(inputs ...string) []string {
		var out []string
		for _, in := range inputs {
			res, err := f.call("acme", in, runtime.Limits{}, nil)
			if in != "c" {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res.Answer.User.ID)
		}
		return out
	}
	// "<_initialize runs>-<calls of the instance>": one _initialize per
	// instance, the instance reused until it fails.
	tests := []struct {
		name   string
		inputs []string
		want   string
	}{
		{"reused", []string{"c", "c", "c"}, "1-1,1-2,1-3"},
		{"trap discards", []string{"u", "c"}, "1-1"},
		{"bad output discards", []string{"b", "c"}, "1-1"},
		{"out of fuel discards", []string{"l", "c"}, "1-1"},
		{"proc_exit(0) discards", []string{"z", "c"}, "1-1"},
		{"non-zero return keeps", []string{"c", "r", "c"}, "1-1,1-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.e.Forget("acme")
			if got := strings.Join(ids(tt.inputs...), ","); got != tt.want {
				t.Fatalf("ids = %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("cold flag", func(t *testing.T) {
		f.e.Forget("acme")
		res, _ := f.call("acme", "n", runtime.Limits{}, nil)
		if !res.Cold || res.InitFuelUsed <= 0 {
			t.Fatalf("first call: cold %v, init fuel %d", res.Cold, res.InitFuelUsed)
		}
		res, _ = f.call("acme", "n", runtime.Limits{}, nil)
		if res.Cold {
			t.Fatal("second call was cold")
		}
	})
	t.Run("counters", func(t *testing.T) {
		f.e.Forget("acme")
		before := f.e.Stats()
		ids("c", "c", "u", "c")
		after := f.e.Stats()
		// c: new instance; c: pooled; u: pooled, then discarded; c: new.
		if hits, misses, discarded := after.Hits-before.Hits, after.Misses-before.Misses, after.Discarded-before.Discarded; hits != 2 || misses != 2 || discarded != 1 {
			t.Fatalf("hits %d, misses %d, discarded %d; want 2, 2, 1", hits, misses, discarded)
		}
		f.e.Forget("acme")
		if ev := f.e.Stats().Evicted - after.Evicted; ev != 1 {
			t.Fatalf("evicted %d after Forget, want the 1 idle instance", ev)
		}
	})
	t.Run("tenants do not share instances", func(t *testing.T) {
		f.e.Forget("acme")
		ids("c")
		res, err := f.call("globex", "c", runtime.Limits{}, nil)
		if err != nil || res.Answer.User.ID != "1-1" {
			t.Fatalf("globex got %v, %v", res.Answer, err)
		}
	})
}

// gate is a Database whose queries block until it is opened, so that a test
// can hold an instance in use for as long as it needs.
type gate struct {
	open    chan struct{}
	started chan struct{}
}

func newGate() *gate { return &gate{open: make(chan struct{}), started: make(chan struct{}, 16)} }

func (g *gate) Query(ctx context.Context, _ []byte, _ legacydb.Limits) ([]byte, error) {
	g.started <- struct{}{}
	select {
	case <-g.open:
		return []byte(`{"columns":[],"rows":[]}`), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestInstanceLimitWaits(t *testing.T) {
	f := newFixture(t, runtime.Config{})
	lim := runtime.Limits{Instances: 1}
	g := newGate()
	first := make(chan error, 1)
	go func() {
		_, err := f.call("acme", `q{"sql": "SELECT 1"}`, lim, g)
		first <- err
	}()
	<-g.started // the only instance is in use

	t.Run("deadline while waiting", func(t *testing.T) {
		_, err := f.call("acme", "n", runtime.Limits{Instances: 1, Timeout: 50 * time.Millisecond}, nil)
		if runtime.ErrorKind(err) != runtime.KindDeadline || !strings.Contains(err.Error(), "no free instance") {
			t.Fatalf("err = %v, want a deadline waiting for an instance", err)
		}
	})
	t.Run("served when released", func(t *testing.T) {
		second := make(chan error, 1)
		go func() {
			_, err := f.call("acme", "n", lim, nil)
			second <- err
		}()
		for f.e.Stats().WaitingCalls != 1 {
			time.Sleep(time.Millisecond)
		}
		close(g.open)
		if err := <-first; err != nil {
			t.Fatalf("first call: %v", err)
		}
		if err := <-second; err != nil {
			t.Fatalf("second call: %v", err)
		}
	})
	t.Run("other tenants are not held up", func(t *testing.T) {
		g := newGate()
		go f.call("acme", `q{"sql": "SELECT 1"}`, lim, g)
		<-g.started
		defer close(g.open)
		if _, err := f.call("globex", "n", lim, nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestConcurrentCalls(t *testing.T) {
	f := newFixture(t, runtime.Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tenant := []string{"acme", "globex", "initech"}[i%3]
			input := []string{"o", "n", "u", "r"}[i%4]
			_, err := f.call(tenant, input, runtime.Limits{Instances: 2}, nil)
			if k := runtime.ErrorKind(err); err != nil && k != runtime.KindTrap && k != runtime.KindScriptFailed {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if s := f.e.Stats(); s.Busy != 0 || s.Idle > 6 {
		t.Fatalf("stats after the calls = %+v", s)
	}
}

// legacySQLite creates {root}/acme/legacy.db with one user and opens it as a
// tenant connection.
func legacySQLite(t testing.TB) *legacydb.DB {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "acme"), 0o755); err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("sqlite", filepath.Join(root, "acme", "legacy.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); INSERT INTO users VALUES (1, 'alice@example.com')`); err != nil {
		t.Fatal(err)
	}
	db, err := legacydb.Open(context.Background(), legacydb.Config{Driver: "sqlite", DSN: "legacy.db", SQLiteRoot: root, Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestDBQueryThroughCall(t *testing.T) {
	f := newFixture(t, runtime.Config{})
	db := legacySQLite(t)
	t.Run("query", func(t *testing.T) {
		res, err := f.call("acme", `q{"sql": "SELECT email FROM users WHERE id = ?", "args": [1]}`, runtime.Limits{}, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Logs) != 1 || res.Logs[0].Message != `{"columns":["email"],"rows":[["alice@example.com"]]}` || res.Queries != 1 {
			t.Fatalf("logs = %v, queries %d", res.Logs, res.Queries)
		}
	})
	t.Run("write refused as data", func(t *testing.T) {
		res, err := f.call("acme", `q{"sql": "DELETE FROM users"}`, runtime.Limits{}, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Logs) != 1 || !strings.HasPrefix(res.Logs[0].Message, `{"error":`) {
			t.Fatalf("logs = %v", res.Logs)
		}
	})
	t.Run("slow query ends at the deadline", func(t *testing.T) {
		slow := `q{"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"}`
		_, err := f.call("acme", slow, runtime.Limits{Timeout: 200 * time.Millisecond}, db)
		if runtime.ErrorKind(err) != runtime.KindDeadline || !strings.Contains(err.Error(), "db_query") {
			t.Fatalf("err = %v, want a deadline in db_query", err)
		}
	})
}

func TestLoader(t *testing.T) {
	wasm := module(t, "guest")
	sum := sha256.Sum256(wasm)
	sha := hex.EncodeToString(sum[:])
	loads := 0
	e := newEngine(t, runtime.Config{
		CacheDir: t.TempDir(),
		Loader: func(ctx context.Context, tenant string, version int) ([]byte, error) {
			loads++
			if tenant != "acme" || version != 3 {
				return nil, errors.New("no such version")
			}
			return wasm, nil
		},
	})
	call := func(tenant string, version int, sha string) error {
		_, err := e.Call(context.Background(), runtime.CallRequest{Tenant: tenant, Version: version, SHA256: sha, Op: runtime.OpGetUser, Input: []byte("n")})
		return err
	}
	if err := call("acme", 3, sha); err != nil {
		t.Fatal(err)
	}
	if err := call("acme", 3, sha); err != nil || loads != 1 {
		t.Fatalf("second call: %v, %d loads", err, loads)
	}
	if err := call("acme", 4, strings.Repeat("0", 64)); err == nil || !strings.Contains(err.Error(), "no such version") {
		t.Fatalf("err = %v, want the loader's error", err)
	}
	if err := call("acme", 3, strings.Repeat("0", 64)); err == nil || !strings.Contains(err.Error(), "expected") {
		t.Fatalf("err = %v, want a SHA-256 mismatch", err)
	}
}

func TestPools(t *testing.T) {
	t.Run("evict and forget", func(t *testing.T) {
		f := newFixture(t, runtime.Config{})
		for _, tenant := range []string{"acme", "globex"} {
			if _, err := f.call(tenant, "n", runtime.Limits{}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if s := f.e.Stats(); s.Idle != 2 || s.Tenants != 2 {
			t.Fatalf("stats = %+v", s)
		}
		f.e.Evict("acme")
		if s := f.e.Stats(); s.Idle != 1 {
			t.Fatalf("after Evict: %+v", s)
		}
		f.e.Forget("globex")
		if s := f.e.Stats(); s.Idle != 0 || s.Tenants != 0 {
			t.Fatalf("after Forget: %+v", s)
		}
	})
	t.Run("memory budget evicts the least recently used", func(t *testing.T) {
		// The guest has 192 KiB of memory; two idle instances do not fit.
		f := newFixture(t, runtime.Config{PoolMemory: 400 << 10})
		for _, tenant := range []string{"acme", "globex", "initech"} {
			if _, err := f.call(tenant, "n", runtime.Limits{}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if s := f.e.Stats(); s.Idle != 1 || s.IdleMemory > 400<<10 {
			t.Fatalf("stats = %+v", s)
		}
		res, _ := f.call("initech", "n", runtime.Limits{}, nil)
		if res.Cold {
			t.Fatal("the most recent instance was evicted")
		}
		res, _ = f.call("acme", "n", runtime.Limits{}, nil)
		if !res.Cold {
			t.Fatal("the least recently used instance was kept")
		}
	})
	t.Run("idle timeout", func(t *testing.T) {
		f := newFixture(t, runtime.Config{IdleTimeout: 20 * time.Millisecond})
		if _, err := f.call("acme", "n", runtime.Limits{}, nil); err != nil {
			t.Fatal(err)
		}
		for f.e.Stats().Idle != 0 {
			time.Sleep(5 * time.Millisecond)
		}
	})
	t.Run("large instances are not pooled", func(t *testing.T) {
		f := newFixture(t, runtime.Config{RecycleMemory: 1 << 20})
		if _, err := f.call("acme", "m", runtime.Limits{}, nil); err != nil {
			t.Fatal(err)
		}
		if s := f.e.Stats(); s.Idle != 0 {
			t.Fatalf("stats = %+v", s)
		}
	})
}

func TestTablesAreCapped(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	info := compile(t, e, module(t, "growtable"))
	res, err := e.Call(context.Background(), runtime.CallRequest{Tenant: "acme", SHA256: info.SHA256, Op: runtime.OpLogin})
	if err != nil || res.Answer.User != nil {
		t.Fatalf("table.grow by 2^30 did not fail: %v, %v", res.Answer, err)
	}
}

func TestStartSectionFuel(t *testing.T) {
	e := newEngine(t, runtime.Config{Defaults: runtime.Limits{InitFuel: 100_000}})
	info := compile(t, e, module(t, "startsection"))
	_, err := e.Call(context.Background(), runtime.CallRequest{Tenant: "acme", SHA256: info.SHA256, Op: runtime.OpLogin})
	if runtime.ErrorKind(err) != runtime.KindTrap || !strings.Contains(err.Error(), "instantiating") {
		t.Fatalf("err = %v, want a trap while instantiating", err)
	}
}

func TestClosed(t *testing.T) {
	f := newFixture(t, runtime.Config{})
	if err := f.e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.call("acme", "n", runtime.Limits{}, nil); !errors.Is(err, runtime.ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
	if _, err := f.e.Compile(context.Background(), module(t, "guest")); !errors.Is(err, runtime.ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}

func TestCheckLimits(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	if err := e.CheckLimits(runtime.Limits{Timeout: 10 * time.Second, Instances: 2}); err != nil {
		t.Fatal(err)
	}
	err := e.CheckLimits(runtime.Limits{Timeout: time.Minute, Memory: 1 << 40})
	var le *runtime.LimitsError
	if !errors.As(err, &le) || len(le.Problems) != 2 {
		t.Fatalf("err = %v, want two problems", err)
	}
}

// TestWaitingCallLendsItsSlot: a call waiting on its database gives its
// execution slot to other calls, so one slow query does not serialise the
// tenant's other logins.
func TestWaitingCallLendsItsSlot(t *testing.T) {
	f := newFixture(t, runtime.Config{MaxRunning: 1, MaxRunningPerTenant: 1})
	db := legacySQLite(t)
	slow := `q{"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"}`
	slowDone := make(chan error, 1)
	go func() {
		_, err := f.call("acme", slow, runtime.Limits{Timeout: 3 * time.Second}, db)
		slowDone <- err
	}()
	// Wait until the slow call is inside db_query.
	for f.e.Stats().Busy == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := f.call("acme", "n", runtime.Limits{Timeout: 2 * time.Second}, nil); err != nil {
		t.Fatalf("a call behind a waiting one: %v", err)
	}
	select {
	case err := <-slowDone:
		t.Fatalf("the slow call ended first (%v): it did not wait in db_query", err)
	default:
	}
	if err := <-slowDone; runtime.ErrorKind(err) != runtime.KindDeadline {
		t.Fatalf("slow call: %v, want its deadline", err)
	}
}

// TestDeadlineWatchdog: with more fuel than its deadline lets it spend (an
// operator may raise the fuel maximum), a loop is stopped by the deadline
// watchdog, not by its budget.
func TestDeadlineWatchdog(t *testing.T) {
	max := runtime.DefaultMaxLimits()
	max.Fuel = 1 << 40
	f := newFixture(t, runtime.Config{Max: max})
	start := time.Now()
	_, err := f.call("acme", "l", runtime.Limits{Fuel: 1 << 40, Timeout: 100 * time.Millisecond}, nil)
	if runtime.ErrorKind(err) != runtime.KindDeadline || !strings.Contains(err.Error(), "ran out of time") {
		t.Fatalf("err = %v after %v, want a deadline", err, time.Since(start))
	}
}
