package server_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
)

// The real databases tests use; PostgreSQL and MariaDB run on CI machines.
const (
	postgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	mysqlDSN    = "root@tcp(127.0.0.1:3306)/test"
)

// legacyDB is a tenant's legacy users table in a real database, seeded with
// the examples' sample users.
type legacyDB struct {
	driver string         // the connection driver: postgres, mysql or sqlite
	dsn    string         // what the tenant's connection uses
	config map[string]any // the script's config: dialect and table
	table  string
	db     *sql.DB // the test's own handle, for changing rows behind the server's back
}

// exec runs a statement on the legacy table; "{table}" names it.
func (l *legacyDB) exec(t testing.TB, stmt string, args ...any) {
	t.Helper()
	if _, err := l.db.Exec(strings.ReplaceAll(stmt, "{table}", l.table), args...); err != nil {
		t.Fatalf("legacy %s: %v", l.driver, err)
	}
}

// placeholder returns the driver's n-th placeholder.
func (l *legacyDB) placeholder(n int) string {
	if l.driver == "postgres" {
		return "$" + string(rune('0'+n))
	}
	return "?"
}

// needDatabase skips (or, on CI, fails) when a database is not reachable.
func needDatabase(t testing.TB, name, how string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required on CI: %v", name, err)
	}
	t.Skipf("%s not reachable (%v); %s", name, err, how)
}

// newLegacyDB creates and seeds a users table for tenant on driver.
func newLegacyDB(t testing.TB, ts *testServer, driver, tenant string) *legacyDB {
	t.Helper()
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	l := &legacyDB{driver: driver, table: "users_" + hex.EncodeToString(suffix)}
	var sqlDriver, dsn string
	switch driver {
	case "postgres":
		sqlDriver, dsn, l.dsn = "pgx", postgresDSN, postgresDSN
	case "mysql":
		sqlDriver, dsn, l.dsn = "mysql", mysqlDSN, mysqlDSN
	case "sqlite":
		dir := filepath.Join(ts.cfg.DataDir, "legacy", tenant)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "legacy.db")
		sqlDriver, dsn, l.dsn = "sqlite", file, "legacy.db"
	}
	db, err := sql.Open(sqlDriver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		switch driver {
		case "postgres":
			needDatabase(t, "PostgreSQL", "start PostgreSQL on 127.0.0.1:5432 (trust auth, database test) to run this test", err)
		case "mysql":
			needDatabase(t, "MariaDB", "start MariaDB on 127.0.0.1:3306 (root, empty password, database test) to run this test", err)
		}
		t.Fatal(err)
	}
	l.db = db
	schema, err := examples.Schema(driver)
	if err != nil {
		t.Fatal(err)
	}
	l.exec(t, strings.Replace(schema, "CREATE TABLE users", "CREATE TABLE {table}", 1))
	l.exec(t, strings.Replace(examples.SeedSQL, "INSERT INTO users", "INSERT INTO {table}", 1))
	t.Cleanup(func() {
		if driver != "sqlite" {
			_, _ = db.Exec("DROP TABLE " + l.table)
		}
		db.Close()
	})
	dialect := driver
	l.config = map[string]any{"dialect": dialect, "table": l.table}
	return l
}

// password returns a sample user's plaintext password.
func seedPassword(username string) string {
	for _, u := range examples.SeedUsers() {
		if u.Username == username {
			return u.Password
		}
	}
	panic("no seed user " + username)
}
