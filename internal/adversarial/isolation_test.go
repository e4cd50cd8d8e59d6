package adversarial_test

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// TestTenantIsolation checks that tenant keys, tokens, scripts, connections
// and logs of one tenant never reach another.
func TestTenantIsolation(t *testing.T) {
	ts := startServer(t, server.Config{})
	keyA := ts.CreateTenant("tenant-a")
	keyB := ts.CreateTenant("tenant-b")
	fileA := ts.connectSQLite("tenant-a", nil)
	const pw = "isolated-password-3"
	ts.Must(ts.Register("tenant-a", "alice@a.example", pw), 201, "register at A")
	ts.Must(ts.Register("tenant-b", "bob@b.example", pw), 201, "register at B")

	t.Run("keys", func(t *testing.T) {
		for _, p := range []string{"/script", "/connection", "/migration", "/users", "/audit", "/logs"} {
			r := ts.Do("GET", "/admin/v1/tenants/tenant-b"+p, keyA, nil)
			if r.Status != 403 || r.ProblemCode() != "forbidden" {
				t.Errorf("A's key at B's %s: %d %s", p, r.Status, r.Body)
			}
		}
		if r := ts.Do("PUT", "/admin/v1/tenants/tenant-b/script", keyA, examples.WATTrivial); r.Status != 403 {
			t.Errorf("A's key uploads to B: %d", r.Status)
		}
		if r := ts.Do("GET", "/admin/v1/tenants", keyA, nil); r.Status != 403 {
			t.Errorf("a tenant key lists tenants: %d", r.Status)
		}
		ts.Must(ts.Do("GET", "/admin/v1/tenants/tenant-b/users", keyB, nil), 200, "B's key at B")
	})

	t.Run("tokens", func(t *testing.T) {
		login := ts.Must(ts.Login("tenant-a", "alice@a.example", pw), 200, "login at A")
		access, refresh := login.Str("access_token"), login.Str("refresh_token")
		ts.Must(ts.Do("GET", "/t/tenant-a/userinfo", access, nil), 200, "A's token at A")
		if r := ts.Do("GET", "/t/tenant-b/userinfo", access, nil); r.Status != 401 {
			t.Errorf("A's access token at B's /userinfo: %d %s", r.Status, r.Body)
		}
		if r := ts.Do("POST", "/t/tenant-b/password", access, map[string]any{"current_password": pw, "new_password": "changed-password-4"}); r.Status != 401 {
			t.Errorf("A's access token changes a password at B: %d %s", r.Status, r.Body)
		}
		r := ts.Do("POST", "/t/tenant-b/oauth/token", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
		if r.Status != 400 || r.Str("error") != "invalid_grant" {
			t.Errorf("A's refresh token at B: %d %s", r.Status, r.Body)
		}
		// The refresh token still works at A: B's refusal did not revoke it.
		ts.Must(ts.Do("POST", "/t/tenant-a/oauth/token", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}), 200, "A's refresh at A")
		// The tenants sign with different keys.
		ja := ts.Must(ts.Do("GET", "/t/tenant-a/.well-known/jwks.json", "", nil), 200, "A's JWKS")
		jb := ts.Must(ts.Do("GET", "/t/tenant-b/.well-known/jwks.json", "", nil), 200, "B's JWKS")
		if string(ja.Body) == string(jb.Body) {
			t.Error("A and B publish the same signing keys")
		}
	})

	t.Run("scripts", func(t *testing.T) {
		// Only A has a script; B's test never runs it.
		ts.Must(ts.upload("tenant-a", examples.WATTrivial), 201, "upload at A")
		r := ts.Do("POST", "/admin/v1/tenants/tenant-b/script/test", testserver.OperatorToken, map[string]any{"op": "login", "identifier": "x", "password": "y"})
		if r.Status != 404 || strings.Contains(string(r.Body), "trivial@example.com") {
			t.Fatalf("B's script test without a script: %d %s", r.Status, r.Body)
		}
		// B uploads its own; its test runs B's, with B's input.
		ts.Must(ts.upload("tenant-b", readWasm(t, "bad_pointers")), 201, "upload at B")
		r = ts.scriptTest("tenant-b", "login", "x", "y")
		if strings.Contains(string(r.Body), "trivial@example.com") {
			t.Fatalf("B's script test ran A's module: %s", r.Body)
		}
		r = ts.scriptTest("tenant-a", "login", "x", "y")
		if !strings.Contains(string(r.Body), "trivial@example.com") {
			t.Fatalf("A's script test: %s", r.Body)
		}
		// Version numbers are per tenant: B's version 1 is B's module.
		r = ts.Do("POST", "/admin/v1/tenants/tenant-b/script/test", testserver.OperatorToken, map[string]any{"op": "login", "identifier": "x", "password": "y", "version": 1})
		if strings.Contains(string(r.Body), "trivial@example.com") {
			t.Fatalf("B's version 1 ran A's module: %s", r.Body)
		}
	})

	t.Run("connections", func(t *testing.T) {
		rootB := filepath.Join(ts.SQLiteRoot(), "tenant-b")
		for _, dsn := range []string{
			"../tenant-a/legacy.db",
			fileA,
			filepath.Join(rootB, "..", "tenant-a", "legacy.db"),
			"sub/../../tenant-a/legacy.db",
			"file:../tenant-a/legacy.db",
			"file:" + fileA + "?mode=ro",
			"file:legacy.db?vfs=unix&immutable=1&../tenant-a/legacy.db",
			"../../badger/MANIFEST",
			filepath.Join(ts.Config.DataDir, "badger", "MANIFEST"),
			"/etc/passwd",
			"..",
			".",
			"",
			"file::memory:?cache=shared",
		} {
			r := ts.Do("PUT", "/admin/v1/tenants/tenant-b/connection", keyB, map[string]any{"driver": "sqlite", "dsn": dsn})
			if r.Status == 200 {
				t.Errorf("B connected with DSN %q", dsn)
				continue
			}
			if dsn != "" && (r.Status != 422 || r.ProblemCode() != "connection_failed") {
				t.Errorf("DSN %q: %d %s, want 422 connection_failed", dsn, r.Status, r.Body)
			}
			if strings.Contains(string(r.Body), fileA) {
				t.Errorf("the refusal of %q shows A's path: %s", dsn, r.Body)
			}
		}
	})

	t.Run("logs", func(t *testing.T) {
		// A's failing module logs; B's log and audit never show it.
		ts.Must(ts.upload("tenant-a", readWasm(t, "query_flood")), 201, "upload at A")
		ts.scriptTest("tenant-a", "login", "secret-of-a@example.com", "a-password")
		linesA := ts.logs("tenant-a")
		if len(linesA) == 0 {
			t.Fatal("A's log is empty")
		}
		for _, l := range ts.logs("tenant-b") {
			if strings.Contains(l.Message, "db_query ok=") || strings.Contains(l.Message, "secret-of-a") {
				t.Errorf("B's log shows A's line: %+v", l)
			}
		}
		audit := ts.Must(ts.Do("GET", "/admin/v1/tenants/tenant-b/audit", keyB, nil), 200, "B's audit")
		if strings.Contains(string(audit.Body), "alice@a.example") || strings.Contains(string(audit.Body), "tenant-a") {
			t.Errorf("B's audit shows A's events: %s", audit.Body)
		}
		users := ts.Must(ts.Do("GET", "/admin/v1/tenants/tenant-b/users", keyB, nil), 200, "B's users")
		if strings.Contains(string(users.Body), "alice@a.example") {
			t.Errorf("B lists A's user: %s", users.Body)
		}
	})
}
