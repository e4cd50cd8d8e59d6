package cluster_test

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"

	"github.com/wasmauth/wasmauth/internal/testserver"
)

// binary is the wasmauth binary built once for the package's tests.
var (
	binDir   string
	binPath  string
	buildErr error
	build    sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildBinary builds cmd/wasmauth once, into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	build.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "wasmauth-cluster-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "wasmauth")
		goTool := "go"
		if root := os.Getenv("GOROOT"); root != "" {
			goTool = filepath.Join(root, "bin", "go")
		}
		out, err := exec.Command(goTool, "build", "-o", binPath, "github.com/wasmauth/wasmauth/cmd/wasmauth").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// node is one running "wasmauth serve".
type node struct {
	testserver.Client
	cmd    *exec.Cmd
	stderr *testserver.LockedBuffer
	done   chan struct{}
}

// kill sends SIGKILL and waits for the process to end.
func (n *node) kill() {
	n.cmd.Process.Kill()
	<-n.done
}

// startNode runs wasmauth serve on a free loopback port with its own data
// folder on store, and waits until it is healthy.
func startNode(t *testing.T, store string) *node {
	t.Helper()
	bin := buildBinary(t)
	var stderr string
	for range 3 { // the free port may be taken before the server listens
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		n := &node{Client: testserver.NewClient(t, "http://"+addr), stderr: &testserver.LockedBuffer{}, done: make(chan struct{})}
		n.cmd = exec.Command(bin, "serve", "--addr", addr, "--data", t.TempDir(), "--store", store)
		n.cmd.Env = append(os.Environ(),
			"WASMAUTH_ADMIN_TOKEN="+testserver.OperatorToken,
			"WASMAUTH_BASE_URL=", "WASMAUTH_SQLITE_ROOT=", "WASMAUTH_RATE_LIMIT_STORE=",
			"WASMAUTH_LEGACY_NETWORKS=127.0.0.0/8",
			"WASMAUTH_LOG_LEVEL=warn",
		)
		n.cmd.Stdout = io.Discard
		n.cmd.Stderr = n.stderr
		if err := n.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			n.cmd.Wait()
			close(n.done)
		}()
		t.Cleanup(func() {
			select {
			case <-n.done:
			default:
				n.kill()
			}
		})
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-n.done:
				deadline = time.Time{}
				continue
			default:
			}
			if r, err := n.Try("GET", "/readyz", "", nil); err == nil && r.Status == 200 {
				return n
			}
			time.Sleep(50 * time.Millisecond)
		}
		n.kill()
		stderr = n.stderr.String()
		if !strings.Contains(stderr, "address already in use") {
			break
		}
	}
	t.Fatalf("wasmauth did not become ready; stderr:\n%s", stderr)
	return nil
}

// cluster is three nodes on one scratch database, reached through a proxy.
type cluster struct {
	nodes []*node
	proxy *proxy
	next  atomic.Int64
}

// rr returns the nodes in turn.
func (c *cluster) rr() *node {
	return c.nodes[int(c.next.Add(1))%len(c.nodes)]
}

func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("runs three wasmauth processes; skipped in -short mode")
	}
	if testserver.RaceDetector {
		t.Skip("a load test of three processes; skipped under the race detector")
	}
	dsn := testserver.ScratchPostgres(t, "wasmauth_cluster")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{proxy: startProxy(t, u.Host)}
	u.Host = c.proxy.Addr()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	c.nodes = make([]*node, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { c.nodes[i] = startNode(t, u.String()) })
	}
	wg.Wait()
	for _, nd := range c.nodes {
		if nd == nil {
			t.FailNow()
		}
	}
	return c
}

// refresh exchanges a refresh token at n.
func refresh(n *node, tenant, rt string) *testserver.Response {
	return n.Do("POST", "/t/"+tenant+"/oauth/token", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

// TestThreeNodes walks SCALE.md over three processes sharing a database,
// requests spread round-robin.
func TestThreeNodes(t *testing.T) {
	c := startCluster(t, 3)
	a := c.nodes[0]
	a.CreateTenant("acme")
	// The legacy table lives as long as the whole test: the module of the
	// next subtest reads it too.
	l := (&testserver.Server{}).LegacyDB(t, "postgres", "legacy")
	run := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			for _, nd := range c.nodes {
				nd.T = t
			}
			f(t)
		})
	}

	run("refresh reuse across nodes revokes the session", func(t *testing.T) {
		c.rr().Must(c.rr().Register("acme", "ann@example.com", "correct horse battery"), 201, "register")
		r0 := c.rr().Must(c.rr().Login("acme", "ann@example.com", "correct horse battery"), 200, "login").Str("refresh_token")
		n1, n2, n3 := c.nodes[0], c.nodes[1], c.nodes[2]
		r1 := n1.Must(refresh(n1, "acme", r0), 200, "refresh on node 0").Str("refresh_token")
		for _, x := range []struct {
			what string
			r    *testserver.Response
		}{
			{"the rotated token again, on node 1", refresh(n2, "acme", r0)},
			{"the current token on node 2, after the reuse", refresh(n3, "acme", r1)},
		} {
			if x.r.Status != 400 || x.r.Str("error") != "invalid_grant" {
				t.Fatalf("%s: %s, want 400 invalid_grant", x.what, x.r)
			}
		}
	})

	run("first logins of one legacy user over three nodes make one user", func(t *testing.T) {
		a.CreateTenant("legacy")
		base := "/admin/v1/tenants/legacy"
		a.Must(a.Do("PUT", base+"/script", testserver.OperatorToken, examples.CLegacy), 201, "upload the module")
		a.Must(a.Do("PUT", base+"/connection", testserver.OperatorToken, map[string]any{
			"driver": l.Driver, "dsn": l.DSN, "config": l.Config, "limits": map[string]any{"timeout_ms": 20000},
		}), 200, "set the connection")
		a.Must(a.Do("PUT", base+"/migration", testserver.OperatorToken, map[string]any{"enabled": true}), 200, "enable migration")
		const n = 20
		statuses := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			nd := c.nodes[i%3]
			wg.Go(func() {
				r, err := nd.Try("POST", "/t/legacy/login", "", map[string]any{"identifier": "alice@example.com", "password": testserver.SeedPassword("alice")})
				if err != nil {
					statuses[i] = err.Error()
				} else if r.Status != 200 {
					statuses[i] = r.String()
				}
			})
		}
		wg.Wait()
		for i, s := range statuses {
			if s != "" {
				t.Fatalf("first login %d on node %d: %s", i, i%3, s)
			}
		}
		st := c.rr().Must(c.rr().Do("GET", base+"/migration", testserver.OperatorToken, nil), 200, "migration status").JSON
		if st["users_migrated"] != 1.0 || st["users_total"] != 1.0 {
			t.Fatalf("after %d first logins over 3 nodes: %v, want one user", n, st)
		}
	})

	run("a script activated on one node is in force on the others", func(t *testing.T) {
		// The trivial module answers legacy user 1 for any password; in a
		// tenant of its own, where that user is not local yet.
		a.CreateTenant("scripts")
		base := "/admin/v1/tenants/scripts"
		a.Must(a.Do("PUT", base+"/script", testserver.OperatorToken, examples.CLegacy), 201, "upload the C example")
		a.Must(a.Do("PUT", base+"/connection", testserver.OperatorToken, map[string]any{"driver": l.Driver, "dsn": l.DSN, "config": l.Config}), 200, "set the connection")
		a.Must(a.Do("PUT", base+"/migration", testserver.OperatorToken, map[string]any{"enabled": true}), 200, "enable migration")
		for _, nd := range c.nodes {
			nd.Must(nd.Login("scripts", "trivial@example.com", "any password at all"), 401, "login under the C example")
		}
		a.Must(a.Do("PUT", base+"/script", testserver.OperatorToken, examples.WATTrivial), 201, "activate the trivial module on node 0")
		// SCALE.md allows 2 s; the bound here is generous, for a loaded machine.
		for i, nd := range c.nodes[1:] {
			i++
			deadline := time.Now().Add(10 * time.Second)
			for r := nd.Login("scripts", "trivial@example.com", "any password at all"); r.Status != 200; r = nd.Login("scripts", "trivial@example.com", "any password at all") {
				if time.Now().After(deadline) {
					t.Fatalf("node %d still runs the old module 10 s after the activation: %s", i, r)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	})

	run("guesses spread over nodes are limited as at one node", func(t *testing.T) {
		c.rr().Must(c.rr().Register("acme", "guess@example.com", "the right password"), 201, "register")
		// 10 failures per identifier and address (the default): the 11th
		// guess is refused wherever it lands. A node hears of the block by
		// a notification; one that had not yet heard lets one more guess
		// through, and then knows.
		var unauthorized, limited int
		for i := 0; limited == 0 && i < 10+len(c.nodes)+1; i++ {
			switch r := c.rr().Login("acme", "guess@example.com", fmt.Sprintf("guess %d", i)); r.Status {
			case 401:
				unauthorized++
			case 429:
				limited++
			default:
				t.Fatalf("guess %d: %s", i, r)
			}
		}
		if unauthorized < 10 || unauthorized > 10+len(c.nodes)-1 || limited == 0 {
			t.Fatalf("%d guesses answered 401 and %d 429 over %d nodes; want 10 (at most %d) then 429", unauthorized, limited, len(c.nodes), 10+len(c.nodes)-1)
		}
		// Now every node refuses, even the right password.
		for i, nd := range c.nodes {
			deadline := time.Now().Add(5 * time.Second)
			for {
				r := nd.Login("acme", "guess@example.com", "the right password")
				if r.Status == 429 {
					break
				}
				if r.Status != 200 && r.Status != 401 {
					t.Fatalf("node %d: %s", i, r)
				}
				if r.Status == 200 || time.Now().After(deadline) {
					t.Fatalf("node %d lets the blocked identifier in: %s", i, r)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	})

	run("PostgreSQL unreachable under load: 503 then recovery, no 500", func(t *testing.T) {
		c.rr().Must(c.rr().Register("acme", "load@example.com", "correct horse battery"), 201, "register")
		var (
			mu     sync.Mutex
			counts = map[int]int{}
			bad    []string
		)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					nd := c.nodes[(w+i)%3]
					r, err := nd.Try("POST", "/t/acme/login", "", map[string]any{"identifier": "load@example.com", "password": "correct horse battery"})
					mu.Lock()
					if err != nil {
						bad = append(bad, err.Error())
					} else {
						counts[r.Status]++
						if r.Status != 200 && r.Status != 503 {
							bad = append(bad, r.String())
						}
					}
					mu.Unlock()
				}
			})
		}
		time.Sleep(500 * time.Millisecond)
		c.proxy.Cut()
		// While it is cut, readyz says so on every node.
		deadline := time.Now().Add(10 * time.Second)
		for _, nd := range c.nodes {
			for nd.Do("GET", "/readyz", "", nil).Status != 503 {
				if time.Now().After(deadline) {
					t.Fatal("a node is ready 10 s after the database was cut off")
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		time.Sleep(time.Second)
		c.proxy.Restore()
		deadline = time.Now().Add(20 * time.Second)
		for _, nd := range c.nodes {
			for nd.Login("acme", "load@example.com", "correct horse battery").Status != 200 {
				if time.Now().After(deadline) {
					t.Fatal("a node does not log in 20 s after the database came back")
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		close(stop)
		wg.Wait()
		if len(bad) > 0 || counts[503] == 0 || counts[200] == 0 {
			t.Fatalf("statuses %v, failures %q; want 200s and 503s only", counts, bad[:min(len(bad), 5)])
		}
		t.Logf("logins under the outage: %v", counts)
	})

	run("kill -9 of a node under registration load loses no acknowledged user", func(t *testing.T) {
		victim := c.nodes[2]
		var (
			mu    sync.Mutex
			acked []string
			wg    sync.WaitGroup
		)
		enough := make(chan struct{})
		var once sync.Once
		for w := range 6 {
			// Registrations are limited per client address: a client each.
			hc := testserver.HTTPClient(fmt.Sprintf("127.0.0.%d", 30+w))
			wg.Go(func() {
				for i := range 15 {
					nd := c.nodes[(w+i)%3]
					email := fmt.Sprintf("w%d-%d@example.com", w, i)
					r, err := testserver.Send(hc, "POST", nd.Base+"/t/acme/register", "", map[string]any{"email": email, "password": "correct horse battery"})
					if err != nil || r.Status != 201 {
						continue // the killed node, or a request cut short
					}
					mu.Lock()
					acked = append(acked, email)
					if len(acked) >= 20 {
						once.Do(func() { close(enough) })
					}
					mu.Unlock()
				}
			})
		}
		select {
		case <-enough:
		case <-time.After(30 * time.Second):
			t.Fatal("not 20 registrations in 30 s")
		}
		victim.kill()
		wg.Wait()
		c.nodes = c.nodes[:2]
		if len(acked) < 20 {
			t.Fatalf("only %d registrations acknowledged", len(acked))
		}
		for _, email := range acked {
			c.rr().Must(c.rr().Login("acme", email, "correct horse battery"), 200, "login of acknowledged "+email)
		}
		t.Logf("%d acknowledged registrations, all there after the kill", len(acked))
	})
}
