package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/server"
)

const operatorToken = "test-operator-token"

// cheapHash keeps tests fast; the benchmark uses the defaults.
var cheapHash = password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// testServer is a wasmauth started on 127.0.0.1 with a random port.
type testServer struct {
	t    testing.TB
	cfg  server.Config
	srv  *server.Server
	base string
	stop func()
}

// start starts a server on dataDir (a new temp folder when empty).
func start(t testing.TB, dataDir string, hash password.Params) *testServer {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: dataDir, AdminToken: operatorToken, Hash: hash}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("starting the server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	ts := &testServer{t: t, cfg: cfg, srv: srv, base: "http://" + srv.Addr()}
	var once bool
	ts.stop = func() {
		if once {
			return
		}
		once = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with: %v", err)
		}
	}
	t.Cleanup(ts.stop)
	for i := 0; i < 100; i++ {
		if r, err := http.Get(ts.base + "/healthz"); err == nil {
			r.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ts
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

// client waits long: on a loaded CI machine compiling an uploaded module
// takes many seconds.
var client = &http.Client{Timeout: 2 * time.Minute}

// do sends a request with a JSON (or raw []byte) body and decodes a JSON answer.
func (ts *testServer) do(method, path, token string, body any) *response {
	ts.t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
		ctype = "application/wasm"
	case url.Values:
		rd = strings.NewReader(b.Encode())
		ctype = "application/x-www-form-urlencoded"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, ts.base+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out := &response{Status: resp.StatusCode, Header: resp.Header}
	out.Body, _ = io.ReadAll(resp.Body)
	if len(out.Body) > 0 && out.Body[0] == '{' {
		_ = json.Unmarshal(out.Body, &out.JSON)
	}
	return out
}

// must checks the status of a response.
func (ts *testServer) must(r *response, status int, what string) *response {
	ts.t.Helper()
	if r.Status != status {
		ts.t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
	return r
}

// createTenant creates a tenant and returns its API key.
func (ts *testServer) createTenant(id string) string {
	ts.t.Helper()
	r := ts.must(ts.do("POST", "/admin/v1/tenants", operatorToken, map[string]any{"id": id, "name": id}), 201, "create tenant")
	return r.str("api_key")
}

func (ts *testServer) login(tenant, identifier, pw string) *response {
	ts.t.Helper()
	return ts.do("POST", "/t/"+tenant+"/login", "", map[string]any{"identifier": identifier, "password": pw})
}

func (ts *testServer) migration(tenant string) map[string]any {
	ts.t.Helper()
	return ts.must(ts.do("GET", "/admin/v1/tenants/"+tenant+"/migration", operatorToken, nil), 200, "migration status").JSON
}

// num reads a JSON number at a dotted path such as "legacy.errors".
func num(m map[string]any, path string) int {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, _ := v.(map[string]any)
		v = mm[k]
	}
	f, ok := v.(float64)
	if !ok {
		panic(fmt.Sprintf("no number at %s in %v", path, m))
	}
	return int(f)
}
