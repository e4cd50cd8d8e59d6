package server_test

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
	"github.com/wasmauth/wasmauth/internal/testserver/modules"
)

// noListModule exports login and get_user only.
//
//go:embed testdata/legacy_id.wasm
var noListModule []byte

// sha256Hash is the examples' salted SHA-256 scheme, which only the module's
// verify_hash knows.
func sha256Hash(salt, pw string) string {
	sum := sha256.Sum256([]byte(salt + pw))
	return "sha256$" + salt + "$" + hex.EncodeToString(sum[:])
}

// extraUser is a legacy user a test adds to the seed users.
type extraUser struct {
	id       int
	username string
	pw       string
}

// addExtraUsers inserts n users with ids from 100 and the module's hash
// scheme.
func addExtraUsers(t *testing.T, l *testserver.LegacyDB, n int) []extraUser {
	t.Helper()
	var out []extraUser
	var rows []string
	for i := range n {
		u := extraUser{id: 100 + i, username: fmt.Sprintf("user%d", i), pw: fmt.Sprintf("pw-%d-secret", i)}
		out = append(out, u)
		rows = append(rows, fmt.Sprintf("(%d, '%s@example.com', '%s', '%s', FALSE, 'User %d')",
			u.id, u.username, u.username, sha256Hash(fmt.Sprintf("%016x", i), u.pw), i))
	}
	l.Exec(t, "INSERT INTO {table} (id, email, username, password_hash, email_verified, name) VALUES "+strings.Join(rows, ", "))
	return out
}

// drainPath is a tenant's drain resource.
func drainPath(tenant string) string {
	return "/admin/v1/tenants/" + tenant + "/migration/drain"
}

// waitDrain polls the tenant's drain until ok says so, and returns it.
func waitDrain(t *testing.T, ts *testserver.Server, tenant string, within time.Duration, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		d := ts.Must(ts.Do("GET", drainPath(tenant), testserver.OperatorToken, nil), 200, "drain status").JSON
		if ok(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("drain of %s not there within %v: %v", tenant, within, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wantCounts fails unless the job has the given counts.
func wantCounts(t *testing.T, what string, job map[string]any, want map[string]int) {
	t.Helper()
	for k, v := range want {
		if num(job, k) != v {
			t.Fatalf("%s: %s = %d, want %d: %v", what, k, num(job, k), v, job)
		}
	}
}

// ndjson encodes users as NDJSON.
func ndjson(t *testing.T, users ...map[string]any) []byte {
	t.Helper()
	var b strings.Builder
	for _, u := range users {
		line, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// TestDrain drains the examples' users, forty more and a clash from a
// legacy database in each driver: stopped and resumed, with a second start
// refused while it runs; then the database is closed and every drained user
// logs in with the old password.
func TestDrain(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			ts := ts.With(t)
			tenant := "drain-" + driver
			ts.CreateTenant(tenant)
			base := "/admin/v1/tenants/" + tenant
			l := ts.LegacyDB(t, driver, tenant)
			extra := addExtraUsers(t, l, 40)
			// A local user registered with the email of legacy user 50: a conflict.
			ts.Must(ts.Register(tenant, "clash@example.com", "a local password 1"), 201, "register the clash")
			l.Exec(t, "INSERT INTO {table} (id, email, username, password_hash, email_verified, name) VALUES (50, 'clash@example.com', 'clash', NULL, FALSE, 'Clash')")
			// Bob was imported before: already local.
			var bobHash string
			if err := l.DB.QueryRow(strings.ReplaceAll("SELECT password_hash FROM {table} WHERE id = 2", "{table}", l.Table)).Scan(&bobHash); err != nil {
				t.Fatal(err)
			}
			r := ts.Must(ts.Send("POST", base+"/users/import", testserver.OperatorToken, "application/x-ndjson",
				ndjson(t, map[string]any{"id": "2", "email": "bob@example.com", "username": "bob", "password_hash": bobHash})), 200, "import bob")
			if num(r.JSON, "imported") != 1 {
				t.Fatalf("import of bob: %s", r)
			}

			ts.Must(ts.Do("POST", drainPath(tenant), testserver.OperatorToken, nil), 409, "drain without a module")
			ts.Must(ts.Do("PUT", base+"/script", testserver.OperatorToken, modules.Drain), 201, "upload the drain module")
			ts.Must(ts.Do("PUT", base+"/connection", testserver.OperatorToken, map[string]any{
				"driver": l.Driver, "dsn": l.DSN, "config": l.Config,
			}), 200, "set connection")
			if st := migration(ts, tenant); st["drain"] != nil || num(st, "users_imported") != 1 {
				t.Fatalf("migration status before the drain: %v", st)
			}

			// Slowly: 5 users a page, 10 a second.
			r = ts.Must(ts.Do("POST", drainPath(tenant), testserver.OperatorToken, map[string]any{"page_size": 5, "max_users_per_second": 10}), 202, "start the drain")
			if r.Str("state") != "running" {
				t.Fatalf("started drain: %s", r)
			}
			r = ts.Must(ts.Do("POST", drainPath(tenant), testserver.OperatorToken, nil), 409, "second drain")
			if r.ProblemCode() != "drain_running" {
				t.Fatalf("second drain: %s", r)
			}
			waitDrain(t, ts, tenant, 30*time.Second, func(d map[string]any) bool { return num(d, "pages") >= 2 })
			ts.Must(ts.Do("DELETE", drainPath(tenant), testserver.OperatorToken, nil), 204, "stop the drain")
			stopped := waitDrain(t, ts, tenant, 30*time.Second, func(d map[string]any) bool { return d["state"] == "stopped" })
			time.Sleep(300 * time.Millisecond)
			again := ts.Must(ts.Do("GET", drainPath(tenant), testserver.OperatorToken, nil), 200, "drain status").JSON
			if num(again, "pages") != num(stopped, "pages") || num(stopped, "pages") >= 10 {
				t.Fatalf("a stopped drain went on: %v, then %v", stopped, again)
			}

			// Resumed at full speed, from the saved cursor.
			ts.Must(ts.Do("POST", drainPath(tenant), testserver.OperatorToken, map[string]any{"page_size": 5, "max_users_per_second": 0}), 202, "resume the drain")
			done := waitDrain(t, ts, tenant, 60*time.Second, func(d map[string]any) bool { return d["state"] != "running" })
			// 49 legacy users: 8 seed users, 40 more and the clash; bob
			// already local; ghost without a password, mallory's hash unknown.
			wantCounts(t, "finished drain", done, map[string]int{
				"imported": 47, "already_local": 1, "conflicts": 1, "without_password": 1,
				"unsupported_hash": 1, "errors": 0, "pages": 10,
			})
			if done["state"] != "done" || done["finished_at"] == nil || done["started_at"] == nil || done["last_error"] != nil {
				t.Fatalf("finished drain: %v", done)
			}
			st := migration(ts, tenant)
			if num(st, "users_imported") != 48 || st["drain"].(map[string]any)["state"] != "done" {
				t.Fatalf("migration status after the drain: %v", st)
			}
			logs := ts.Must(ts.Do("GET", base+"/logs", testserver.OperatorToken, nil), 200, "logs").Body
			if !strings.Contains(string(logs), `legacy user \"50\" was not copied: its email belongs to local user`) ||
				!strings.Contains(string(logs), `legacy user \"8\"`) {
				t.Fatalf("no log lines of the conflict and the unknown hash: %s", logs)
			}

			// The legacy database is gone: every drained user logs in with
			// the old password, checked in the server or by verify_hash.
			ts.Must(ts.Do("DELETE", base+"/connection", testserver.OperatorToken, nil), 204, "close the connection")
			for _, name := range []string{"alice", "bob", "carol", "dave", "erin", "fdupont"} {
				r := ts.Must(ts.Login(tenant, name, testserver.SeedPassword(name)), 200, "first login of "+name)
				if u := r.Obj("user"); u["source"] != "legacy" || u["legacy_id"] == nil {
					t.Fatalf("drained user %s: %v", name, u)
				}
				ts.Must(ts.Login(tenant, name, testserver.SeedPassword(name)), 200, "second login of "+name)
				ts.Must(ts.Login(tenant, name, "not the password"), 401, "wrong password of "+name)
			}
			for _, u := range extra {
				ts.Must(ts.Login(tenant, u.username+"@example.com", u.pw), 200, "login of "+u.username)
			}
			ts.Must(ts.Login(tenant, "ghost", "anything at all"), 401, "login of ghost, who has no password")
			ts.Must(ts.Login(tenant, "mallory", "hunter2"), 401, "login of mallory, whose hash nobody verifies")
			ts.Must(ts.Login(tenant, "clash@example.com", "a local password 1"), 200, "the local user of the clash")
			if st := migration(ts, tenant); num(st, "users_imported") != 2 {
				t.Fatalf("users_imported after every login: %v", st)
			}
		})
	}
}

// TestDrainUnsupported: a module without list_users uploads, and a drain is
// refused with drain_unsupported.
func TestDrainUnsupported(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	tenant := "nolist"
	key := ts.CreateTenant(tenant)
	r := ts.Must(ts.Do("PUT", "/admin/v1/tenants/"+tenant+"/script", key, noListModule), 201, "upload a module without list_users")
	if strings.Contains(string(r.Body), "list_users") {
		t.Fatalf("exports of a module without list_users: %s", r)
	}
	r = ts.Must(ts.Do("POST", drainPath(tenant), key, map[string]any{}), 409, "drain")
	if r.ProblemCode() != "drain_unsupported" {
		t.Fatalf("drain: %s", r)
	}
	ts.Must(ts.Do("GET", drainPath(tenant), key, nil), 404, "status of no drain")
	ts.Must(ts.Do("DELETE", drainPath(tenant), key, nil), 204, "stopping no drain")
	r = ts.Must(ts.Do("PUT", "/admin/v1/tenants/"+tenant+"/script", key, modules.Drain), 201, "upload the drain module")
	if !strings.Contains(string(r.Body), `"list_users"`) || !strings.Contains(string(r.Body), `"verify_hash"`) {
		t.Fatalf("exports of the drain module: %s", r)
	}
}

// TestDrainFails: a drain whose pages keep failing ends failed with the
// module's error after three tries; once the cause is fixed, a POST
// resumes it.
func TestDrainFails(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	const tenant = "drainfail"
	key := ts.CreateTenant(tenant)
	base := "/admin/v1/tenants/" + tenant
	l := ts.LegacyDB(t, "sqlite", tenant)
	ts.Must(ts.Do("PUT", base+"/script", key, modules.Drain), 201, "upload the drain module")
	ts.Must(ts.Do("PUT", base+"/connection", key, map[string]any{
		"driver": l.Driver, "dsn": l.DSN, "config": map[string]any{"dialect": "sqlite", "table": "no_such_table"},
	}), 200, "set a connection to a missing table")
	ts.Must(ts.Do("POST", drainPath(tenant), key, nil), 202, "start the drain")
	failed := waitDrain(t, ts, tenant, 30*time.Second, func(d map[string]any) bool { return d["state"] != "running" })
	if failed["state"] != "failed" || failed["last_error"] == nil || num(failed, "pages") != 0 || failed["finished_at"] == nil {
		t.Fatalf("a drain of a missing table: %v", failed)
	}
	ts.Must(ts.Do("PUT", base+"/connection", key, map[string]any{"driver": l.Driver, "dsn": l.DSN, "config": l.Config}), 200, "fix the connection")
	ts.Must(ts.Do("POST", drainPath(tenant), key, map[string]any{"max_users_per_second": 0}), 202, "resume the drain")
	done := waitDrain(t, ts, tenant, 30*time.Second, func(d map[string]any) bool { return d["state"] != "running" })
	wantCounts(t, "resumed drain", done, map[string]int{"imported": 8, "without_password": 1, "unsupported_hash": 1, "pages": 1})
	if done["state"] != "done" || done["last_error"] != nil {
		t.Fatalf("resumed drain: %v", done)
	}
	ts.Must(ts.Do("POST", drainPath(tenant), key, map[string]any{"page_size": 0}), 400, "a page size of 0")
}

// TestDrainDryRun counts without storing anybody.
func TestDrainDryRun(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	const tenant = "drydrain"
	key := ts.CreateTenant(tenant)
	base := "/admin/v1/tenants/" + tenant
	l := ts.LegacyDB(t, "sqlite", tenant)
	ts.Must(ts.Do("PUT", base+"/script", key, modules.Drain), 201, "upload the drain module")
	ts.Must(ts.Do("PUT", base+"/connection", key, map[string]any{"driver": l.Driver, "dsn": l.DSN, "config": l.Config}), 200, "set connection")
	r := ts.Must(ts.Do("POST", drainPath(tenant), key, map[string]any{"dry_run": true, "page_size": 3}), 202, "start a dry run")
	if r.JSON["dry_run"] != true {
		t.Fatalf("dry run: %s", r)
	}
	done := waitDrain(t, ts, tenant, 30*time.Second, func(d map[string]any) bool { return d["state"] != "running" })
	wantCounts(t, "dry run", done, map[string]int{"imported": 8, "without_password": 1, "unsupported_hash": 1, "pages": 3})
	if st := migration(ts, tenant); num(st, "users_imported") != 0 || num(st, "users_total") != 0 {
		t.Fatalf("a dry run stored users: %v", st)
	}
	// The real one after it starts from the first page.
	ts.Must(ts.Do("POST", drainPath(tenant), key, map[string]any{"dry_run": false}), 202, "start the drain")
	done = waitDrain(t, ts, tenant, 30*time.Second, func(d map[string]any) bool { return d["state"] != "running" })
	wantCounts(t, "drain after a dry run", done, map[string]int{"imported": 8, "pages": 1})
	if st := migration(ts, tenant); num(st, "users_imported") != 8 {
		t.Fatalf("the drain after a dry run: %v", st)
	}
}

// TestDrainExampleModule drains through the C example module's list_users
// (three pages of five) instead of drain.wasm; with the connection closed,
// users of the examples' salted SHA-256 scheme log in through its
// verify_hash and a bcrypt one in the server.
func TestDrainExampleModule(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	const tenant = "drainexample"
	key := ts.CreateTenant(tenant)
	base := "/admin/v1/tenants/" + tenant
	l := ts.LegacyDB(t, "sqlite", tenant)
	extra := addExtraUsers(t, l, 4)
	r := ts.Must(ts.Do("PUT", base+"/script", key, examples.CLegacy), 201, "upload the C example")
	if !strings.Contains(string(r.Body), `"list_users"`) || !strings.Contains(string(r.Body), `"verify_hash"`) {
		t.Fatalf("exports of the C example: %s", r)
	}
	ts.Must(ts.Do("PUT", base+"/connection", key, map[string]any{"driver": l.Driver, "dsn": l.DSN, "config": l.Config}), 200, "set connection")
	ts.Must(ts.Do("POST", drainPath(tenant), key, map[string]any{"page_size": 5, "max_users_per_second": 0}), 202, "start the drain")
	done := waitDrain(t, ts, tenant, 60*time.Second, func(d map[string]any) bool { return d["state"] != "running" })
	// 12 users: the 8 of the seed (ghost without a password, mallory's
	// "plain:" hash unknown to the server and to verify_hash) and 4 more.
	wantCounts(t, "drain through the C example", done, map[string]int{
		"imported": 12, "without_password": 1, "unsupported_hash": 1, "errors": 0, "pages": 3,
	})
	if done["state"] != "done" || done["last_error"] != nil {
		t.Fatalf("drain through the C example: %v", done)
	}
	ts.Must(ts.Do("DELETE", base+"/connection", key, nil), 204, "close the connection")
	for _, name := range []string{"dave", "alice"} {
		ts.Must(ts.Login(tenant, name, "not the password"), 401, "wrong password of "+name)
		r := ts.Must(ts.Login(tenant, name, testserver.SeedPassword(name)), 200, "first login of "+name)
		if u := r.Obj("user"); u["source"] != "legacy" {
			t.Fatalf("drained user %s: %v", name, u)
		}
	}
	for _, u := range extra {
		ts.Must(ts.Login(tenant, u.username, u.pw), 200, "login of "+u.username)
	}
	ts.Must(ts.Login(tenant, "mallory", "hunter2"), 401, "login of mallory, whose hash nobody verifies")
}
