package adversarial_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// healthyWithin is how long a server that went through an attack may take
// to answer /healthz again.
const healthyWithin = 5 * time.Second

// testServer is a wasmauth started in-process on 127.0.0.1 with a random
// port, with the adversarial tests' helpers.
type testServer struct {
	*testserver.Server
}

// startServer starts a server with cfg; empty fields get a temp data folder,
// a random port, the test operator token and cheap hashes.
func startServer(t testing.TB, cfg server.Config) *testServer {
	t.Helper()
	return &testServer{testserver.Start(t, cfg)}
}

// connectSQLite copies the examples' legacy database into the tenant's
// SQLite folder and makes it the tenant's connection; it returns the file.
func (ts *testServer) connectSQLite(tenant string, limits map[string]any) string {
	ts.T.Helper()
	file := ts.CopyLegacySQLite(tenant)
	body := map[string]any{"driver": "sqlite", "dsn": "legacy.db", "config": map[string]any{"dialect": "sqlite", "table": "users"}}
	if limits != nil {
		body["limits"] = limits
	}
	ts.Must(ts.Do("PUT", "/admin/v1/tenants/"+tenant+"/connection", testserver.OperatorToken, body), 200, "connect "+tenant)
	return file
}

// upload uploads a module and returns the answer.
func (ts *testServer) upload(tenant string, wasm []byte) *testserver.Response {
	ts.T.Helper()
	return ts.Do("PUT", "/admin/v1/tenants/"+tenant+"/script", testserver.OperatorToken, wasm)
}

// migrate switches the tenant's migration on.
func (ts *testServer) migrate(tenant string) {
	ts.T.Helper()
	ts.Must(ts.Do("PUT", "/admin/v1/tenants/"+tenant+"/migration", testserver.OperatorToken, map[string]any{"enabled": true}), 200, "enable migration of "+tenant)
}

// legacyTenant creates a tenant connected to its own copy of the examples'
// SQLite database, running module with migration on.
func (ts *testServer) legacyTenant(id string, module []byte) {
	ts.T.Helper()
	ts.CreateTenant(id)
	ts.connectSQLite(id, nil)
	ts.Must(ts.upload(id, module), 201, "upload module of "+id)
	ts.migrate(id)
}

// scriptTest runs POST /script/test.
func (ts *testServer) scriptTest(tenant, op, identifier, pw string) *testserver.Response {
	ts.T.Helper()
	return ts.Must(ts.Do("POST", "/admin/v1/tenants/"+tenant+"/script/test", testserver.OperatorToken,
		map[string]any{"op": op, "identifier": identifier, "password": pw}), 200, "script test of "+tenant)
}

// logEntry is one line of GET /logs.
type logEntry struct {
	Level   string `json:"level"`
	Op      string `json:"op"`
	Message string `json:"message"`
}

// logs returns the tenant's log, newest first.
func (ts *testServer) logs(tenant string) []logEntry {
	ts.T.Helper()
	r := ts.Must(ts.Do("GET", "/admin/v1/tenants/"+tenant+"/logs?limit=1000", testserver.OperatorToken, nil), 200, "logs of "+tenant)
	var out struct {
		Logs []logEntry `json:"logs"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		ts.T.Fatalf("logs of %s: %v", tenant, err)
	}
	return out.Logs
}

// readWasm reads a committed module under testdata.
func readWasm(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".wasm"))
	if err != nil {
		t.Fatalf("%v (rebuild with testdata/build.sh)", err)
	}
	return b
}

// parallelDo runs fn(i) for i in [0, n) on workers goroutines.
func parallelDo(n, workers int, fn func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// with returns a copy of ts that reports to t, for subtests.
func (ts *testServer) with(t testing.TB) *testServer {
	return &testServer{ts.Server.With(t)}
}

// median returns the median of ds , sorting ds in place.
func median(ds []time.Duration) time.Duration {
	return percentile(ds, 50)
}

// percentile returns the p-th percentile of ds, sorting ds in place.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds)-1) * p / 100)
	return ds[i]
}
