package adversarial_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// hostileModule is a module built to hurt the server, with what must happen.
type hostileModule struct {
	name string
	wasm func(t testing.TB) []byte
	// upload is the status and code of the upload when it must be refused.
	uploadStatus int
	uploadCode   string
	uploadDetail string // a part of the refusal's reason
	// kinds are the acceptable error codes of a failed call; empty means the
	// call must succeed (the module handles its own failures).
	kinds []string
	// check inspects the /script/test answer further.
	check func(t *testing.T, r *testserver.Response)
}

func committed(name string) func(t testing.TB) []byte {
	return func(t testing.TB) []byte { return readWasm(t, name) }
}

// hostileModules lists the modules of testdata and the generated ones.
func hostileModules() []hostileModule {
	return []hostileModule{
		{name: "infinite_loop", wasm: committed("infinite_loop"), kinds: []string{"out_of_fuel"}},
		{name: "exponential_recursion", wasm: committed("exponential_recursion"), kinds: []string{"out_of_fuel", "trap"}},
		{name: "unbounded_recursion", wasm: committed("unbounded_recursion"), kinds: []string{"trap", "out_of_fuel"}},
		{name: "memory_grow", wasm: committed("memory_grow"), kinds: []string{"limit", "trap"}, check: checkMemoryBounded},
		{name: "trap", wasm: committed("trap"), kinds: []string{"trap"}},
		{name: "big_output", wasm: committed("big_output"), kinds: []string{"bad_output"}},
		{name: "bad_pointers", wasm: committed("bad_pointers"), check: checkBadPointers},
		{name: "query_flood", wasm: committed("query_flood"), kinds: []string{"script_failed"}, check: checkQueryFlood},
		{name: "write_statement", wasm: committed("write_statement"), kinds: []string{"bad_output"}, check: checkWritesRefused},
		{name: "proc_exit", wasm: committed("proc_exit"), kinds: []string{"script_failed"}, check: checkMessage("exited with code 3")},
		{name: "start_only", wasm: committed("start_only"), uploadStatus: 400, uploadCode: "invalid_module", uploadDetail: "_start"},
		{name: "unknown_import", wasm: committed("unknown_import"), uploadStatus: 400, uploadCode: "invalid_module", uploadDetail: "wasmauth.exec"},
		{name: "env_system_import", wasm: committed("env_system_import"), uploadStatus: 400, uploadCode: "invalid_module", uploadDetail: "env.system"},
		{name: "one_byte_too_large", wasm: func(testing.TB) []byte { return sizedModule(16<<20 + 1) },
			uploadStatus: 413, uploadCode: "module_too_large"},
		// Refused by the compile budget before compiling, not after the
		// compile timeout (minutes of a compile slot and gigabytes).
		{name: "nested_loops_many_locals", wasm: func(testing.TB) []byte { return slowNestedModule() },
			uploadStatus: 400, uploadCode: "invalid_module", uploadDetail: "too costly to compile"},
		{name: "huge_br_table", wasm: func(testing.TB) []byte { return slowBrTableModule() },
			uploadStatus: 400, uploadCode: "invalid_module", uploadDetail: "too costly to compile"},
	}
}

// slowNestedModule is 1,000 loops nested in one function that reads 50,000
// locals in the innermost: about 200 KB that would take hours and gigabytes
// to compile.
func slowNestedModule() []byte {
	return genModule([][]byte{returnZero, returnZero, nestedBody(1000, 50_000)}, 50_000, 0)
}

// slowBrTableModule is a br_table of 4 million entries into two blocks:
// 4 MB that would take more than half an hour and tens of GiB to compile.
func slowBrTableModule() []byte {
	return genModule([][]byte{returnZero, returnZero, brTableBody(2, 1, 4_000_000)}, 1, 0)
}

// TestHostileModules uploads each hostile module to its own tenant through
// the HTTP API and runs it through POST /script/test and through a real login
// with migration on. Each must give the caller a clear error, leave a host
// line in the tenant's log, and leave the server healthy: /healthz answers
// and a local user of the same tenant logs in right after.
func TestHostileModules(t *testing.T) {
	ts := startServer(t, server.Config{})
	for _, m := range hostileModules() {
		t.Run(m.name, func(t *testing.T) {
			ts := ts.with(t)
			tenant := "h-" + strings.ReplaceAll(m.name, "_", "-")
			ts.CreateTenant(tenant)
			ts.connectSQLite(tenant, nil)
			const localPW = "local-user-password-1"
			ts.Must(ts.Register(tenant, "local@example.com", localPW), 201, "register the local user")
			wasm := m.wasm(t)

			start := time.Now()
			up := ts.upload(tenant, wasm)
			t.Logf("upload of %d bytes: %d %s in %v", len(wasm), up.Status, up.ProblemCode(), time.Since(start).Round(time.Millisecond))
			if m.uploadStatus != 0 {
				if up.Status != m.uploadStatus || up.ProblemCode() != m.uploadCode {
					t.Fatalf("upload: %d %s, want %d %s: %s", up.Status, up.ProblemCode(), m.uploadStatus, m.uploadCode, up.Body)
				}
				if up.Str("detail") == "" || !strings.Contains(up.Str("detail"), m.uploadDetail) {
					t.Errorf("refusal without the reason %q: %s", m.uploadDetail, up.Body)
				}
				t.Logf("refused: %s", up.Str("detail"))
				ts.mustStillServe(tenant, "local@example.com", localPW)
				return
			}
			ts.Must(up, 201, "upload")
			ts.migrate(tenant)

			// POST /script/test: a clear error code, and the host's line.
			r := ts.scriptTest(tenant, "login", "alice@example.com", "wonderland-42")
			errObj := r.Obj("error")
			t.Logf("script test: ok=%v error=%v duration_ms=%v fuel_used=%v", r.JSON["ok"], errObj, r.JSON["duration_ms"], r.JSON["fuel_used"])
			if len(m.kinds) == 0 {
				if r.JSON["ok"] != true {
					t.Fatalf("script test failed: %s", r.Body)
				}
			} else {
				code, _ := errObj["code"].(string)
				if r.JSON["ok"] != false || !slices.Contains(m.kinds, code) {
					t.Fatalf("script test: %s, want an error in %v", r.Body, m.kinds)
				}
				if msg, _ := errObj["message"].(string); msg == "" {
					t.Errorf("error without a message: %s", r.Body)
				}
			}
			if m.check != nil {
				m.check(t, r)
			}

			// A real first login of a legacy user.
			login := ts.Login(tenant, "alice@example.com", "wonderland-42")
			if len(m.kinds) == 0 {
				ts.Must(login, 401, "login through a module that answers no user")
				if login.ProblemCode() != "invalid_credentials" {
					t.Fatalf("login: %s", login.Body)
				}
			} else {
				ts.Must(login, 503, "login through the hostile module")
				if login.ProblemCode() != "legacy_unavailable" {
					t.Fatalf("login: %s", login.Body)
				}
				ts.mustHostLine(tenant, "login", m.kinds)
				ts.mustHostLine(tenant, "test", m.kinds)
				// Nothing was migrated.
				if got := ts.Do("GET", "/admin/v1/tenants/"+tenant+"/users?source=legacy", testserver.OperatorToken, nil); !bytes.Contains(got.Body, []byte(`"users":[]`)) {
					t.Errorf("a failed call migrated a user: %s", got.Body)
				}
			}
			ts.mustStillServe(tenant, "local@example.com", localPW)
		})
	}
}

// mustStillServe checks /healthz and a local login of the tenant.
func (ts *testServer) mustStillServe(tenant, email, pw string) {
	ts.T.Helper()
	ts.WaitHealthy(healthyWithin)
	ts.Must(ts.Login(tenant, email, pw), 200, "local login after the hostile module")
}

// mustHostLine checks that the tenant's log has an error line for op that
// names one of kinds.
func (ts *testServer) mustHostLine(tenant, op string, kinds []string) {
	ts.T.Helper()
	lines := ts.logs(tenant)
	for _, l := range lines {
		if l.Op != op || l.Level != "error" {
			continue
		}
		for _, k := range kinds {
			if strings.Contains(l.Message, "failed: "+k+":") {
				return
			}
		}
	}
	ts.T.Fatalf("no host line for %s naming one of %v in the tenant's log: %+v", op, kinds, lines)
}

func checkMessage(want string) func(t *testing.T, r *testserver.Response) {
	return func(t *testing.T, r *testserver.Response) {
		if msg, _ := r.Obj("error")["message"].(string); !strings.Contains(msg, want) {
			t.Errorf("error message %q does not say %q", msg, want)
		}
	}
}

// testLogs returns the log messages of a /script/test answer.
func testLogs(r *testserver.Response) []string {
	var out []string
	ls, _ := r.JSON["logs"].([]any)
	for _, l := range ls {
		m, _ := l.(map[string]any)
		s, _ := m["message"].(string)
		out = append(out, s)
	}
	return out
}

var pagesLine = regexp.MustCompile(`memory.grow refused at pages=(\d+)`)

// checkMemoryBounded checks that memory.grow failed at the tenant's memory
// limit (64 MiB by default), not at the engine-wide maximum.
func checkMemoryBounded(t *testing.T, r *testserver.Response) {
	for _, l := range testLogs(r) {
		if m := pagesLine.FindStringSubmatch(l); m != nil {
			pages, _ := strconv.Atoi(m[1])
			t.Logf("memory.grow failed at %d pages (%d MiB)", pages, pages>>4)
			if pages > 1024 {
				t.Errorf("the guest grew its memory to %d MiB, above the 64 MiB limit", pages>>4)
			}
			return
		}
	}
	t.Errorf("the guest did not log where memory.grow failed: %v", testLogs(r))
}

// checkBadPointers checks the module's answer: every bad range got -1.
func checkBadPointers(t *testing.T, r *testserver.Response) {
	res, _ := r.JSON["result"].(map[string]any)
	if res == nil || res["reason"] != "not_found" {
		t.Errorf("answer %s; a result other than -1 is named by the error's code (100 + 16 x pair + function)", r.Body)
	}
}

var floodLine = regexp.MustCompile(`db_query ok=(\d+) limited=(\d+) first_limited=(\d+) other=(\d+)`)

// checkQueryFlood checks that db_query answered 10 times and then -4.
func checkQueryFlood(t *testing.T, r *testserver.Response) {
	for _, l := range testLogs(r) {
		if m := floodLine.FindStringSubmatch(l); m != nil {
			if m[1] != "10" || m[2] != "990" || m[3] != "11" || m[4] != "0" {
				t.Errorf("db_query flood: %s, want ok=10 limited=990 first_limited=11 other=0", m[0])
			}
			return
		}
	}
	t.Errorf("the guest did not log its db_query counts: %v", testLogs(r))
}

// checkWritesRefused checks that every write statement was answered with an
// SQL error, as data.
func checkWritesRefused(t *testing.T, r *testserver.Response) {
	n := 0
	for _, l := range testLogs(r) {
		if strings.HasPrefix(l, `{"`) {
			n++
			if !strings.HasPrefix(l, `{"error":`) {
				t.Errorf("a write statement was answered with %s", l)
			}
		}
	}
	if n != 8 {
		t.Errorf("%d statement answers logged, want 8: %v", n, testLogs(r))
	}
}

// TestWriteStatementChangesNothing runs the write statements through a real
// login and checks the legacy file afterwards.
func TestWriteStatementChangesNothing(t *testing.T) {
	ts := startServer(t, server.Config{})
	ts.CreateTenant("writer")
	file := ts.connectSQLite("writer", nil)
	ts.Must(ts.upload("writer", readWasm(t, "write_statement")), 201, "upload")
	ts.migrate("writer")
	ts.Must(ts.Login("writer", "alice@example.com", "wonderland-42"), 503, "login")
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	var hash string
	if err := db.QueryRow("SELECT count(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT password_hash FROM users WHERE id = 1").Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if n != len(examples.SeedUsers()) || hash == "x" {
		t.Fatalf("the legacy table changed: %d rows, alice's hash %q", n, hash)
	}
	var tables int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'evil'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatal("CREATE TABLE went through db_query")
	}
}

// TestModuleSizeLimitIsExact checks that a module of exactly 16 MiB is
// accepted, so that the one a byte larger is refused for its size alone.
func TestModuleSizeLimitIsExact(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a 16 MiB module")
	}
	ts := startServer(t, server.Config{})
	ts.CreateTenant("exact")
	m := sizedModule(16 << 20)
	if len(m) != 16<<20 {
		t.Fatalf("generated %d bytes", len(m))
	}
	ts.Must(ts.upload("exact", m), 201, "upload of exactly 16 MiB")
}

// TestCompileBudget uploads modules just inside the compile budget and logs
// how long they take, to show the budget bounds the upload's time.
func TestCompileBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles modules at the budget: seconds of CPU")
	}
	ts := startServer(t, server.Config{})
	ts.CreateTenant("budget")
	for _, c := range []struct {
		name string
		wasm []byte
	}{
		// 1,000 locals x 1,000 nested loops: 1e9, the function budget.
		{"nested", genModule([][]byte{returnZero, returnZero, nestedBody(999, 1000)}, 1000, 0)},
		// 2 x 22,000 branches into each of two blocks: 2 x 4.8e8.
		{"br_table", genModule([][]byte{returnZero, returnZero, brTableBody(2, 1, 44_000)}, 1, 0)},
	} {
		start := time.Now()
		r := ts.upload("budget", c.wasm)
		t.Logf("%s (%d bytes): %d %s in %v", c.name, len(c.wasm), r.Status, r.Str("detail"), time.Since(start).Round(time.Millisecond))
		ts.Must(r, 201, fmt.Sprintf("upload of %s just inside the budget", c.name))
	}
}
