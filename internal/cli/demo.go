package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/server"
)

// demoTenant is the tenant "wasmauth demo" prepares.
const demoTenant = "demo"

func runDemo(ctx context.Context, sys IO, args []string) error {
	f, parseArgs := bindServerFlags(sys, "demo", "demo [flags]", `
Runs the server like "serve", with a ready tenant "demo": its legacy database
is an embedded SQLite file of sample users (bcrypt, argon2id, phpass and
salted SHA-256 hashes), its migration script is the Go example module, and
migration is on. It prints curl commands that show a first login migrating a
user. The operator token is WASMAUTH_ADMIN_TOKEN, or a fresh one per run.
Unlike "serve", it lets tenants' postgres and mysql connections reach
loopback (127.0.0.0/8, ::1) unless --legacy-networks says otherwise, so a
database on the same machine can be tried; connect as a role that can only
read the users table.`)
	if err := parseArgs(args); err != nil {
		return err
	}
	cfg, err := f.config(sys)
	if err != nil {
		return err
	}
	if cfg.AdminToken == "" {
		raw := make([]byte, 24)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		cfg.AdminToken = "wao_demo_" + base64.RawURLEncoding.EncodeToString(raw)
	}
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		return err
	}
	if err := setUpDemo(ctx, srv, cfg); err != nil {
		srv.Close()
		return fmt.Errorf("setting up the demo tenant: %w", err)
	}
	printDemo(sys.Stdout, srv.BaseURL(), cfg.AdminToken)
	return srv.Serve(ctx)
}

// setUpDemo creates the demo tenant, its legacy SQLite file, script and
// connection, unless they exist, and switches migration on.
func setUpDemo(ctx context.Context, srv *server.Server, cfg server.Config) error {
	svc := srv.Service()
	m := auth.Meta{Actor: "demo"}
	if _, _, err := svc.CreateTenant(ctx, demoTenant, "Demo", m); err != nil && auth.ErrorCode(err) != auth.CodeTenantExists {
		return err
	}
	root := cfg.SQLiteRoot
	if root == "" {
		root = filepath.Join(cfg.DataDir, "legacy")
	}
	dir := filepath.Join(root, demoTenant)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	dbPath := filepath.Join(dir, "legacy.db")
	if _, err := os.Stat(dbPath); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(dbPath, examples.LegacyDB, 0o600); err != nil {
			return err
		}
	}
	t, err := svc.Tenant(ctx, demoTenant)
	if err != nil {
		return err
	}
	if t.ActiveScript == 0 {
		if _, err := svc.UploadScript(ctx, demoTenant, examples.GoLegacy, true, m); err != nil {
			return err
		}
	}
	conn := &auth.Connection{Driver: "sqlite", DSN: "legacy.db", Config: map[string]any{"dialect": "sqlite", "table": "users"}}
	if err := svc.SetConnection(ctx, demoTenant, conn, m); err != nil {
		return err
	}
	_, err = svc.SetMigration(ctx, demoTenant, true, m)
	return err
}

func printDemo(w io.Writer, base, token string) {
	fmt.Fprintf(w, `
wasmauth demo is running at %[1]s

The tenant "demo" migrates users lazily from an SQLite legacy database
(alice: bcrypt, bob: argon2id, carol: phpass, dave: salted SHA-256).

  export WASMAUTH_URL=%[1]s WASMAUTH_ADMIN_TOKEN=%[2]s

  # 1. Nobody has been migrated yet:
  curl -s -H "Authorization: Bearer $WASMAUTH_ADMIN_TOKEN" $WASMAUTH_URL/admin/v1/tenants/demo/migration

  # 2. Alice's first login runs the tenant's WebAssembly module against the legacy
  #    database, verifies her bcrypt hash and copies her into wasmauth:
  curl -s -X POST $WASMAUTH_URL/t/demo/login -H 'Content-Type: application/json' \
       -d '{"identifier": "alice@example.com", "password": "%[3]s"}'

  # 3. Now she is a local user (source "legacy"); later logins never touch the legacy database:
  curl -s -H "Authorization: Bearer $WASMAUTH_ADMIN_TOKEN" $WASMAUTH_URL/admin/v1/tenants/demo/migration
  curl -s -H "Authorization: Bearer $WASMAUTH_ADMIN_TOKEN" "$WASMAUTH_URL/admin/v1/tenants/demo/users?source=legacy"

  # 4. A wrong password and an unknown user get the same answer:
  curl -s -X POST $WASMAUTH_URL/t/demo/login -H 'Content-Type: application/json' \
       -d '{"identifier": "alice@example.com", "password": "wrong-password"}'

  # 5. Bob forgot his password and was never migrated: the module's get_user finds him.
  #    The demo has no --smtp, so the mail, with its reset link, is written to the log
  #    (stderr); open the link in a browser to choose a new password:
  curl -s -X POST $WASMAUTH_URL/t/demo/password/forgot -H 'Content-Type: application/json' \
       -d '{"identifier": "bob@example.com"}'

Press Ctrl-C to stop.
`, base, token, seedPassword("alice"))
}

// seedPassword returns the plaintext password of a sample legacy user.
func seedPassword(username string) string {
	for _, u := range examples.SeedUsers() {
		if u.Username == username {
			return u.Password
		}
	}
	return ""
}
