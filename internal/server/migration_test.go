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
)

// setUpMigration uploads the C example (small and quick to compile; the
// examples' conformance test shows every language behaves the same),
// connects the tenant to l and switches migration on.
func setUpMigration(t testing.TB, ts *testServer, tenant string, l *legacyDB) {
	t.Helper()
	setUpMigrationWith(t, ts, tenant, l, examples.CLegacy)
}

// setUpMigrationWith is setUpMigration with the given module.
func setUpMigrationWith(t testing.TB, ts *testServer, tenant string, l *legacyDB, module []byte) {
	t.Helper()
	base := "/admin/v1/tenants/" + tenant
	ts.must(ts.do("PUT", base+"/script", operatorToken, module), 201, "upload script")
	ts.must(ts.do("PUT", base+"/connection", operatorToken, map[string]any{
		"driver": l.driver, "dsn": l.dsn, "config": l.config,
	}), 200, "set connection")
	ts.must(ts.do("PUT", base+"/migration", operatorToken, map[string]any{"enabled": true}), 200, "enable migration")
}

var drivers = []string{"sqlite", "postgres", "mysql"}

// TestLazyMigration walks the contract's login and register rules against a
// legacy database in each driver.
func TestLazyMigration(t *testing.T) {
	ts := start(t, "", cheapHash)
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			tenant := "mig-" + driver
			key := ts.createTenant(tenant)
			l := newLegacyDB(t, ts, driver, tenant)
			base := "/admin/v1/tenants/" + tenant

			// Without migration the module is never called.
			ts.must(ts.login(tenant, "alice@example.com", seedPassword("alice")), 401, "login before migration")
			ts.must(ts.do("PUT", base+"/migration", key, map[string]any{"enabled": true}), 409, "migration without script")
			// The Go example here: the largest module, and the demo's.
			setUpMigrationWith(t, ts, tenant, l, examples.GoLegacy)
			if st := ts.migration(tenant); num(st, "legacy.logins_ok")+num(st, "legacy.logins_rejected")+num(st, "legacy.errors") != 0 {
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
				r := ts.must(ts.login(tenant, c.identifier, seedPassword(c.username)), 200, "first login of "+c.username)
				u := r.obj("user")
				if u["source"] != "legacy" || u["legacy_id"] == nil || u["migrated_at"] == nil || u["username"] != c.username {
					t.Fatalf("migrated user of %s: %v", c.username, u)
				}
			}
			st := ts.migration(tenant)
			if num(st, "users_migrated") != 6 || num(st, "users_total") != 6 || num(st, "legacy.logins_ok") != 6 || st["last_migrated_at"] == nil {
				t.Fatalf("status after six migrations: %v", st)
			}

			// A migrated user is checked locally only: the legacy row no
			// longer matters.
			l.exec(t, "UPDATE {table} SET password_hash = NULL WHERE id = 1")
			ts.must(ts.login(tenant, "alice@example.com", seedPassword("alice")), 200, "later login")
			ts.must(ts.login(tenant, "alice", "wrong-password-1"), 401, "later wrong password")
			if got := num(ts.migration(tenant), "legacy.logins_rejected"); got != 0 {
				t.Fatalf("a migrated user's login reached the module: %d rejections", got)
			}

			// Unknown user and wrong password: same status and body.
			wrong := ts.must(ts.login(tenant, "mallory2@example.com", "whatever-pass"), 401, "unknown user")
			unknown := ts.must(ts.login(tenant, "ghost@example.com", "whatever-pass"), 401, "user without hash")
			if !bytes.Equal(wrong.Body, unknown.Body) || wrong.str("code") != "invalid_credentials" {
				t.Fatalf("rejections differ:\n%s\n%s", wrong.Body, unknown.Body)
			}

			// A module failure (here: an unknown hash format) is 503 and stores nothing.
			r := ts.must(ts.login(tenant, "mallory@example.com", "hunter2"), 503, "module failure")
			if r.str("code") != "legacy_unavailable" {
				t.Fatalf("module failure code: %s", r.Body)
			}
			st = ts.migration(tenant)
			if num(st, "users_migrated") != 6 || num(st, "legacy.errors") != 1 || num(st, "legacy.logins_rejected") != 2 {
				t.Fatalf("status after failures: %v", st)
			}
			logs := ts.must(ts.do("GET", base+"/logs", key, nil), 200, "logs")
			if !bytes.Contains(logs.Body, []byte("login failed")) {
				t.Fatalf("the tenant log does not say why the call failed: %s", logs.Body)
			}

			// Register: taken locally, taken in the legacy database, free.
			reg := func(body map[string]any) *response {
				return ts.do("POST", "/t/"+tenant+"/register", "", body)
			}
			ts.must(reg(map[string]any{"email": "ALICE@example.com", "password": "a-long-passphrase"}), 409, "register a migrated email")
			ts.must(reg(map[string]any{"username": "ghost", "password": "a-long-passphrase"}), 409, "register a legacy username")
			ts.must(reg(map[string]any{"email": "new@example.com", "username": "newbie", "password": "a-long-passphrase"}), 201, "register a new user")
			st = ts.migration(tenant)
			if num(st, "users_registered") != 1 || num(st, "users_total") != 7 {
				t.Fatalf("status after registration: %v", st)
			}

			// A legacy user whose email belongs to another local user is not copied.
			l.exec(t, "INSERT INTO {table} (id, email, username, password_hash, email_verified, name) VALUES (100, 'new@example.com', 'twin', (SELECT password_hash FROM {table} WHERE id = 6), TRUE, 'Twin')")
			r = ts.must(ts.login(tenant, "twin", seedPassword("fdupont")), 409, "conflicting legacy user")
			if r.str("code") != "migration_conflict" {
				t.Fatalf("conflict code: %s", r.Body)
			}

			// Closing the legacy database: migrated users keep working, the
			// others cannot log in, and the module is never called again.
			ts.must(ts.do("DELETE", base+"/connection", key, nil), 204, "close connection")
			ts.must(ts.login(tenant, "bob", seedPassword("bob")), 200, "migrated user after closing")
			ts.must(ts.login(tenant, "new@example.com", "a-long-passphrase"), 200, "registered user after closing")
			before := ts.migration(tenant)
			ts.must(ts.login(tenant, "twin", seedPassword("fdupont")), 401, "unmigrated user after closing")
			after := ts.migration(tenant)
			if after["enabled"] != false || num(after, "legacy.logins_rejected") != num(before, "legacy.logins_rejected") || num(after, "legacy.errors") != num(before, "legacy.errors") {
				t.Fatalf("the module ran after the connection closed: %v -> %v", before, after)
			}
			conn := ts.must(ts.do("GET", base+"/connection", key, nil), 200, "connection after closing")
			if conn.JSON["dsn_set"] != false {
				t.Fatalf("the DSN was not forgotten: %s", conn.Body)
			}
		})
	}
}

// TestConcurrentFirstLogins: twenty first logins of one legacy user at once
// create one local user, and all succeed.
func TestConcurrentFirstLogins(t *testing.T) {
	ts := start(t, "", cheapHash)
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			tenant := "race-" + driver
			ts.createTenant(tenant)
			l := newLegacyDB(t, ts, driver, tenant)
			setUpMigration(t, ts, tenant, l)
			const n = 20
			var wg sync.WaitGroup
			statuses := make([]int, n)
			ids := make([]string, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := ts.login(tenant, "carol", seedPassword("carol"))
					statuses[i] = r.Status
					ids[i], _ = r.obj("user")["id"].(string)
				}()
			}
			wg.Wait()
			for i := range n {
				if statuses[i] != 200 || ids[i] != ids[0] {
					t.Fatalf("login %d: status %d, user %q (first %q)", i, statuses[i], ids[i], ids[0])
				}
			}
			st := ts.migration(tenant)
			if num(st, "users_migrated") != 1 {
				t.Fatalf("%d local users for one legacy user", num(st, "users_migrated"))
			}
			users := ts.must(ts.do("GET", "/admin/v1/tenants/"+tenant+"/users?source=legacy", operatorToken, nil), 200, "list users")
			if list, _ := users.JSON["users"].([]any); len(list) != 1 {
				t.Fatalf("users: %s", users.Body)
			}
		})
	}
}

// TestScriptSwapDuringLogins activates new module versions while first
// logins are in flight; none fails.
func TestScriptSwapDuringLogins(t *testing.T) {
	ts := start(t, "", cheapHash)
	tenant := "swap"
	ts.createTenant(tenant)
	l := newLegacyDB(t, ts, "sqlite", tenant)
	setUpMigration(t, ts, tenant, l)
	for i := range 40 {
		l.exec(t, fmt.Sprintf("INSERT INTO {table} (id, email, username, password_hash, email_verified, name) SELECT %d, 'user%d@example.com', 'user%d', password_hash, TRUE, 'U' FROM {table} WHERE id = 4", 1000+i, i, i))
	}
	var wg sync.WaitGroup
	failures := make(chan string, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := ts.login(tenant, fmt.Sprintf("user%d", i), seedPassword("dave"))
			if r.Status != 200 {
				failures <- fmt.Sprintf("user%d: %d %s", i, r.Status, r.Body)
			}
		}()
	}
	for range 3 {
		ts.must(ts.do("PUT", "/admin/v1/tenants/"+tenant+"/script", operatorToken, examples.RustLegacy), 201, "swap in Rust")
		ts.must(ts.do("PUT", "/admin/v1/tenants/"+tenant+"/script", operatorToken, examples.CLegacy), 201, "swap in C")
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	if got := num(ts.migration(tenant), "users_migrated"); got != 40 {
		t.Fatalf("migrated %d of 40", got)
	}
}

// TestMigrationStatsSurviveRestart: the counts are kept in the store.
func TestMigrationStatsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ts := start(t, dir, cheapHash)
	tenant := "restart"
	ts.createTenant(tenant)
	l := newLegacyDB(t, ts, "sqlite", tenant)
	setUpMigration(t, ts, tenant, l)
	ts.must(ts.login(tenant, "alice", seedPassword("alice")), 200, "migrate alice")
	ts.must(ts.login(tenant, "bob", "not-bobs-password"), 401, "reject bob")
	want := ts.migration(tenant)
	ts.stop()

	ts2 := start(t, dir, cheapHash)
	got := ts2.migration(tenant)
	for _, k := range []string{"users_migrated", "users_total", "legacy.logins_ok", "legacy.logins_rejected"} {
		if num(got, k) != num(want, k) {
			t.Errorf("%s: %d after restart, %d before", k, num(got, k), num(want, k))
		}
	}
	// The connection is reopened on start: migration goes on.
	ts2.must(ts2.login(tenant, "bob", seedPassword("bob")), 200, "migrate bob after restart")
	ts2.must(ts2.login(tenant, "alice", seedPassword("alice")), 200, "alice after restart")
}

// TestLegacyDatabaseComesBack: a legacy database that is down when the
// server starts answers 503 (nothing stored), and is used again once it is
// back, without any admin action.
func TestLegacyDatabaseComesBack(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the reconnection interval")
	}
	dir := t.TempDir()
	ts := start(t, dir, cheapHash)
	tenant := "outage"
	ts.createTenant(tenant)
	l := newLegacyDB(t, ts, "sqlite", tenant)
	setUpMigration(t, ts, tenant, l)
	ts.stop()

	file := filepath.Join(dir, "legacy", tenant, "legacy.db")
	if err := os.Rename(file, file+".away"); err != nil {
		t.Fatal(err)
	}
	ts2 := start(t, dir, cheapHash)
	r := ts2.must(ts2.login(tenant, "alice", seedPassword("alice")), 503, "login while the database is down")
	if r.str("code") != "legacy_unavailable" {
		t.Fatalf("code: %s", r.Body)
	}
	if got := num(ts2.migration(tenant), "users_migrated"); got != 0 {
		t.Fatalf("%d users stored during the outage", got)
	}
	if err := os.Rename(file+".away", file); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		r = ts2.login(tenant, "alice", seedPassword("alice"))
		if r.Status == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	ts2.must(r, 200, "login once the database is back")
}
