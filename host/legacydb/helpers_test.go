package legacydb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/wasmauth/wasmauth/internal/testdb"
)

// Test databases, as an administrator; override with LEGACYDB_POSTGRES_DSN and
// LEGACYDB_MYSQL_DSN. Tenants' connections use a least-privileged account the test makes.
const (
	defaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	defaultMySQLDSN    = "root@tcp(127.0.0.1:3306)/test"
)

// backend is one database the tests run against.
type backend struct {
	name  string
	cfg   Config  // opens the tenant's read-only connection, as reader
	admin *sql.DB // a writable handle for setting up tables
	// reader is the tenant's least-privileged account (nil for sqlite).
	reader *testdb.Reader
	// ph returns the i-th (1-based) placeholder.
	ph func(i int) string
	// usersDDL creates a users table named %[1]s with an index on email.
	usersDDL []string
	// sleep is a statement that runs for about 10 seconds.
	sleep string
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// unavailable skips the test, or fails it when CI=true. env, when not
// empty, names the variable that points the test elsewhere.
func unavailable(t testing.TB, what, env string, err error) {
	t.Helper()
	msg := what + " is not reachable (" + err.Error() + "); start it"
	if env != "" {
		msg += " or set " + env
	}
	msg += " to run this test"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func openAdmin(t testing.TB, driverName, kind, dsn, env string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		unavailable(t, kind+" at "+MaskDSN(kind, dsn), env, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// loopback are the networks of the test databases, which tenants' connections must be
// allowed to reach explicitly.
var loopback = testdb.Loopback

func postgresBackend(t testing.TB) backend {
	dsn := envOr("LEGACYDB_POSTGRES_DSN", defaultPostgresDSN)
	admin := openAdmin(t, "pgx", "postgres", dsn, "LEGACYDB_POSTGRES_DSN")
	reader := testdb.NewReader(t, "postgres", admin, dsn)
	return backend{
		name:   "postgres",
		cfg:    Config{Driver: "postgres", DSN: reader.DSN, Tenant: "acme", Networks: loopback},
		admin:  admin,
		reader: reader,
		ph:     func(i int) string { return "$" + strconv.Itoa(i) },
		usersDDL: []string{
			`CREATE TABLE %[1]s (id bigint PRIMARY KEY, email text NOT NULL, name varchar(100),
				score double precision, balance numeric(12,2), active boolean, nickname text,
				avatar bytea, created_at timestamptz, small integer)`,
			`CREATE UNIQUE INDEX %[1]s_email ON %[1]s (email)`,
		},
		sleep: "SELECT pg_sleep(10)",
	}
}

func mysqlBackend(t testing.TB) backend {
	dsn := envOr("LEGACYDB_MYSQL_DSN", defaultMySQLDSN)
	admin := openAdmin(t, "mysql", "mysql", dsn, "LEGACYDB_MYSQL_DSN")
	reader := testdb.NewReader(t, "mysql", admin, dsn)
	// MySQL lets an account use a database only once it has a privilege in it; here the
	// test database is the tenant's, and tests read tables they have not granted.
	mc, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	reader.Grant(t, "SELECT ON `"+mc.DBName+"`.*")
	return backend{
		name:   "mysql",
		cfg:    Config{Driver: "mysql", DSN: reader.DSN, Tenant: "acme", Networks: loopback},
		admin:  admin,
		reader: reader,
		ph:     func(int) string { return "?" },
		usersDDL: []string{
			`CREATE TABLE %[1]s (id BIGINT PRIMARY KEY, email VARCHAR(191) NOT NULL, name VARCHAR(100),
				score DOUBLE, balance DECIMAL(12,2), active BOOL, nickname TEXT,
				avatar BLOB, created_at DATETIME(6), small INT)`,
			`CREATE UNIQUE INDEX %[1]s_email ON %[1]s (email)`,
		},
		sleep: "SELECT SLEEP(10)",
	}
}

// sqliteBackend makes a SQLite root with the tenant folder acme holding legacy.db.
func sqliteBackend(t testing.TB) backend {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "acme"), 0o755); err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("sqlite", filepath.Join(root, "acme", "legacy.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Ping(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return backend{
		name:  "sqlite",
		cfg:   Config{Driver: "sqlite", DSN: "legacy.db", SQLiteRoot: root, Tenant: "acme"},
		admin: admin,
		ph:    func(int) string { return "?" },
		usersDDL: []string{
			`CREATE TABLE %[1]s (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name VARCHAR(100),
				score REAL, balance DECIMAL(12,2), active BOOLEAN, nickname TEXT,
				avatar BLOB, created_at TIMESTAMP, small INT)`,
			`CREATE UNIQUE INDEX %[1]s_email ON %[1]s (email)`,
		},
		sleep: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c",
	}
}

// backends returns the three databases; a test runs a subtest per backend, so an
// unreachable server skips only its own subtest.
var backendMakers = []struct {
	name string
	make func(testing.TB) backend
}{
	{"postgres", postgresBackend},
	{"mysql", mysqlBackend},
	{"sqlite", sqliteBackend},
}

func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, m := range backendMakers {
		t.Run(m.name, func(t *testing.T) { f(t, m.make(t)) })
	}
}

// uniqueTable returns a table name no other test uses, and drops it at the end.
func uniqueTable(t testing.TB, b backend, prefix string) string {
	t.Helper()
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		t.Fatal(err)
	}
	name := "legacydb_" + prefix + "_" + hex.EncodeToString(r[:])
	t.Cleanup(func() { b.admin.Exec("DROP TABLE IF EXISTS " + name) })
	return name
}

// exec runs statements on the admin handle, each formatted with the table name.
func exec(t testing.TB, b backend, table string, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := b.admin.Exec(strings.ReplaceAll(s, "%[1]s", table)); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// grant grants the tenant's account privileges (such as "SELECT ON users_1234"); SQLite
// has no accounts.
func grant(t testing.TB, b backend, privileges string) {
	t.Helper()
	if b.reader != nil {
		b.reader.Grant(t, privileges)
	}
}

// usersTable creates a users table with two rows of every value type, which the tenant
// may read.
func usersTable(t testing.TB, b backend) string {
	t.Helper()
	table := uniqueTable(t, b, "users")
	exec(t, b, table, b.usersDDL...)
	grant(t, b, "SELECT ON "+table)
	q := "INSERT INTO " + table + " (id, email, name, score, balance, active, nickname, avatar, created_at, small) VALUES (" +
		strings.Join([]string{b.ph(1), b.ph(2), b.ph(3), b.ph(4), b.ph(5), b.ph(6), b.ph(7), b.ph(8), b.ph(9), b.ph(10)}, ", ") + ")"
	t1 := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	t2 := time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC)
	var c1, c2 any = t1, t2
	if b.name == "sqlite" {
		c1, c2 = t1.Format(time.RFC3339Nano), t2.Format(time.RFC3339Nano)
	}
	rows := [][]any{
		{int64(9007199254740993), "a@example.com", `Alice "A" <x>`, 1.5, "1234.50", true, nil, []byte{0, 1, 2, 255}, c1, 42},
		{int64(2), "b@example.com", "Bob\n", -2.25, "0.10", false, "bobby", nil, c2, -7},
	}
	for _, r := range rows {
		if _, err := b.admin.Exec(q, r...); err != nil {
			t.Fatalf("insert: %v", err)
		}
	}
	return table
}

// openTenant opens the backend's tenant connection and closes it at the end.
func openTenant(t testing.TB, b backend) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, err := Open(ctx, b.cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// query runs one request with default limits and a 5 s deadline.
func query(t testing.TB, db *DB, sql string, args ...any) string {
	t.Helper()
	return queryLim(t, db, Limits{}, sql, args...)
}

func queryLim(t testing.TB, db *DB, lim Limits, sql string, args ...any) string {
	t.Helper()
	req, err := json.Marshal(map[string]any{"sql": sql, "args": args})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := db.Query(ctx, req, lim)
	if err != nil {
		t.Fatalf("Query(%s): %v", sql, err)
	}
	if !json.Valid(resp) {
		t.Fatalf("Query(%s): invalid JSON %q", sql, resp)
	}
	return string(resp)
}

// responseError returns the "error" of a response, or "".
func responseError(t testing.TB, resp string) string {
	t.Helper()
	var r struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(resp), &r); err != nil {
		t.Fatalf("response %q: %v", resp, err)
	}
	return r.Error
}

// countRows returns the number of rows in table, through the admin handle.
func countRows(t testing.TB, b backend, table string) int {
	t.Helper()
	var n int
	if err := b.admin.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}
