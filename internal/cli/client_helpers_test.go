package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wasmauth/wasmauth/internal/cli"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// testServer is a wasmauth started on 127.0.0.1 with a free port, with the
// CLI tests' helpers.
type testServer struct {
	*testserver.Server
}

// startServer starts a server on dataDir (a new temp folder when empty),
// logging to log and stderr when not nil.
// Options change the configuration further.
func startServer(t *testing.T, dataDir string, log *slog.Logger, stderr io.Writer, options ...func(*server.Config)) *testServer {
	t.Helper()
	cfg := server.Config{DataDir: dataDir, Log: log, Stderr: stderr}
	for _, o := range options {
		o(&cfg)
	}
	return &testServer{testserver.Start(t, cfg)}
}

// result is what one run of the command line did.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstdout:\n" + r.stdout + "\nstderr:\n" + r.stderr
}

// runCLI runs the command line with env as its whole environment.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := cli.Run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// mustRun runs the command line and fails the test unless it exits 0.
func mustRun(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	r := runCLI(t, env, stdin, args...)
	if r.code != 0 {
		t.Fatalf("wasmauth %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// operatorEnv is the environment of a CLI run as the operator.
func (ts *testServer) operatorEnv() map[string]string {
	return map[string]string{"WASMAUTH_URL": ts.Base, "WASMAUTH_ADMIN_TOKEN": testserver.OperatorToken}
}

// tenantEnv is the environment of a CLI run with a tenant's API key.
func (ts *testServer) tenantEnv(key string) map[string]string {
	return map[string]string{"WASMAUTH_URL": ts.Base, "WASMAUTH_API_KEY": key}
}

// createTenant creates a tenant through the CLI and returns its API key.
func (ts *testServer) createTenant(t *testing.T, id string) string {
	t.Helper()
	r := mustRun(t, ts.operatorEnv(), "", "tenant", "create", id, "--name", strings.ToUpper(id), "--json")
	var out struct {
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.APIKey == "" {
		t.Fatalf("tenant create --json printed %q (%v)", r.stdout, err)
	}
	return out.APIKey
}

// postJSON posts v to path and decodes the answer into a map.
func (ts *testServer) postJSON(t *testing.T, path string, v any, bearer string) (int, map[string]any) {
	t.Helper()
	r := ts.With(t).Do("POST", path, bearer, v)
	return r.Status, r.JSON
}

// postForm posts a form to path.
func (ts *testServer) postForm(t *testing.T, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	r := ts.With(t).Do("POST", path, "", form)
	return r.Status, r.JSON
}

// get gets path with an optional bearer token.
func (ts *testServer) get(t *testing.T, path, bearer string) (int, map[string]any) {
	t.Helper()
	r := ts.With(t).Do("GET", path, bearer, nil)
	return r.Status, r.JSON
}

// login logs a user in and returns the token answer; it fails the test
// unless the status is want.
func (ts *testServer) login(t *testing.T, tenant, identifier, pw string, want int) map[string]any {
	t.Helper()
	status, body := ts.postJSON(t, "/t/"+tenant+"/login", map[string]string{"identifier": identifier, "password": pw}, "")
	if status != want {
		t.Fatalf("login %s: status %d, want %d: %v", identifier, status, want, body)
	}
	return body
}

// register registers a local user and returns their id.
func (ts *testServer) register(t *testing.T, tenant, email, pw string) string {
	t.Helper()
	r := ts.With(t).Register(tenant, email, pw)
	if r.Status != http.StatusCreated {
		t.Fatalf("register %s: status %d: %v", email, r.Status, r.JSON)
	}
	u := r.Obj("user")
	id, _ := u["id"].(string)
	return id
}

// writeFile writes b to a new file in a temp folder and returns its path.
func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// slowMachine raises a tenant's script deadline to the operator's maximum:
// under the race detector on a busy machine, a module's first call (which
// compiles it) can take longer than the default five seconds.
const slowMachine = "--timeout-ms=20000"
