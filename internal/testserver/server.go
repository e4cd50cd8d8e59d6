package testserver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testdb"
)

// OperatorToken is the operator token of every server Start runs, unless
// the configuration names another.
const OperatorToken = "wao_test-operator-token-0123456789"

// CheapHash are argon2id parameters that keep tests fast where the cost of
// hashing is not the point.
var CheapHash = password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// healthyWithin bounds how long Start waits for a new server's /healthz.
const healthyWithin = 30 * time.Second

// stopWithin bounds how long Stop waits for Serve to return.
const stopWithin = time.Minute

// Server is a wasmauth running in-process for one test.
type Server struct {
	// Client talks to the server for the test that started it.
	Client
	// Config is the configuration Start was given, test defaults filled in.
	Config server.Config
	// Srv is the running server.
	Srv *server.Server

	stop func()
}

// StoreEnv, set to "postgres", makes Start run servers whose Store is left
// empty on a scratch PostgreSQL database each, so that the same suites
// check both stores.
const StoreEnv = "WASMAUTH_TEST_STORE"

// Start runs a server with cfg and stops it when the test ends. Empty
// fields get test defaults: a new temporary data folder, a random port on
// 127.0.0.1, OperatorToken, CheapHash (pass password.DefaultParams for the
// real cost) and, when LegacyNetworks is nil, testdb.Loopback, where the test
// databases are (pass an empty, non-nil list for the server's own default,
// which refuses loopback), and with StoreEnv set a scratch PostgreSQL
// database as the store. Start returns once /healthz answers 200.
func Start(t testing.TB, cfg server.Config) *Server {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = OperatorToken
	}
	if cfg.Hash == (password.Params{}) {
		cfg.Hash = CheapHash
	}
	if cfg.LegacyNetworks == nil {
		cfg.LegacyNetworks = testdb.Loopback
	}
	if cfg.Store == "" && os.Getenv(StoreEnv) == "postgres" {
		cfg.Store = testdb.ScratchPostgres(t, "wasmauth_test", func(err error) {
			NeedDatabase(t, "PostgreSQL", "start PostgreSQL on 127.0.0.1:5432 or unset "+StoreEnv, err)
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("starting the server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	s := &Server{Client: NewClient(t, "http://"+srv.Addr()), Config: cfg, Srv: srv}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("server stopped with: %v", err)
				}
			case <-time.After(stopWithin):
				t.Errorf("server did not stop within %v", stopWithin)
			}
			s.HTTP.CloseIdleConnections()
		})
	}
	t.Cleanup(s.stop)
	s.WaitHealthy(healthyWithin)
	return s
}

// Stop stops the server and reports an error Serve returned; it is safe to
// call more than once, and runs anyway when the test ends.
func (s *Server) Stop() { s.stop() }

// Restart stops the server and starts a new one with the same
// configuration, on the same data folder, reporting to the same test.
// The new server listens on a new port.
func (s *Server) Restart() *Server {
	s.T.Helper()
	s.Stop()
	return Start(s.T, s.Config)
}

// With returns a copy of s whose client reports to t, for subtests. It
// shares the running server.
func (s *Server) With(t testing.TB) *Server {
	c := *s
	c.Client = *s.Client.With(t)
	return &c
}

// SQLiteRoot is the folder under which each tenant's SQLite legacy
// databases live, one subfolder per tenant.
func (s *Server) SQLiteRoot() string {
	if s.Config.SQLiteRoot != "" {
		return s.Config.SQLiteRoot
	}
	return filepath.Join(s.Config.DataDir, "legacy")
}

// WaitHealthy polls /healthz until it answers 200 and fails the test when it
// does not within d.
func (c *Client) WaitHealthy(d time.Duration) {
	c.T.Helper()
	deadline := time.Now().Add(d)
	for {
		r, err := c.Try("GET", "/healthz", "", nil)
		if err == nil && r.Status == 200 {
			return
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("status %d", r.Status)
			}
			c.T.Fatalf("server not healthy within %v: %v", d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
