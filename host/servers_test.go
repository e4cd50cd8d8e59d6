package host_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/wasmauth/wasmauth/host"
	"github.com/wasmauth/wasmauth/host/legacydb"
	"github.com/wasmauth/wasmauth/internal/testdb"
)

// server is a database server the db_query tests run against.
type server struct {
	name, driver, sqlDriver, env, dsn string
	placeholder                       string
	sleep                             string
}

var servers = []server{
	{"postgres", "postgres", "pgx", "LEGACYDB_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "$1", "SELECT pg_sleep(10)"},
	{"mariadb", "mysql", "mysql", "LEGACYDB_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test", "?", "SELECT SLEEP(10)"},
}

// open returns an admin handle and a function that opens the tenant connection,
// which may read table and nothing else, skipping (or, with CI=true, failing) when
// the server is not reachable.
func (s server) open(t *testing.T) (*sql.DB, func(table string) *legacydb.DB) {
	t.Helper()
	dsn := s.dsn
	if v := os.Getenv(s.env); v != "" {
		dsn = v
	}
	admin, err := sql.Open(s.sqlDriver, dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		msg := fmt.Sprintf("%s is not reachable (%v); start it or set %s to run this test", s.name, err, s.env)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { admin.Close() })
	reader := testdb.NewReader(t, s.driver, admin, dsn)
	return admin, func(table string) *legacydb.DB {
		reader.Grant(t, "SELECT ON "+table)
		db, err := legacydb.Open(context.Background(), legacydb.Config{Driver: s.driver, DSN: reader.DSN, Tenant: "acme", Networks: testdb.Loopback})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}

func TestDBQueryServers(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			admin, connect := s.open(t)
			suffix := make([]byte, 4)
			rand.Read(suffix)
			table := "host_users_" + hex.EncodeToString(suffix)
			for _, stmt := range []string{
				"CREATE TABLE " + table + " (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL)",
				"INSERT INTO " + table + " VALUES (1, 'alice@example.com')",
			} {
				if _, err := admin.Exec(stmt); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() { admin.Exec("DROP TABLE " + table) })
			db := connect(table)

			p := newProbe(t, db, host.Limits{}, host.Config{}, "")
			n, resp := query(p, `{"sql": "SELECT id, email FROM `+table+` WHERE email = `+s.placeholder+`", "args": ["alice@example.com"]}`)
			if n <= 0 || resp != `{"columns":["id","email"],"rows":[[1,"alice@example.com"]]}` {
				t.Fatalf("db_query = %d, %s", n, resp)
			}
			n, resp = query(p, `{"sql": "DELETE FROM `+table+`"}`)
			if n <= 0 || !strings.HasPrefix(resp, `{"error":`) {
				t.Fatalf("a write gave %d, %s; want an {\"error\": ...} result", n, resp)
			}
			var count int
			if err := admin.QueryRow("SELECT count(*) FROM " + table).Scan(&count); err != nil || count != 1 {
				t.Fatalf("after the refused write: %d rows, %v", count, err)
			}

			ctx, cancel := context.WithTimeout(p.ctx, 200*time.Millisecond)
			defer cancel()
			p.ctx = ctx
			slow := `{"sql": "` + s.sleep + `"}`
			p.write(0, []byte(slow))
			_, err := p.try("db_query", 0, uint64(len(slow)))
			var de *host.DeadlineError
			if !errors.As(err, &de) {
				t.Fatalf("slow query: err = %v, want a DeadlineError", err)
			}
		})
	}
}
