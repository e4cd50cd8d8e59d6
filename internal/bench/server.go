package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the legacy SQLite file is seeded through database/sql

	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/server"
)

// benchServer is a wasmauth started in-process on 127.0.0.1 for a run.
type benchServer struct {
	srv     *server.Server
	client  *Client
	token   string // the operator token
	cfg     server.Config
	slots   int // hashes at once
	cancel  context.CancelFunc
	stopped chan error
	once    sync.Once
	err     error // of Serve, once stopped
}

// startServer starts a server on dataDir with hash parameters hash and
// slots concurrent hashes. The per-identifier login failure limit is raised
// far beyond what a run sends, so that the noisy tenant keeps reaching its
// module; successful logins never count against it.
func startServer(ctx context.Context, dataDir string, hash password.Params, slots int) (*benchServer, error) {
	return startServerWith(ctx, dataDir, hash, slots, nil)
}

// startServerWith is startServer with the configuration changed by mod
// (nil: none), for a PostgreSQL store.
func startServerWith(ctx context.Context, dataDir string, hash password.Params, slots int, mod func(*server.Config)) (*benchServer, error) {
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	cfg := server.Config{
		Addr:                "127.0.0.1:0",
		DataDir:             dataDir,
		AdminToken:          hex.EncodeToString(tok),
		Hash:                hash,
		MaxConcurrentHashes: slots,
		LoginFailures:       1 << 20,
		Log:                 slog.New(slog.DiscardHandler),
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("starting the server: %w", err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &benchServer{srv: srv, token: cfg.AdminToken, cfg: cfg, slots: slots, cancel: cancel, stopped: make(chan error, 1)}
	go func() { s.stopped <- srv.Serve(sctx) }()
	if s.client, err = NewClient("http://"+srv.Addr(), 64); err != nil {
		s.stop()
		return nil, err
	}
	for i := 0; ; i++ {
		a, err := s.client.Do(ctx, "GET", "/healthz", "", nil)
		if err == nil && a.Status == 200 {
			break
		}
		if i == 100 {
			s.stop()
			return nil, fmt.Errorf("the server did not answer /healthz: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s, nil
}

// stop shuts the server down and waits for it; later calls return the
// same error.
func (s *benchServer) stop() error {
	s.once.Do(func() {
		s.cancel()
		if s.client != nil {
			s.client.Close()
		}
		s.err = <-s.stopped
	})
	return s.err
}

// base returns the server's URL.
func (s *benchServer) base() string { return "http://" + s.srv.Addr() }

// createTenant creates a tenant.
func (s *benchServer) createTenant(ctx context.Context, id string) error {
	_, err := s.client.Must(ctx, 201, "POST", "/admin/v1/tenants", s.token, map[string]any{"id": id, "name": id})
	return err
}

// register creates a local user.
func (s *benchServer) register(ctx context.Context, tenant, email, pw string) error {
	_, err := s.client.Must(ctx, 201, "POST", "/t/"+tenant+"/register", "", map[string]any{"email": email, "password": pw})
	return err
}

// login logs a user in with c.
func login(ctx context.Context, c *Client, tenant, identifier, pw string) (*Answer, error) {
	return c.Do(ctx, "POST", "/t/"+tenant+"/login", "", map[string]any{"identifier": identifier, "password": pw})
}

// setUpLegacy gives tenant the module wasm, a copy of the examples'
// legacy.db with extra copies of dave's row (as users b0 .. b{extra-1},
// same password) as its SQLite connection, and turns migration on.
func (s *benchServer) setUpLegacy(ctx context.Context, tenant string, wasm []byte, extra int) error {
	root := filepath.Join(s.cfg.DataDir, "legacy")
	if err := writeLegacyDB(root, tenant); err != nil {
		return err
	}
	if extra > 0 {
		if err := addDaveCopies(ctx, filepath.Join(root, tenant, "legacy.db"), extra); err != nil {
			return err
		}
	}
	p := "/admin/v1/tenants/" + tenant
	if _, err := s.client.Must(ctx, 201, "PUT", p+"/script", s.token, wasm); err != nil {
		return err
	}
	conn := map[string]any{"driver": "sqlite", "dsn": "legacy.db", "config": map[string]string{"dialect": "sqlite", "table": "users"}}
	if _, err := s.client.Must(ctx, 200, "PUT", p+"/connection", s.token, conn); err != nil {
		return err
	}
	_, err := s.client.Must(ctx, 200, "PUT", p+"/migration", s.token, map[string]any{"enabled": true})
	return err
}

// addDaveCopies inserts n copies of the seed user dave (id 4) into the
// SQLite file, as b0@example.com / b0 and so on.
func addDaveCopies(ctx context.Context, file string, n int) error {
	db, err := sql.Open("sqlite", file)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i := range n {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, username, password_hash, email_verified, name)
			SELECT ?, ?, ?, password_hash, email_verified, name FROM users WHERE id = 4`,
			100000+i, fmt.Sprintf("b%d@example.com", i), fmt.Sprintf("b%d", i))
		if err != nil {
			return fmt.Errorf("seeding legacy users: %w", err)
		}
	}
	return tx.Commit()
}

// form is a url.Values shorthand.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}
