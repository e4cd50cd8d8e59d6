package testserver

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	// The legacy database drivers the fixture opens.
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/testdb"
)

// The real databases tests use, as their administrator; PostgreSQL and MariaDB run on CI
// machines. A tenant's DSN names a least-privileged account instead (LegacyDB.DSN).
const (
	PostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	MySQLDSN    = "root@tcp(127.0.0.1:3306)/test"
)

// LegacyDB is a tenant's legacy users table in a real database, seeded with
// the examples' sample users.
type LegacyDB struct {
	// Driver is the connection driver: postgres, mysql or sqlite.
	Driver string
	// DSN is what the tenant's connection uses: for postgres and mysql, an account
	// made for the test that may only read Table.
	DSN string
	// Reader is that account (nil for sqlite), for granting it more.
	Reader *testdb.Reader
	// Config is the script's config: dialect and table.
	Config map[string]any
	// Table is the table's unique name.
	Table string
	// DB is the test's own handle, for changing rows behind the server's back.
	DB *sql.DB
}

// Exec runs a statement on the legacy table, where "{table}" names it.
func (l *LegacyDB) Exec(t testing.TB, stmt string, args ...any) {
	t.Helper()
	if _, err := l.DB.Exec(strings.ReplaceAll(stmt, "{table}", l.Table), args...); err != nil {
		t.Fatalf("legacy %s: %v", l.Driver, err)
	}
}

// Placeholder returns the driver's n-th (1-based, up to 9) placeholder.
func (l *LegacyDB) Placeholder(n int) string {
	if l.Driver == "postgres" {
		return "$" + string(rune('0'+n))
	}
	return "?"
}

// NeedDatabase skips t when the database name is not reachable (err),
// saying how to enable the test; on CI (CI=true) it fails t instead.
func NeedDatabase(t testing.TB, name, how string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required on CI: %v", name, err)
	}
	t.Skipf("%s not reachable (%v); %s", name, err, how)
}

// LegacyDB creates a users table with a unique name for tenant on driver
// (postgres, mysql or sqlite) and seeds it with the examples' users. A
// SQLite database is the file legacy.db in the tenant's folder under
// SQLiteRoot. A PostgreSQL or MariaDB table is read through an account that
// may read nothing else. The table and account are dropped when the test ends.
func (s *Server) LegacyDB(t testing.TB, driver, tenant string) *LegacyDB {
	t.Helper()
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	l := &LegacyDB{Driver: driver, Table: "users_" + hex.EncodeToString(suffix)}
	var sqlDriver, dsn string
	switch driver {
	case "postgres":
		sqlDriver, dsn, l.DSN = "pgx", PostgresDSN, PostgresDSN
	case "mysql":
		sqlDriver, dsn, l.DSN = "mysql", MySQLDSN, MySQLDSN
	case "sqlite":
		dir := filepath.Join(s.SQLiteRoot(), tenant)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		sqlDriver, dsn, l.DSN = "sqlite", filepath.Join(dir, "legacy.db"), "legacy.db"
	default:
		t.Fatalf("no legacy database driver %q", driver)
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
			NeedDatabase(t, "PostgreSQL", "start PostgreSQL on 127.0.0.1:5432 (trust auth, database test) to run this test", err)
		case "mysql":
			NeedDatabase(t, "MariaDB", "start MariaDB on 127.0.0.1:3306 (root, empty password, database test) to run this test", err)
		}
		t.Fatal(err)
	}
	l.DB = db
	t.Cleanup(func() {
		if driver != "sqlite" {
			_, _ = db.Exec("DROP TABLE " + l.Table)
		}
		db.Close()
	})
	schema, err := examples.Schema(driver)
	if err != nil {
		t.Fatal(err)
	}
	l.Exec(t, strings.Replace(schema, "CREATE TABLE users", "CREATE TABLE {table}", 1))
	l.Exec(t, strings.Replace(examples.SeedSQL, "INSERT INTO users", "INSERT INTO {table}", 1))
	if driver != "sqlite" {
		l.Reader = testdb.NewReader(t, driver, db, dsn)
		l.Reader.Grant(t, "SELECT ON "+l.Table)
		l.DSN = l.Reader.DSN
	}
	l.Config = map[string]any{"dialect": driver, "table": l.Table}
	return l
}

// CopyLegacySQLite copies the examples' SQLite legacy database (table
// users) to legacy.db in the tenant's folder under SQLiteRoot and returns
// the file's path.
func (s *Server) CopyLegacySQLite(tenant string) string {
	s.T.Helper()
	dir := filepath.Join(s.SQLiteRoot(), tenant)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		s.T.Fatal(err)
	}
	file := filepath.Join(dir, "legacy.db")
	if err := os.WriteFile(file, examples.LegacyDB, 0o600); err != nil {
		s.T.Fatal(err)
	}
	return file
}

// SeedPassword returns the plaintext password of the examples' sample user
// username.
func SeedPassword(username string) string {
	for _, u := range examples.SeedUsers() {
		if u.Username == username {
			return u.Password
		}
	}
	panic(fmt.Sprintf("no seed user %q", username))
}

// ScratchPostgres creates an empty PostgreSQL database named prefix_<random>
// for t and returns its URL, dropped when t ends; without a reachable
// PostgreSQL the test skips, or fails under CI=true (NeedDatabase).
func ScratchPostgres(t testing.TB, prefix string) string {
	return testdb.ScratchPostgres(t, prefix, func(err error) {
		NeedDatabase(t, "PostgreSQL", "start PostgreSQL on 127.0.0.1:5432 or set WASMAUTH_TEST_POSTGRES", err)
	})
}
