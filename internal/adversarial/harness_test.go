package adversarial_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/server"
)

const operatorToken = "adversarial-operator-token"

// cheapHash keeps tests fast where the cost of argon2id is not the point.
var cheapHash = password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// testServer is a wasmauth started in-process on 127.0.0.1 with a random port.
type testServer struct {
	t      testing.TB
	cfg    server.Config
	srv    *server.Server
	base   string
	client *http.Client
}

// startServer starts a server with cfg; empty fields get a temp data folder,
// a random port, the test operator token and cheap hashes.
func startServer(t testing.TB, cfg server.Config) *testServer {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = operatorToken
	}
	if cfg.Hash == (password.Params{}) {
		cfg.Hash = cheapHash
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("starting the server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	ts := &testServer{t: t, cfg: cfg, srv: srv, base: "http://" + srv.Addr(), client: newClient("")}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with: %v", err)
		}
	})
	ts.mustHealthy()
	return ts
}

// newClient returns an HTTP client whose connections come from localIP
// ("127.0.0.2"), or from the default address when it is empty.
func newClient(localIP string) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if localIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
	}
	return &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 64},
	}
}

// response is a decoded answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

func (r *response) str(key string) string {
	s, _ := r.JSON[key].(string)
	return s
}

func (r *response) obj(key string) map[string]any {
	m, _ := r.JSON[key].(map[string]any)
	return m
}

// code returns the problem code of an error answer.
func (r *response) code() string { return r.str("code") }

// send sends a request with client and returns the answer or the transport
// error. A body is JSON-encoded unless it is []byte (sent as
// application/wasm), a string (sent raw as JSON) or url.Values (a form).
func send(client *http.Client, method, target, token string, body any) (*response, error) {
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/wasm"
	case string:
		rd = strings.NewReader(b)
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := &response{Status: resp.StatusCode, Header: resp.Header}
	out.Body, err = io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if len(out.Body) > 0 && out.Body[0] == '{' {
		_ = json.Unmarshal(out.Body, &out.JSON)
	}
	return out, nil
}

// do sends a request with the server's client; a transport error fails the test.
func (ts *testServer) do(method, path, token string, body any) *response {
	ts.t.Helper()
	r, err := send(ts.client, method, ts.base+path, token, body)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// must checks the status of a response.
func (ts *testServer) must(r *response, status int, what string) *response {
	ts.t.Helper()
	if r.Status != status {
		ts.t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
	return r
}

// mustHealthy checks /healthz, waiting up to 5 s for a fresh server.
func (ts *testServer) mustHealthy() {
	ts.t.Helper()
	var last string
	for i := 0; i < 250; i++ {
		r, err := send(ts.client, "GET", ts.base+"/healthz", "", nil)
		if err == nil && r.Status == 200 {
			return
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("status %d", r.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.t.Fatalf("server not healthy: %s", last)
}

// createTenant creates a tenant and returns its API key.
func (ts *testServer) createTenant(id string) string {
	ts.t.Helper()
	r := ts.must(ts.do("POST", "/admin/v1/tenants", operatorToken, map[string]any{"id": id, "name": id}), 201, "create tenant "+id)
	return r.str("api_key")
}

// connectSQLite copies the examples' legacy database into the tenant's
// SQLite folder and makes it the tenant's connection; it returns the file.
func (ts *testServer) connectSQLite(tenant string, limits map[string]any) string {
	ts.t.Helper()
	dir := filepath.Join(ts.sqliteRoot(), tenant)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		ts.t.Fatal(err)
	}
	file := filepath.Join(dir, "legacy.db")
	if err := os.WriteFile(file, examples.LegacyDB, 0o600); err != nil {
		ts.t.Fatal(err)
	}
	body := map[string]any{"driver": "sqlite", "dsn": "legacy.db", "config": map[string]any{"dialect": "sqlite", "table": "users"}}
	if limits != nil {
		body["limits"] = limits
	}
	ts.must(ts.do("PUT", "/admin/v1/tenants/"+tenant+"/connection", operatorToken, body), 200, "connect "+tenant)
	return file
}

func (ts *testServer) sqliteRoot() string {
	if ts.cfg.SQLiteRoot != "" {
		return ts.cfg.SQLiteRoot
	}
	return filepath.Join(ts.cfg.DataDir, "legacy")
}

// upload uploads a module and returns the answer.
func (ts *testServer) upload(tenant string, wasm []byte) *response {
	ts.t.Helper()
	return ts.do("PUT", "/admin/v1/tenants/"+tenant+"/script", operatorToken, wasm)
}

// migrate switches the tenant's migration on.
func (ts *testServer) migrate(tenant string) {
	ts.t.Helper()
	ts.must(ts.do("PUT", "/admin/v1/tenants/"+tenant+"/migration", operatorToken, map[string]any{"enabled": true}), 200, "enable migration of "+tenant)
}

// legacyTenant creates a tenant connected to its own copy of the examples'
// SQLite database, running module with migration on.
func (ts *testServer) legacyTenant(id string, module []byte) {
	ts.t.Helper()
	ts.createTenant(id)
	ts.connectSQLite(id, nil)
	ts.must(ts.upload(id, module), 201, "upload module of "+id)
	ts.migrate(id)
}

func (ts *testServer) login(tenant, identifier, pw string) *response {
	ts.t.Helper()
	return ts.do("POST", "/t/"+tenant+"/login", "", map[string]any{"identifier": identifier, "password": pw})
}

func (ts *testServer) register(tenant, email, pw string) *response {
	ts.t.Helper()
	return ts.do("POST", "/t/"+tenant+"/register", "", map[string]any{"email": email, "password": pw})
}

// scriptTest runs POST /script/test.
func (ts *testServer) scriptTest(tenant, op, identifier, pw string) *response {
	ts.t.Helper()
	return ts.must(ts.do("POST", "/admin/v1/tenants/"+tenant+"/script/test", operatorToken,
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
	ts.t.Helper()
	r := ts.must(ts.do("GET", "/admin/v1/tenants/"+tenant+"/logs?limit=1000", operatorToken, nil), 200, "logs of "+tenant)
	var out struct {
		Logs []logEntry `json:"logs"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		ts.t.Fatalf("logs of %s: %v", tenant, err)
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

// seedPassword returns a sample legacy user's plaintext password.
func seedPassword(username string) string {
	for _, u := range examples.SeedUsers() {
		if u.Username == username {
			return u.Password
		}
	}
	panic("no seed user " + username)
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
	c := *ts
	c.t = t
	return &c
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
