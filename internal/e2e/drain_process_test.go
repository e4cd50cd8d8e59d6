package e2e

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/testserver"
	"github.com/wasmauth/wasmauth/internal/testserver/modules"
)

// drainUsers is how many legacy users TestDrainSurvivesKill drains.
const drainUsers = 3000

// TestDrainSurvivesKill kills the binary with SIGKILL in the middle of a
// drain, starts it again on the same data, and checks that the drain
// resumes by itself and ends with every legacy user stored once and counted
// once: over SQLite, PostgreSQL and MariaDB.
func TestDrainSurvivesKill(t *testing.T) {
	// The test databases are on loopback, which the binary refuses by
	// default.
	t.Setenv("WASMAUTH_LEGACY_NETWORKS", "127.0.0.0/8,::1/128")
	for _, driver := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(driver, func(t *testing.T) { drainKillResume(t, driver) })
	}
}

func drainKillResume(t *testing.T, driver string) {
	dataDir := t.TempDir()
	tenant := "kill-" + driver
	conn := map[string]any{"driver": "sqlite", "dsn": "legacy.db", "config": map[string]any{"dialect": "sqlite", "table": "users"}}
	if driver == "sqlite" {
		seedLegacySQLite(t, filepath.Join(dataDir, "legacy", tenant, "legacy.db"), drainUsers)
	} else {
		l := (&testserver.Server{}).LegacyDB(t, driver, tenant)
		l.Exec(t, "DELETE FROM {table}")
		for from := 1; from <= drainUsers; from += 500 {
			var rows []string
			for i := from; i < from+500 && i <= drainUsers; i++ {
				rows = append(rows, fmt.Sprintf("(%d, 'u%d@example.com', 'u%d', '%s', TRUE, 'User %d')", i, i, i, drainHash, i))
			}
			l.Exec(t, "INSERT INTO {table} (id, email, username, password_hash, email_verified, name) VALUES "+strings.Join(rows, ", "))
		}
		conn = map[string]any{"driver": l.Driver, "dsn": l.DSN, "config": l.Config}
	}

	p := startBinary(t, dataDir)
	e := p.env(t)
	base := "/admin/v1/tenants/" + tenant
	e.Must(e.Do("POST", "/admin/v1/tenants", testserver.OperatorToken, map[string]any{"id": tenant}), 201, "create tenant")
	e.Must(e.Do("PUT", base+"/script", testserver.OperatorToken, modules.Drain), 201, "upload the drain module")
	e.Must(e.Do("PUT", base+"/connection", testserver.OperatorToken, conn), 200, "set connection")
	e.Must(e.Do("POST", base+"/migration/drain", testserver.OperatorToken, map[string]any{"page_size": 50, "max_users_per_second": 1000}), 202, "start the drain")
	deadline := time.Now().Add(30 * time.Second)
	for {
		d := e.Must(e.Do("GET", base+"/migration/drain", testserver.OperatorToken, nil), 200, "drain status").JSON
		if n := d["pages"].(float64); n >= 10 {
			if d["state"] != "running" {
				t.Fatalf("the drain ended before the kill: %v", d)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the drain made no progress: %v", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.wait(t, 10*time.Second)

	p = startBinary(t, dataDir)
	e = p.env(t)
	deadline = time.Now().Add(60 * time.Second)
	var d map[string]any
	for {
		d = e.Must(e.Do("GET", base+"/migration/drain", testserver.OperatorToken, nil), 200, "drain status").JSON
		if d["state"] != "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the resumed drain did not finish: %v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
	want := map[string]float64{"imported": drainUsers, "already_local": 0, "conflicts": 0, "errors": 0, "pages": drainUsers/50 + 1}
	for k, v := range want {
		if d[k] != v {
			t.Fatalf("after the kill and the resume, %s = %v, want %v: %v", k, d[k], v, d)
		}
	}
	if d["state"] != "done" {
		t.Fatalf("drain: %v", d)
	}
	st := e.Must(e.Do("GET", base+"/migration", testserver.OperatorToken, nil), 200, "migration").JSON
	if st["users_imported"] != float64(drainUsers) || st["users_total"] != float64(drainUsers) {
		t.Fatalf("migration status: %v", st)
	}
	// Every legacy id once.
	seen := map[string]bool{}
	cursor := ""
	for {
		r := e.Must(e.Do("GET", base+"/users?limit=1000&cursor="+url.QueryEscape(cursor), testserver.OperatorToken, nil), 200, "list users")
		var page struct {
			Users []struct {
				LegacyID string `json:"legacy_id"`
			} `json:"users"`
			Next *string `json:"next_cursor"`
		}
		r.Decode(t, &page)
		for _, u := range page.Users {
			if seen[u.LegacyID] {
				t.Fatalf("legacy user %s stored twice", u.LegacyID)
			}
			seen[u.LegacyID] = true
		}
		if page.Next == nil {
			break
		}
		cursor = *page.Next
	}
	for i := 1; i <= drainUsers; i++ {
		if !seen[fmt.Sprint(i)] {
			t.Fatalf("legacy user %d missing after the kill", i)
		}
	}
}

// drainHash is the examples' bcrypt hash of alice's password.
const drainHash = "$2a$10$buMM6L/J/0tkVGpVO9/Dsug6dqJBdjBIvc57z.t1nTiewHsoFMxSy"

// seedLegacySQLite creates the examples' users table at file with n users,
// all with the same bcrypt hash.
func seedLegacySQLite(t *testing.T, file string, n int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema, err := examples.Schema("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(schema); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		_, err := tx.Exec("INSERT INTO users (id, email, username, password_hash, email_verified, name) VALUES (?, ?, ?, ?, 1, ?)",
			i, fmt.Sprintf("u%d@example.com", i), fmt.Sprintf("u%d", i), drainHash, fmt.Sprintf("User %d", i))
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
