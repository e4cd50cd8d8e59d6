package server_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// mysqlURL rewrites a go-sql-driver DSN as a mysql:// URL.
func mysqlURL(t *testing.T, dsn string) (string, *mysql.Config) {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u := url.URL{Scheme: "mysql", User: url.UserPassword(cfg.User, cfg.Passwd), Host: cfg.Addr, Path: "/" + cfg.DBName}
	return u.String(), cfg
}

// TestConnectionMySQLURL: a mysql:// URL connects like the driver's own
// form, users migrate through it, and a failure never shows its password.
func TestConnectionMySQLURL(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	const tenant = "myurl"
	ts.CreateTenant(tenant)
	l := ts.LegacyDB(t, "mysql", tenant)
	dsn, cfg := mysqlURL(t, l.DSN)
	if !strings.HasPrefix(dsn, "mysql://") || cfg.Passwd == "" {
		t.Fatalf("the least-privileged account's URL %q has no password", dsn)
	}
	l.DSN = dsn
	setUpMigration(t, ts, tenant, l)
	r := ts.Must(ts.Login(tenant, "alice@example.com", testserver.SeedPassword("alice")), 200, "login through a mysql:// connection")
	if r.Obj("user")["source"] != "legacy" {
		t.Fatalf("user: %v", r.Obj("user"))
	}
	got := ts.Must(ts.Do("GET", "/admin/v1/tenants/"+tenant+"/connection", testserver.OperatorToken, nil), 200, "get connection")
	if _, shown := got.JSON["dsn"]; shown || strings.Contains(string(got.Body), cfg.Passwd) || got.JSON["dsn_set"] != true {
		t.Fatalf("GET /connection shows the DSN: %s", got.Body)
	}

	wrong := strings.Replace(dsn, ":"+url.PathEscape(cfg.Passwd)+"@", ":Wr0ng-"+cfg.Passwd+"@", 1)
	r = ts.Do("PUT", "/admin/v1/tenants/"+tenant+"/connection", testserver.OperatorToken, map[string]any{"driver": "mysql", "dsn": wrong, "config": l.Config})
	if r.Status != 422 || r.ProblemCode() != "connection_failed" || strings.Contains(string(r.Body), cfg.Passwd) {
		t.Fatalf("wrong password in a mysql:// URL: %v", r)
	}
}

// TestPatchConnection: PATCH /connection changes config or limits without
// the DSN, refuses what PUT refuses, and pings the database again only when
// the pool changes (instances).
func TestPatchConnection(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	const tenant = "patch"
	ts.CreateTenant(tenant)
	base := "/admin/v1/tenants/" + tenant
	patch := func(body map[string]any) *testserver.Response {
		return ts.Do("PATCH", base+"/connection", testserver.OperatorToken, body)
	}
	if r := patch(map[string]any{"config": map[string]any{"a": "b"}}); r.Status != 404 || r.ProblemCode() != "not_found" {
		t.Fatalf("PATCH without a connection: %v", r)
	}

	l := ts.LegacyDB(t, "sqlite", tenant)
	good := l.Config["table"]
	l.Config = map[string]any{"dialect": "sqlite", "table": "no_such_table", "extra": "x"}
	setUpMigrationWith(t, ts, tenant, l, examples.CLegacy)
	if r := ts.Login(tenant, "alice@example.com", testserver.SeedPassword("alice")); r.Status == 200 {
		t.Fatal("login worked with the wrong table")
	}

	// The config changes alone, the DSN kept: the next login finds alice.
	r := ts.Must(patch(map[string]any{"config": map[string]any{"table": good, "extra": nil}}), 200, "patch config")
	if cfg := r.Obj("config"); cfg["table"] != good || cfg["dialect"] != "sqlite" || cfg["extra"] != nil || r.JSON["dsn_set"] != true {
		t.Fatalf("patched connection: %s", r.Body)
	}
	ts.Must(ts.Login(tenant, "alice@example.com", testserver.SeedPassword("alice")), 200, "login after the config patch")

	for name, c := range map[string]struct {
		body   map[string]any
		status int
		code   string
	}{
		"dsn":           {map[string]any{"dsn": "other.db"}, 400, "invalid_request"},
		"driver":        {map[string]any{"driver": "mysql", "config": map[string]any{}}, 400, "invalid_request"},
		"nothing":       {map[string]any{}, 400, "invalid_request"},
		"unknown limit": {map[string]any{"limits": map[string]any{"nope": 1}}, 400, "invalid_request"},
		"over the max":  {map[string]any{"limits": map[string]any{"timeout_ms": 1 << 30}}, 422, "invalid_limits"},
		"negative":      {map[string]any{"limits": map[string]any{"max_rows": -1}}, 422, "invalid_limits"},
	} {
		if r := patch(c.body); r.Status != c.status || r.ProblemCode() != c.code {
			t.Errorf("%s: %v, want %d %s", name, r, c.status, c.code)
		}
	}

	// Limits merge field by field; null returns one to the default.
	ts.Must(patch(map[string]any{"limits": map[string]any{"max_rows": 5, "max_queries": 3}}), 200, "patch limits")
	r = ts.Must(patch(map[string]any{"limits": map[string]any{"max_queries": nil}}), 200, "reset a limit")
	if lim := r.Obj("limits"); lim["max_rows"] != float64(5) || lim["max_queries"] != nil {
		t.Fatalf("limits after two patches: %s", r.Body)
	}

	// Without its file the database cannot be pinged: a config change
	// still works (no ping), a new pool size does not.
	if err := os.Remove(filepath.Join(ts.SQLiteRoot(), tenant, "legacy.db")); err != nil {
		t.Fatal(err)
	}
	ts.Must(patch(map[string]any{"config": map[string]any{"note": "no ping"}}), 200, "config patch without a database")
	if r := patch(map[string]any{"limits": map[string]any{"instances": 2}}); r.Status != 422 || r.ProblemCode() != "connection_failed" {
		t.Fatalf("instances patch without a database: %v", r)
	}
	got := ts.Must(ts.Do("GET", base+"/connection", testserver.OperatorToken, nil), 200, "get connection")
	if got.Obj("limits")["instances"] != nil || got.Obj("config")["note"] != "no ping" {
		t.Fatalf("connection after a refused patch: %s", got.Body)
	}
}
