// Package testdb makes least-privileged accounts on the PostgreSQL and MariaDB servers
// tests run against, so a tenant's DSN in a test is what it should be in production: a
// role that can read the tenant's tables and nothing of the server's.
package testdb

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// Loopback are the networks of the test databases, which a tenant's connection in a test
// must be allowed to reach explicitly (legacydb refuses loopback by default).
var Loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// Reader is an account made for one test, dropped when the test ends. It holds no
// privilege but logging in until Grant gives it some.
type Reader struct {
	// Name is the role's (PostgreSQL) or user's (MySQL) name.
	Name string
	// DSN is adminDSN with the account's name and password in place of the admin's.
	DSN string

	driver  string
	admin   *sql.DB
	grantee string
}

// NewReader creates an account on the server admin is connected to ("postgres" or
// "mysql"), through adminDSN, and drops it (with its grants) when t ends.
func NewReader(t testing.TB, driver string, admin *sql.DB, adminDSN string) *Reader {
	t.Helper()
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		t.Fatal(err)
	}
	var pw [12]byte
	if _, err := rand.Read(pw[:]); err != nil {
		t.Fatal(err)
	}
	rd := &Reader{Name: "wasmauth_reader_" + hex.EncodeToString(r[:]), driver: driver, admin: admin}
	password := hex.EncodeToString(pw[:])
	switch driver {
	case "postgres":
		rd.grantee = `"` + rd.Name + `"`
		rd.exec(t, "CREATE ROLE "+rd.grantee+" LOGIN PASSWORD '"+password+"'")
		t.Cleanup(func() {
			// DROP OWNED revokes the role's grants in this database; then it can go.
			_, _ = admin.Exec("DROP OWNED BY " + rd.grantee)
			if _, err := admin.Exec("DROP ROLE " + rd.grantee); err != nil {
				t.Errorf("dropping role %s: %v", rd.Name, err)
			}
		})
		rd.DSN = postgresDSN(t, adminDSN, rd.Name, password)
	case "mysql":
		rd.grantee = "'" + rd.Name + "'@'%'"
		rd.exec(t, "CREATE USER "+rd.grantee+" IDENTIFIED BY '"+password+"'")
		t.Cleanup(func() {
			if _, err := admin.Exec("DROP USER " + rd.grantee); err != nil {
				t.Errorf("dropping user %s: %v", rd.Name, err)
			}
		})
		cfg, err := mysql.ParseDSN(adminDSN)
		if err != nil {
			t.Fatal(err)
		}
		cfg.User, cfg.Passwd = rd.Name, password
		rd.DSN = cfg.FormatDSN()
	default:
		t.Fatalf("testdb: no accounts for driver %q", driver)
	}
	return rd
}

// Grant grants the account privileges, such as "SELECT ON users_1234": the statement
// GRANT privileges TO account.
func (rd *Reader) Grant(t testing.TB, privileges string) {
	t.Helper()
	rd.exec(t, "GRANT "+privileges+" TO "+rd.grantee)
}

func (rd *Reader) exec(t testing.TB, stmt string) {
	t.Helper()
	if _, err := rd.admin.Exec(stmt); err != nil {
		t.Fatalf("%s: %v", strings.SplitN(stmt, " IDENTIFIED", 2)[0], err)
	}
}

// postgresDSN replaces the user and password of a URL or keyword/value DSN.
func postgresDSN(t testing.TB, dsn, user, password string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(user, password)
		return u.String()
	}
	// In keyword/value form the last value of a keyword wins.
	return dsn + " user=" + user + " password=" + password
}
