package adversarial_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// buildServer builds cmd/wasmauth into a temp folder.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "wasmauth")
	cmd := exec.Command(filepath.Join(os.Getenv("GOROOT"), "bin", "go"), "build", "-o", bin, "github.com/wasmauth/wasmauth/cmd/wasmauth")
	if os.Getenv("GOROOT") == "" {
		cmd = exec.Command("go", "build", "-o", bin, "github.com/wasmauth/wasmauth/cmd/wasmauth")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a running wasmauth binary.
type process struct {
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
	mu     *sync.Mutex
	done   chan struct{}
}

// startProcess runs "wasmauth serve" on a free port with dataDir and waits
// for /healthz.
func startProcess(t *testing.T, bin, dataDir string) *process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &process{base: "http://" + addr, stderr: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve", "--addr", addr, "--data", dataDir)
	p.cmd.Env = append(os.Environ(), "WASMAUTH_ADMIN_TOKEN="+testserver.OperatorToken, "WASMAUTH_LOG_LEVEL=warn", "WASMAUTH_BASE_URL=", "WASMAUTH_SQLITE_ROOT=")
	p.cmd.Stderr = lockedWriter{p.mu, p.stderr}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if r, err := client.Get(p.base + "/healthz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("wasmauth exited: %s", p.log())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("wasmauth did not become healthy: %s", p.log())
	return nil
}

// kill sends SIGKILL and waits for the process to exit.
func (p *process) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

func (p *process) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// TestCrashSafety kills the server binary with SIGKILL while registrations
// and first (migrating) logins against an SQLite legacy database run
// concurrently, restarts it on the same data, and checks that every
// acknowledged user is there and logs in by email and by username, locally
// (migration is switched off after the restart), that the counts of the
// migration status match the users listed, and that no user is half made.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the wasmauth binary")
	}
	bin := buildServer(t)
	data := t.TempDir()
	p := startProcess(t, bin, data)
	client := testserver.HTTPClient("")
	do := func(method, path, token string, body any) (*testserver.Response, error) {
		return testserver.Send(client, method, p.base+path, token, body)
	}
	mustDo := func(method, path, token string, body any, status int) *testserver.Response {
		t.Helper()
		r, err := do(method, path, token, body)
		if err != nil || r.Status != status {
			t.Fatalf("%s %s: %v %v", method, path, err, r)
		}
		return r
	}
	const tenant = "crash"
	mustDo("POST", "/admin/v1/tenants", testserver.OperatorToken, map[string]any{"id": tenant, "name": tenant}, 201)
	dir := filepath.Join(data, "legacy", tenant)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "legacy.db")
	if err := os.WriteFile(file, examples.LegacyDB, 0o600); err != nil {
		t.Fatal(err)
	}
	addLegacyUsers(t, file, 400)
	mustDo("PUT", "/admin/v1/tenants/"+tenant+"/script", testserver.OperatorToken, examples.GoLegacy, 201)
	mustDo("PUT", "/admin/v1/tenants/"+tenant+"/connection", testserver.OperatorToken,
		map[string]any{"driver": "sqlite", "dsn": "legacy.db", "config": map[string]any{"dialect": "sqlite"}}, 200)
	mustDo("PUT", "/admin/v1/tenants/"+tenant+"/migration", testserver.OperatorToken, map[string]any{"enabled": true}, 200)

	// Registrations and first logins, until the kill.
	var mu sync.Mutex
	registered := map[int]bool{}
	migrated := map[int]bool{}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ctx.Err() == nil && i < 400; i += 8 {
				var r *testserver.Response
				var err error
				if w%2 == 0 {
					r, err = do("POST", "/t/"+tenant+"/register", "", map[string]any{
						"email": fmt.Sprintf("reg%d@example.com", i), "username": fmt.Sprintf("reg%d", i), "password": regPassword(i)})
					if err == nil && r.Status == 201 {
						mu.Lock()
						registered[i] = true
						mu.Unlock()
					}
				} else {
					r, err = do("POST", "/t/"+tenant+"/login", "", map[string]any{
						"identifier": fmt.Sprintf("user%d@example.com", i), "password": testserver.SeedPassword("alice")})
					if err == nil && r.Status == 200 {
						mu.Lock()
						migrated[i] = true
						mu.Unlock()
					}
				}
				if err == nil && r.Status >= 500 {
					t.Errorf("before the kill: %d %s", r.Status, r.Body)
				}
			}
		}()
	}
	time.Sleep(2 * time.Second)
	p.kill()
	stop()
	wg.Wait()
	t.Logf("acknowledged before SIGKILL: %d registrations, %d migrations", len(registered), len(migrated))
	if len(registered) == 0 || len(migrated) == 0 {
		t.Fatalf("nothing was acknowledged before the kill (%d, %d): slow machine?", len(registered), len(migrated))
	}

	p = startProcess(t, bin, data)
	// From now on every login must be local.
	mustDo("PUT", "/admin/v1/tenants/"+tenant+"/migration", testserver.OperatorToken, map[string]any{"enabled": false}, 200)
	status := mustDo("GET", "/admin/v1/tenants/"+tenant+"/migration", testserver.OperatorToken, nil, 200)

	// Every user listed logs in by email and by username: nothing half made.
	var users []struct {
		Email    string `json:"email"`
		Username string `json:"username"`
		Source   string `json:"source"`
	}
	cursor := ""
	for {
		r := mustDo("GET", "/admin/v1/tenants/"+tenant+"/users?limit=100&cursor="+cursor, testserver.OperatorToken, nil, 200)
		var page struct {
			Users []struct {
				Email    string `json:"email"`
				Username string `json:"username"`
				Source   string `json:"source"`
			} `json:"users"`
			Next *string `json:"next_cursor"`
		}
		if err := json.Unmarshal(r.Body, &page); err != nil {
			t.Fatal(err)
		}
		users = append(users, page.Users...)
		if page.Next == nil || *page.Next == "" {
			break
		}
		cursor = *page.Next
	}
	present := map[string]bool{}
	var local, legacy int
	for _, u := range users {
		present[u.Email] = true
		pw := testserver.SeedPassword("alice")
		if u.Source == "local" {
			local++
			var i int
			if _, err := fmt.Sscanf(u.Username, "reg%d", &i); err != nil {
				t.Fatalf("unexpected local user %+v", u)
			}
			pw = regPassword(i)
		} else {
			legacy++
		}
		for _, id := range []string{u.Email, u.Username} {
			r := mustDo("POST", "/t/"+tenant+"/login", "", map[string]any{"identifier": id, "password": pw}, 200)
			if r.Obj("user")["source"] != u.Source {
				t.Fatalf("login as %s: %s", id, r.Body)
			}
		}
	}
	for i := range registered {
		if !present[fmt.Sprintf("reg%d@example.com", i)] {
			t.Errorf("acknowledged registration %d is gone", i)
		}
	}
	for i := range migrated {
		if !present[fmt.Sprintf("user%d@example.com", i)] {
			t.Errorf("acknowledged migration of user%d is gone", i)
		}
	}
	st := status.JSON
	if int(st["users_total"].(float64)) != len(users) || int(st["users_migrated"].(float64)) != legacy || int(st["users_registered"].(float64)) != local {
		t.Errorf("status %v, but %d users listed (%d legacy, %d local)", st, len(users), legacy, local)
	}
	t.Logf("after restart: %d users (%d registered, %d migrated), each logs in by email and username", len(users), local, legacy)
}

func regPassword(i int) string { return fmt.Sprintf("registered-password-%d", i) }
