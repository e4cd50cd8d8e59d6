package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/testserver"
)

// binDir holds the wasmauth binary built once per test run; TestMain
// removes it.
var (
	binDir    string
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binaryEnv names a prebuilt wasmauth binary to test instead of building
// cmd/wasmauth, for example a release build.
const binaryEnv = "WASMAUTH_E2E_BINARY"

// buildBinary builds cmd/wasmauth once per test run (or takes the binary
// that WASMAUTH_E2E_BINARY names) and returns its path. It skips the test in
// -short mode.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the wasmauth binary; skipped in -short mode")
	}
	if bin := os.Getenv(binaryEnv); bin != "" {
		return bin
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "wasmauth-e2e-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "wasmauth")
		goTool := "go"
		if root := os.Getenv("GOROOT"); root != "" {
			goTool = filepath.Join(root, "bin", "go")
		}
		cmd := exec.Command(goTool, "build", "-o", binPath, "github.com/wasmauth/wasmauth/cmd/wasmauth")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a running wasmauth binary.
type proc struct {
	cmd    *exec.Cmd
	addr   string
	base   string
	client *http.Client
	stderr *testserver.LockedBuffer
	done   chan struct{} // closed when the process has exited
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startBinary runs "wasmauth serve" on a free port with dataDir and waits
// until /healthz answers. The process is killed when the test ends, if it
// still runs.
func startBinary(t *testing.T, dataDir string) *proc {
	t.Helper()
	bin := buildBinary(t)
	var lastErr string
	// The free port may be taken between freeAddr and the server's listen:
	// try a few.
	for range 3 {
		addr := freeAddr(t)
		p := &proc{
			addr:   addr,
			base:   "http://" + addr,
			client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
			stderr: &testserver.LockedBuffer{},
			done:   make(chan struct{}),
		}
		p.cmd = exec.Command(bin, "serve", "--addr", addr, "--data", dataDir)
		p.cmd.Env = append(os.Environ(),
			"WASMAUTH_ADMIN_TOKEN="+testserver.OperatorToken,
			"WASMAUTH_BASE_URL=",
			"WASMAUTH_SQLITE_ROOT=",
			"WASMAUTH_LOG_LEVEL=warn",
		)
		p.cmd.Stdout = io.Discard
		p.cmd.Stderr = p.stderr
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			p.cmd.Wait()
			close(p.done)
		}()
		t.Cleanup(func() {
			select {
			case <-p.done:
			default:
				p.cmd.Process.Kill()
				<-p.done
			}
		})
		if p.waitHealthy(15 * time.Second) {
			return p
		}
		lastErr = p.stderr.String()
		p.cmd.Process.Kill()
		<-p.done
		if !strings.Contains(lastErr, "address already in use") {
			break
		}
	}
	t.Fatalf("wasmauth did not become healthy; stderr:\n%s", lastErr)
	return nil
}

// waitHealthy polls /healthz until it answers 200, the process exits or
// the time is up.
func (p *proc) waitHealthy(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return false
		default:
		}
		if r, err := sendTo(p.client, p.base, http.MethodGet, "/healthz", "", "", nil); err == nil && r.Status == http.StatusOK {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// wait waits for the process to exit, up to limit.
func (p *proc) wait(t *testing.T, limit time.Duration) *os.ProcessState {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState
	case <-time.After(limit):
		t.Fatalf("wasmauth did not exit within %v; stderr:\n%s", limit, p.stderr.String())
		return nil
	}
}

// env returns an env that talks to the process, for the JSON helpers.
func (p *proc) env(t *testing.T) *env {
	return &env{testserver.Client{T: t, Base: p.base, HTTP: p.client}}
}

// TestCrashSafety registers users concurrently, kills the server with
// SIGKILL while registrations are in flight, restarts it on the same data
// folder, and checks that every acknowledged registration survived.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := startBinary(t, dir)
	e := p.env(t)
	e.CreateTenant("acme")

	const (
		workers = 6
		minAcks = 40
	)
	type account struct{ email, password string }
	var (
		mu    sync.Mutex
		acked []account
		wg    sync.WaitGroup
	)
	enough := make(chan struct{})
	var enoughOnce sync.Once
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Registrations are limited per client address (20 by
			// default): each worker is a client of its own.
			client := testserver.HTTPClient(fmt.Sprintf("127.0.0.%d", 10+w))
			for i := 0; ; i++ {
				a := account{fmt.Sprintf("user-%d-%d@example.com", w, i), fmt.Sprintf("secret-%d-%d-pw", w, i)}
				body, _ := json.Marshal(map[string]string{"email": a.email, "password": a.password})
				r, err := sendTo(client, p.base, http.MethodPost, "/t/acme/register", "", "application/json", body)
				if err != nil {
					return // the server is gone
				}
				if r.Status == http.StatusTooManyRequests {
					return // this client's registrations are used up
				}
				if r.Status != http.StatusCreated {
					t.Errorf("registering %s: %s", a.email, r)
					return
				}
				mu.Lock()
				acked = append(acked, a)
				n := len(acked)
				mu.Unlock()
				if n >= minAcks {
					enoughOnce.Do(func() { close(enough) })
				}
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
		t.Fatalf("fewer than %d registrations in 60 s", minAcks)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	st := p.wait(t, 10*time.Second)
	wg.Wait()
	if ws, ok := st.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("process ended with %v, not by SIGKILL", st)
	}

	p2 := startBinary(t, dir)
	e2 := p2.env(t)
	mu.Lock()
	accounts := append([]account(nil), acked...)
	mu.Unlock()
	t.Logf("%d registrations acknowledged before SIGKILL", len(accounts))

	work := make(chan account)
	var lwg sync.WaitGroup
	for range 4 {
		lwg.Add(1)
		go func() {
			defer lwg.Done()
			for a := range work {
				body, _ := json.Marshal(map[string]string{"identifier": a.email, "password": a.password})
				r, err := sendTo(p2.client, p2.base, http.MethodPost, "/t/acme/login", "", "application/json", body)
				if err != nil {
					t.Errorf("login %s after restart: %v", a.email, err)
					continue
				}
				if r.Status != http.StatusOK {
					t.Errorf("acknowledged user %s lost after SIGKILL: %s", a.email, r)
				}
			}
		}()
	}
	for _, a := range accounts {
		work <- a
	}
	close(work)
	lwg.Wait()

	// The restarted server takes new writes.
	e2.register("acme", map[string]any{"email": "after@example.com", "password": "correct horse"})
	e2.login("acme", "after@example.com", "correct horse")
}

// TestGracefulShutdown sends SIGTERM while a request is in flight: the
// server stops accepting, answers that request, exits 0, and starts again
// on the same data folder.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := startBinary(t, dir)
	e := p.env(t)
	e.CreateTenant("acme")
	e.register("acme", map[string]any{"email": "alice@example.com", "password": "correct horse"})

	// On one keep-alive connection, a first request proves the server took
	// the connection; then a login is sent with only half of its body, so
	// it is in flight until the rest arrives.
	conn, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	if _, err := fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", p.addr); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	body := []byte(`{"identifier": "alice@example.com", "password": "correct horse"}`)
	head := fmt.Sprintf("POST /t/acme/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", p.addr, len(body))
	if _, err := conn.Write(append([]byte(head), body[:len(body)/2]...)); err != nil {
		t.Fatal(err)
	}
	// Give the server's connection goroutine a moment to wake up on the new
	// bytes and mark the connection busy; an idle one is closed at shutdown.
	time.Sleep(200 * time.Millisecond)

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The server stops accepting new connections.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections 10 s after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case <-p.done:
		t.Fatalf("the server exited with a request in flight; stderr:\n%s", p.stderr.String())
	default:
	}

	// The in-flight request completes.
	if _, err := conn.Write(body[len(body)/2:]); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the in-flight answer: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(got, []byte(`"access_token"`)) {
		t.Fatalf("in-flight login answered %d %s", resp.StatusCode, got)
	}

	st := p.wait(t, 15*time.Second)
	if st.ExitCode() != 0 {
		t.Fatalf("exit code %d after SIGTERM; stderr:\n%s", st.ExitCode(), p.stderr.String())
	}

	p2 := startBinary(t, dir)
	e2 := p2.env(t)
	e2.login("acme", "alice@example.com", "correct horse")
	e2.register("acme", map[string]any{"email": "bob@example.com", "password": "correct horse"})
}

// TestGeneratedOperatorToken starts the binary without WASMAUTH_ADMIN_TOKEN:
// it prints a generated token once, that token works, and a restart does
// not print it again.
func TestGeneratedOperatorToken(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	run := func() (*proc, string) {
		addr := freeAddr(t)
		p := &proc{addr: addr, base: "http://" + addr, client: &http.Client{Timeout: 10 * time.Second}, stderr: &testserver.LockedBuffer{}, done: make(chan struct{})}
		p.cmd = exec.Command(bin, "serve", "--addr", addr, "--data", dir)
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "WASMAUTH_") {
				env = append(env, kv)
			}
		}
		p.cmd.Env = env
		p.cmd.Stderr = p.stderr
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { p.cmd.Wait(); close(p.done) }()
		t.Cleanup(func() {
			select {
			case <-p.done:
			default:
				p.cmd.Process.Kill()
				<-p.done
			}
		})
		if !p.waitHealthy(15 * time.Second) {
			t.Fatalf("wasmauth did not become healthy; stderr:\n%s", p.stderr.String())
		}
		var token string
		for _, f := range strings.Fields(p.stderr.String()) {
			if v, ok := strings.CutPrefix(f, "WASMAUTH_ADMIN_TOKEN="); ok {
				token = v
			}
		}
		return p, token
	}

	p, token := run()
	if token == "" {
		t.Fatalf("no generated token on stderr:\n%s", p.stderr.String())
	}
	wantStatus(t, p.env(t).Send(http.MethodGet, "/admin/v1/tenants", token, "", nil), http.StatusOK)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if st := p.wait(t, 15*time.Second); st.ExitCode() != 0 {
		t.Fatalf("exit code %d", st.ExitCode())
	}

	p2, again := run()
	if again != "" || strings.Contains(p2.stderr.String(), token) {
		t.Fatalf("the token was printed again on restart:\n%s", p2.stderr.String())
	}
	wantStatus(t, p2.env(t).Send(http.MethodGet, "/admin/v1/tenants", token, "", nil), http.StatusOK)
	wantProblem(t, p2.env(t).Send(http.MethodGet, "/admin/v1/tenants", "wao_wrong", "", nil), http.StatusUnauthorized, "unauthorized")
}
