package server_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	examples "github.com/wasmauth/wasmauth/examples-wasm"

	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testdb"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// postgresStore returns the URL of a scratch PostgreSQL database for a
// server, and an admin connection to the server it is on.
func postgresStore(t *testing.T) (string, *pgx.Conn) {
	t.Helper()
	dsn := testserver.ScratchPostgres(t, "wasmauth_servertest")
	admin, err := pgx.Connect(t.Context(), testdb.PostgresAdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	return dsn, admin
}

// TestPostgresStoreOutage runs a server on PostgreSQL, takes its database
// away (no new connections, its sessions terminated) and brings it back:
// meanwhile /readyz and the API answer 503, never 500, and afterwards the
// server answers again by itself.
func TestPostgresStoreOutage(t *testing.T) {
	dsn, admin := postgresStore(t)
	u, _ := url.Parse(dsn)
	db := strings.TrimPrefix(u.Path, "/")
	ts := testserver.Start(t, server.Config{Store: dsn})
	key := ts.CreateTenant("acme")
	ts.Must(ts.Register("acme", "ann@example.com", "correct horse battery"), 201, "register")
	ts.Must(ts.Login("acme", "ann@example.com", "correct horse battery"), 200, "login")
	ts.Must(ts.Do("GET", "/readyz", "", nil), 200, "readyz")

	exec := func(sql string) {
		t.Helper()
		if _, err := admin.Exec(t.Context(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("ALTER DATABASE " + db + " ALLOW_CONNECTIONS false")
	exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db + "' AND pid <> pg_backend_pid()")

	requests := []struct {
		name                string
		method, path, token string
		body                any
	}{
		{"readyz", "GET", "/readyz", "", nil},
		{"login", "POST", "/t/acme/login", "", map[string]any{"identifier": "ann@example.com", "password": "correct horse battery"}},
		{"register", "POST", "/t/acme/register", "", map[string]any{"email": "bob@example.com", "password": "correct horse battery"}},
		{"tenant", "GET", "/admin/v1/tenants/acme", key, nil},
		{"users", "GET", "/admin/v1/tenants/acme/users", key, nil},
	}
	for _, rq := range requests {
		r := ts.Do(rq.method, rq.path, rq.token, rq.body)
		if r.Status != 503 {
			t.Errorf("%s with the database away: %s, want 503", rq.name, r)
		}
	}

	exec("ALTER DATABASE " + db + " ALLOW_CONNECTIONS true")
	deadline := time.Now().Add(10 * time.Second)
	for ts.Do("GET", "/readyz", "", nil).Status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("not ready 10 s after the database came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Must(ts.Login("acme", "ann@example.com", "correct horse battery"), 200, "login after the outage")
	ts.Must(ts.Register("acme", "bob@example.com", "correct horse battery"), 201, "register after the outage")
}

// TestUnknownStore refuses to start on a store setting it does not know,
// without echoing a password.
func TestUnknownStore(t *testing.T) {
	_, err := server.Start(t.Context(), server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Store: "mysql://root:secret@127.0.0.1/x"})
	if err == nil || !strings.Contains(err.Error(), "unknown store") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("Start with a mysql store: %v", err)
	}
}

// TestPostgresConnectionChangeAcrossNodes: two servers share one store; a
// connection set through one is the one the other uses on its next login,
// though the other had a pool open on the previous connection.
func TestPostgresConnectionChangeAcrossNodes(t *testing.T) {
	dsn, _ := postgresStore(t)
	a := testserver.Start(t, server.Config{Store: dsn})
	b := testserver.Start(t, server.Config{Store: dsn})
	a.CreateTenant("acme")
	first := a.LegacyDB(t, "postgres", "acme")
	second := a.LegacyDB(t, "postgres", "acme")
	second.Exec(t, "DELETE FROM {table} WHERE username = 'carol'")
	setUpMigration(t, a, "acme", first)
	b.Must(b.Login("acme", "bob", testserver.SeedPassword("bob")), 200, "first login of bob on b, through the first connection")

	a.Must(a.Do("PUT", "/admin/v1/tenants/acme/connection", testserver.OperatorToken, map[string]any{
		"driver": second.Driver, "dsn": second.DSN, "config": second.Config,
	}), 200, "set the second connection on a")
	r := b.Login("acme", "carol@example.com", testserver.SeedPassword("carol"))
	if r.Status != 401 {
		t.Fatalf("carol, who is only in the first database, on b after a switched to the second: %s, want 401", r)
	}
	b.Must(b.Login("acme", "erin", testserver.SeedPassword("erin")), 200, "first login of erin on b, through the second connection")
}

// refresh exchanges a refresh token at ts.
func refresh(ts *testserver.Server, tenant, rt string) *testserver.Response {
	ts.T.Helper()
	return ts.Do("POST", "/t/"+tenant+"/oauth/token", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

// TestPostgresRefreshReuseAcrossNodes: a refresh token rotated on one
// server and presented again on another is reuse: the session is revoked
// on both.
func TestPostgresRefreshReuseAcrossNodes(t *testing.T) {
	dsn, _ := postgresStore(t)
	a := testserver.Start(t, server.Config{Store: dsn})
	b := testserver.Start(t, server.Config{Store: dsn})
	a.CreateTenant("acme")
	a.Must(a.Register("acme", "ann@example.com", "correct horse battery"), 201, "register on a")
	r0 := b.Must(b.Login("acme", "ann@example.com", "correct horse battery"), 200, "login on b").Str("refresh_token")
	r1 := a.Must(refresh(a, "acme", r0), 200, "refresh on a").Str("refresh_token")
	for _, c := range []struct {
		what string
		r    *testserver.Response
	}{
		{"the rotated token again, on b", refresh(b, "acme", r0)},
		{"the current token on a, after the reuse on b", refresh(a, "acme", r1)},
	} {
		if c.r.Status != 400 || c.r.Str("error") != "invalid_grant" {
			t.Fatalf("%s: %s, want 400 invalid_grant", c.what, c.r)
		}
	}
}

// TestPostgresConcurrentFirstLogins: 20 concurrent first logins of one
// legacy user, spread over three servers sharing a store, all succeed and
// make one local user.
func TestPostgresConcurrentFirstLogins(t *testing.T) {
	dsn, _ := postgresStore(t)
	nodes := []*testserver.Server{
		testserver.Start(t, server.Config{Store: dsn}),
		testserver.Start(t, server.Config{Store: dsn}),
		testserver.Start(t, server.Config{Store: dsn}),
	}
	a := nodes[0]
	a.CreateTenant("acme")
	setUpMigration(t, a, "acme", a.LegacyDB(t, "postgres", "acme"))
	// Up to 7 bcrypt verifications queue on each node's legacy hash slot; under
	// the race detector each takes about a second, beyond the default 5 s.
	a.Must(a.Do("PATCH", "/admin/v1/tenants/acme/connection", testserver.OperatorToken,
		map[string]any{"limits": map[string]any{"timeout_ms": 20000}}), 200, "raise the call timeout")
	const n = 20
	statuses, bodies := make([]int, n), make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := nodes[i%len(nodes)].Try("POST", "/t/acme/login", "", map[string]any{
				"identifier": "alice@example.com", "password": testserver.SeedPassword("alice"),
			})
			if err == nil {
				statuses[i], bodies[i] = r.Status, string(r.Body)
			}
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Fatalf("login %d on node %d: status %d %s, want 200 (all: %v)", i, i%len(nodes), s, bodies[i], statuses)
		}
	}
	if st := migration(a, "acme"); num(st, "users_migrated") != 1 || num(st, "users_total") != 1 {
		t.Fatalf("after %d concurrent first logins over %d nodes: %v, want one user", n, len(nodes), st)
	}
}

// TestPostgresStoreDown: a server whose database refuses connections does
// not start, and says the store is unavailable.
func TestPostgresStoreDown(t *testing.T) {
	_, err := server.Start(t.Context(), server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Store: "postgres://postgres@127.0.0.1:1/none"})
	if err == nil || !strings.Contains(err.Error(), "store unavailable") {
		t.Fatalf("Start on a closed port: %v", err)
	}
}

// TestPostgresScriptActivationAcrossNodes: a module activated through one
// server is the one another server runs on its next login. The C example
// knows no trivial@example.com; the trivial module lets it in with any
// password.
func TestPostgresScriptActivationAcrossNodes(t *testing.T) {
	dsn, _ := postgresStore(t)
	a := testserver.Start(t, server.Config{Store: dsn})
	b := testserver.Start(t, server.Config{Store: dsn})
	a.CreateTenant("acme")
	setUpMigration(t, a, "acme", a.LegacyDB(t, "postgres", "acme"))
	b.Must(b.Login("acme", "trivial@example.com", "any password at all"), 401, "login on b under the C example")
	a.Must(a.Do("PUT", "/admin/v1/tenants/acme/script", testserver.OperatorToken, examples.WATTrivial), 201, "activate the trivial module on a")
	b.Must(b.Login("acme", "trivial@example.com", "any password at all"), 200, "the next login on b, under the trivial module")
}
