package server_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// setUpMigration uploads the C example (small and quick to compile; the
// examples' conformance test shows every language behaves the same),
// connects the tenant to l and switches migration on.
func setUpMigration(t testing.TB, ts *testserver.Server, tenant string, l *testserver.LegacyDB) {
	t.Helper()
	setUpMigrationWith(t, ts, tenant, l, examples.CLegacy)
}

// setUpMigrationWith is setUpMigration with the given module.
func setUpMigrationWith(t testing.TB, ts *testserver.Server, tenant string, l *testserver.LegacyDB, module []byte) {
	t.Helper()
	base := "/admin/v1/tenants/" + tenant
	ts.Must(ts.Do("PUT", base+"/script", testserver.OperatorToken, module), 201, "upload script")
	ts.Must(ts.Do("PUT", base+"/connection", testserver.OperatorToken, map[string]any{
		"driver": l.Driver, "dsn": l.DSN, "config": l.Config,
	}), 200, "set connection")
	ts.Must(ts.Do("PUT", base+"/migration", testserver.OperatorToken, map[string]any{"enabled": true}), 200, "enable migration")
}

var drivers = []string{"sqlite", "postgres", "mysql"}

// TestLazyMigration walks the contract's login and register rules against a
// legacy database in each driver.
func TestLazyMigration(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			tenant := "mig-" + driver
			key := ts.CreateTenant(tenant)
			l := ts.LegacyDB(t, driver, tenant)
			base := "/admin/v1/tenants/" + tenant

			// Without migration the module is never called.
			ts.Must(ts.Login(tenant, "alice@example.com", testserver.SeedPassword("alice")), 401, "login before migration")
			ts.Must(ts.Do("PUT", base+"/migration", key, map[string]any{"enabled": true}), 409, "migration without script")
			// The Go example here: the largest module, and the demo's.
			setUpMigrationWith(t, ts, tenant, l, examples.GoLegacy)
			if st := migration(ts, tenant); num(st, "legacy.logins_ok")+num(st, "legacy.logins_rejected")+num(st, "legacy.errors") != 0 {
				t.Fatalf("the module ran before migration was on: %v", st)
			}

			// Every hash kind migrates on its first login, by email or username.
			for _, c := range []struct{ identifier, username string }{
				{"alice@example.com", "alice"},
				{"bob", "bob"},
				{"carol@example.com", "carol"},
				{"DAVE", "dave"},
				{"erin", "erin"},
				{"francois.dupont@example.com", "fdupont"},
			} {
				r := ts.Must(ts.Login(tenant, c.identifier, testserver.SeedPassword(c.username)), 200, "first login of "+c.username)
				u := r.Obj("user")
				if u["source"] != "legacy" || u["legacy_id"] == nil || u["migrated_at"] == nil || u["username"] != c.username {
					t.Fatalf("migrated user of %s: %v", c.username, u)
				}
			}
			st := migration(ts, tenant)
			if num(st, "users_migrated") != 6 || num(st, "users_total") != 6 || num(st, "legacy.logins_ok") != 6 || st["last_migrated_at"] == nil {
				t.Fatalf("status after six migrations: %v", st)
			}

			// A migrated user is checked locally only: the legacy row no
			// longer matters.
			l.Exec(t, "UPDATE {table} SET password_hash = NULL WHERE id = 1")
			ts.Must(ts.Login(tenant, "alice@example.com", testserver.SeedPassword("alice")), 200, "later login")
			ts.Must(ts.Login(tenant, "alice", "wrong-password-1"), 401, "later wrong password")
			if got := num(migration(ts, tenant), "legacy.logins_rejected"); got != 0 {
				t.Fatalf("a migrated user's login reached the module: %d rejections", got)
			}

			// Unknown user and wrong password: same status and body.
			wrong := ts.Must(ts.Login(tenant, "mallory2@example.com", "whatever-pass"), 401, "unknown user")
			unknown := ts.Must(ts.Login(tenant, "ghost@example.com", "whatever-pass"), 401, "user without hash")
			if !bytes.Equal(wrong.Body, unknown.Body) || wrong.Str("code") != "invalid_credentials" {
				t.Fatalf("rejections differ:\n%s\n%s", wrong.Body, unknown.Body)
			}

			// A module failure (here: an unknown hash format) is 503 and stores nothing.
			r := ts.Must(ts.Login(tenant, "mallory@example.com", "hunter2"), 503, "module failure")
			if r.Str("code") != "legacy_unavailable" {
				t.Fatalf("module failure code: %s", r.Body)
			}
			st = migration(ts, tenant)
			if num(st, "users_migrated") != 6 || num(st, "legacy.errors") != 1 || num(st, "legacy.logins_rejected") != 2 {
				t.Fatalf("status after failures: %v", st)
			}
			logs := ts.Must(ts.Do("GET", base+"/logs", key, nil), 200, "logs")
			if !bytes.Contains(logs.Body, []byte("login failed")) {
				t.Fatalf("the tenant log does not say why the call failed: %s", logs.Body)
			}

			// Register: taken locally, taken in the legacy database, free.
			reg := func(body map[string]any) *testserver.Response {
				return ts.Do("POST", "/t/"+tenant+"/register", "", body)
			}
			ts.Must(reg(map[string]any{"email": "ALICE@example.com", "password": "a-long-passphrase"}), 409, "register a migrated email")
			ts.Must(reg(map[string]any{"username": "ghost", "password": "a-long-passphrase"}), 409, "register a legacy username")
			ts.Must(reg(map[string]any{"email": "new@example.com", "username": "newbie", "password": "a-long-passphrase"}), 201, "register a new user")
			st = migration(ts, tenant)
			if num(st, "users_registered") != 1 || num(st, "users_total") != 7 {
				t.Fatalf("status after registration: %v", st)
			}

			// A legacy user whose email belongs to another local user is not copied.
			l.Exec(t, "INSERT INTO {table} (id, email, username, password_hash, email_verified, name) VALUES (100, 'new@example.com', 'twin', (SELECT password_hash FROM {table} WHERE id = 6), TRUE, 'Twin')")
			r = ts.Must(ts.Login(tenant, "twin", testserver.SeedPassword("fdupont")), 409, "conflicting legacy user")
			if r.Str("code") != "migration_conflict" {
				t.Fatalf("conflict code: %s", r.Body)
			}
			// Counted apart: neither an ok login nor a rejection.
			okBefore := num(st, "legacy.logins_ok")
			ts.Must(ts.Login(tenant, "twin", testserver.SeedPassword("fdupont")), 409, "conflicting legacy user again")
			if st := migration(ts, tenant); num(st, "legacy.conflicts") != 2 || num(st, "legacy.logins_ok") != okBefore {
				t.Fatalf("status after two conflicts: %v", st)
			}

			// Closing the legacy database: migrated users keep working, the
			// others cannot log in, and the module is never called again.
			ts.Must(ts.Do("DELETE", base+"/connection", key, nil), 204, "close connection")
			ts.Must(ts.Login(tenant, "bob", testserver.SeedPassword("bob")), 200, "migrated user after closing")
			ts.Must(ts.Login(tenant, "new@example.com", "a-long-passphrase"), 200, "registered user after closing")
			before := migration(ts, tenant)
			ts.Must(ts.Login(tenant, "twin", testserver.SeedPassword("fdupont")), 401, "unmigrated user after closing")
			after := migration(ts, tenant)
			if after["enabled"] != false || num(after, "legacy.logins_rejected") != num(before, "legacy.logins_rejected") || num(after, "legacy.errors") != num(before, "legacy.errors") {
				t.Fatalf("the module ran after the connection closed: %v -> %v", before, after)
			}
			conn := ts.Must(ts.Do("GET", base+"/connection", key, nil), 200, "connection after closing")
			if conn.JSON["dsn_set"] != false {
				t.Fatalf("the DSN was not forgotten: %s", conn.Body)
			}
		})
	}
}

// TestConcurrentFirstLogins: twenty first logins of one legacy user at once
// create one local user, and all succeed.
func TestConcurrentFirstLogins(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			tenant := "race-" + driver
			ts.CreateTenant(tenant)
			l := ts.LegacyDB(t, driver, tenant)
			setUpMigration(t, ts, tenant, l)
			const n = 20
			var wg sync.WaitGroup
			statuses := make([]int, n)
			ids := make([]string, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := ts.Login(tenant, "carol", testserver.SeedPassword("carol"))
					statuses[i] = r.Status
					ids[i], _ = r.Obj("user")["id"].(string)
				}()
			}
			wg.Wait()
			for i := range n {
				if statuses[i] != 200 || ids[i] != ids[0] {
					t.Fatalf("login %d: status %d, user %q (first %q)", i, statuses[i], ids[i], ids[0])
				}
			}
			st := migration(ts, tenant)
			if num(st, "users_migrated") != 1 {
				t.Fatalf("%d local users for one legacy user", num(st, "users_migrated"))
			}
			users := ts.Must(ts.Do("GET", "/admin/v1/tenants/"+tenant+"/users?source=legacy", testserver.OperatorToken, nil), 200, "list users")
			if list, _ := users.JSON["users"].([]any); len(list) != 1 {
				t.Fatalf("users: %s", users.Body)
			}
		})
	}
}

// TestScriptSwapDuringLogins activates new module versions while first
// logins are in flight; none fails.
func TestScriptSwapDuringLogins(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	tenant := "swap"
	ts.CreateTenant(tenant)
	l := ts.LegacyDB(t, "sqlite", tenant)
	setUpMigration(t, ts, tenant, l)
	for i := range 40 {
		l.Exec(t, fmt.Sprintf("INSERT INTO {table} (id, email, username, password_hash, email_verified, name) SELECT %d, 'user%d@example.com', 'user%d', password_hash, TRUE, 'U' FROM {table} WHERE id = 4", 1000+i, i, i))
	}
	var wg sync.WaitGroup
	failures := make(chan string, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := ts.Login(tenant, fmt.Sprintf("user%d", i), testserver.SeedPassword("dave"))
			if r.Status != 200 {
				failures <- fmt.Sprintf("user%d: %d %s", i, r.Status, r.Body)
			}
		}()
	}
	for range 3 {
		ts.Must(ts.Do("PUT", "/admin/v1/tenants/"+tenant+"/script", testserver.OperatorToken, examples.RustLegacy), 201, "swap in Rust")
		ts.Must(ts.Do("PUT", "/admin/v1/tenants/"+tenant+"/script", testserver.OperatorToken, examples.CLegacy), 201, "swap in C")
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	if got := num(migration(ts, tenant), "users_migrated"); got != 40 {
		t.Fatalf("migrated %d of 40", got)
	}
}

// TestMigrationStatsSurviveRestart: the counts are kept in the store.
func TestMigrationStatsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ts := testserver.Start(t, server.Config{DataDir: dir})
	tenant := "restart"
	ts.CreateTenant(tenant)
	l := ts.LegacyDB(t, "sqlite", tenant)
	setUpMigration(t, ts, tenant, l)
	ts.Must(ts.Login(tenant, "alice", testserver.SeedPassword("alice")), 200, "migrate alice")
	ts.Must(ts.Login(tenant, "bob", "not-bobs-password"), 401, "reject bob")
	want := migration(ts, tenant)
	ts.Stop()

	ts2 := ts.Restart()
	got := migration(ts2, tenant)
	for _, k := range []string{"users_migrated", "users_total", "legacy.logins_ok", "legacy.logins_rejected"} {
		if num(got, k) != num(want, k) {
			t.Errorf("%s: %d after restart, %d before", k, num(got, k), num(want, k))
		}
	}
	// The connection is reopened on start: migration goes on.
	ts2.Must(ts2.Login(tenant, "bob", testserver.SeedPassword("bob")), 200, "migrate bob after restart")
	ts2.Must(ts2.Login(tenant, "alice", testserver.SeedPassword("alice")), 200, "alice after restart")
}

// TestLegacyDatabaseComesBack: a legacy database that is down when the
// server starts answers 503 (nothing stored), and is used again once it is
// back, without any admin action.
func TestLegacyDatabaseComesBack(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the reconnection interval")
	}
	dir := t.TempDir()
	ts := testserver.Start(t, server.Config{DataDir: dir})
	tenant := "outage"
	ts.CreateTenant(tenant)
	l := ts.LegacyDB(t, "sqlite", tenant)
	setUpMigration(t, ts, tenant, l)
	ts.Stop()

	file := filepath.Join(dir, "legacy", tenant, "legacy.db")
	if err := os.Rename(file, file+".away"); err != nil {
		t.Fatal(err)
	}
	ts2 := ts.Restart()
	r := ts2.Must(ts2.Login(tenant, "alice", testserver.SeedPassword("alice")), 503, "login while the database is down")
	if r.Str("code") != "legacy_unavailable" {
		t.Fatalf("code: %s", r.Body)
	}
	if got := num(migration(ts2, tenant), "users_migrated"); got != 0 {
		t.Fatalf("%d users stored during the outage", got)
	}
	if err := os.Rename(file+".away", file); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		r = ts2.Login(tenant, "alice", testserver.SeedPassword("alice"))
		if r.Status == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	ts2.Must(r, 200, "login once the database is back")
}
