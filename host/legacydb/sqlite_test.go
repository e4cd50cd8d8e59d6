package legacydb

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// makeSQLite creates a SQLite database file at path with one table t.
func makeSQLite(t testing.TB, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('secret of " + filepath.Base(filepath.Dir(path)) + "')"); err != nil {
		t.Fatal(err)
	}
}

func TestSQLitePathConfinement(t *testing.T) {
	root := t.TempDir()
	acme := filepath.Join(root, "acme")
	makeSQLite(t, filepath.Join(acme, "legacy.db"))
	makeSQLite(t, filepath.Join(acme, "sub", "nested.db"))
	makeSQLite(t, filepath.Join(root, "other", "legacy.db"))
	outside := t.TempDir()
	makeSQLite(t, filepath.Join(outside, "x", "server.db"))
	writeFile(t, filepath.Join(acme, "notadb.db"), []byte("this is not a SQLite database, just text"))
	for link, target := range map[string]string{
		"out.db":    filepath.Join(root, "other", "legacy.db"),
		"outdir":    filepath.Join(root, "other"),
		"in.db":     filepath.Join(acme, "legacy.db"),
		"dangle.db": filepath.Join(outside, "missing.db"),
	} {
		if err := os.Symlink(target, filepath.Join(acme, link)); err != nil {
			t.Fatal(err)
		}
	}
	// A root reached through a symlink works as well.
	linkedRoot := filepath.Join(t.TempDir(), "root")
	if err := os.Symlink(root, linkedRoot); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, root, tenant, dsn string
		wantErr                 string // "" for success
	}{
		{"relative", root, "acme", "legacy.db", ""},
		{"dot relative", root, "acme", "./sub/../legacy.db", ""},
		{"nested", root, "acme", "sub/nested.db", ""},
		{"absolute inside", root, "acme", filepath.Join(acme, "legacy.db"), ""},
		{"symlink inside", root, "acme", "in.db", ""},
		{"symlinked root", linkedRoot, "acme", "legacy.db", ""},
		{"absolute inside symlinked root", linkedRoot, "acme", filepath.Join(linkedRoot, "acme", "legacy.db"), ""},
		{"dot dot", root, "acme", "../other/legacy.db", "inside the tenant's folder"},
		{"dot dot deep", root, "acme", "sub/../../other/legacy.db", "inside the tenant's folder"},
		{"absolute other tenant", root, "acme", filepath.Join(root, "other", "legacy.db"), "inside the tenant's folder"},
		{"absolute elsewhere", root, "acme", filepath.Join(outside, "x", "server.db"), "inside the tenant's folder"},
		{"absolute missing elsewhere", root, "acme", "/etc/nonexistent.db", "inside the tenant's folder"},
		{"etc passwd", root, "acme", "/etc/passwd", "inside the tenant's folder"},
		{"symlink out", root, "acme", "out.db", "inside the tenant's folder"},
		{"through symlinked folder", root, "acme", "outdir/legacy.db", "inside the tenant's folder"},
		{"dangling symlink", root, "acme", "dangle.db", "no such SQLite file"},
		{"the folder itself", root, "acme", ".", "inside the tenant's folder"},
		{"the folder absolute", root, "acme", acme, "inside the tenant's folder"},
		{"a folder", root, "acme", "sub", "not a regular file"},
		{"missing", root, "acme", "missing.db", "no such SQLite file"},
		{"not a database", root, "acme", "notadb.db", "not a database"},
		{"file URI", root, "acme", "file:legacy.db", "URIs are not allowed"},
		{"file URI absolute", root, "acme", "file://" + filepath.Join(root, "other", "legacy.db"), "URIs are not allowed"},
		{"query mode rw", root, "acme", "legacy.db?mode=rw", "query parameters are not allowed"},
		{"query vfs", root, "acme", "legacy.db?vfs=memdb", "query parameters are not allowed"},
		{"memory", root, "acme", ":memory:", "no such SQLite file"},
		{"empty", root, "acme", "", "empty"},
		{"NUL", root, "acme", "legacy.db\x00x", "NUL"},
		{"tenant dot dot", root, "..", "legacy.db", "invalid tenant"},
		{"tenant with slash", root, "acme/sub", "nested.db", "invalid tenant"},
		{"tenant empty", root, "", "acme/legacy.db", "invalid tenant"},
		{"unknown tenant", root, "nobody", "legacy.db", "no SQLite folder"},
		{"no root", "", "acme", "legacy.db", "no folder for SQLite files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(context.Background(), Config{Driver: "sqlite", DSN: tt.dsn, SQLiteRoot: tt.root, Tenant: tt.tenant})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer db.Close()
				if got := query(t, db, "SELECT a FROM t"); !strings.Contains(got, "secret of acme") && !strings.Contains(got, "secret of sub") {
					t.Errorf("read %s", got)
				}
				return
			}
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded, want an error")
			}
			var ce *ConnectError
			if !errors.As(err, &ce) || ce.Code() != CodeConnectionFailed {
				t.Fatalf("err = %#v, want a *ConnectError", err)
			}
			if !strings.Contains(ce.Reason, tt.wantErr) {
				t.Errorf("reason %q, want it to contain %q", ce.Reason, tt.wantErr)
			}
			if tt.root != "" && strings.Contains(ce.Reason, root) && !strings.Contains(tt.dsn, root) {
				t.Errorf("reason %q names the server's folder", ce.Reason)
			}
		})
	}
}

func TestSQLiteNeverCreatesFiles(t *testing.T) {
	b := sqliteBackend(t)
	b.cfg.DSN = "new.db"
	if _, err := Open(context.Background(), b.cfg); err == nil {
		t.Fatal("Open of a missing file succeeded")
	}
	if _, err := os.Stat(filepath.Join(b.cfg.SQLiteRoot, "acme", "new.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("new.db exists after Open: %v", err)
	}
}

// TestSQLiteEscapes checks each layer on its own: the authorizer (on the raw pool, without
// the statement guard) and the whole Query path.
func TestSQLiteEscapes(t *testing.T) {
	b := sqliteBackend(t)
	table := usersTable(t, b)
	root := b.cfg.SQLiteRoot
	other := filepath.Join(root, "other", "legacy.db")
	makeSQLite(t, other)
	created := filepath.Join(t.TempDir(), "created.db")
	stmts := []string{
		"ATTACH DATABASE '" + other + "' AS o",
		"ATTACH DATABASE '" + created + "' AS o",
		"ATTACH DATABASE 'file:" + created + "?mode=rwc' AS o",
		"SELECT 1; ATTACH DATABASE '" + other + "' AS o",
		"DETACH DATABASE main",
		"VACUUM INTO '" + created + "'",
		"VACUUM",
		"SELECT load_extension('/nonexistent/ext.so')",
		"SELECT load_extension('" + other + "')",
		"SELECT readfile('/etc/passwd')",
		"SELECT writefile('" + created + "', 'x')",
		"SELECT edit('x')",
		"SELECT fts3_tokenizer('simple')",
		"PRAGMA query_only = 0",
		"PRAGMA writable_schema = ON",
		"CREATE TEMP TABLE tt (a)",
		"CREATE TEMP VIEW tv AS SELECT 1",
		"CREATE VIRTUAL TABLE vt USING fts5(a)",
		"INSERT INTO " + table + " (id, email) VALUES (5, 'e')",
		"ANALYZE",
		"REINDEX",
	}

	t.Run("authorizer", func(t *testing.T) {
		raw, err := openSQLite(b.cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		for _, s := range stmts {
			t.Run(s, func(t *testing.T) {
				rows, err := raw.Query(s)
				if err == nil {
					for rows.Next() {
					}
					err = rows.Err()
					rows.Close()
				}
				if err == nil {
					t.Fatal("succeeded, want an error")
				}
				t.Log(err)
			})
		}
		// What reading needs still works.
		var n int
		if err := raw.QueryRow("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 5) SELECT count(*) FROM c JOIN " + table + " u ON 1").Scan(&n); err != nil || n != 10 {
			t.Errorf("read: %d, %v", n, err)
		}
	})

	t.Run("query", func(t *testing.T) {
		db := openTenant(t, b)
		for _, s := range stmts {
			t.Run(s, func(t *testing.T) {
				got := query(t, db, s)
				if responseError(t, got) == "" {
					t.Errorf("got %s, want an error response", got)
				}
			})
		}
	})

	if _, err := os.Stat(created); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s was created: %v", created, err)
	}
	if n := countRows(t, b, table); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
}

func TestSQLiteIsReadOnlyEvenWithoutAuthorizer(t *testing.T) {
	// The file is opened with mode=ro and query_only: a write fails in SQLite itself.
	b := sqliteBackend(t)
	table := usersTable(t, b)
	path, err := sqlitePath(b.cfg.SQLiteRoot, b.cfg.Tenant, b.cfg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?"+sqliteParams)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("DELETE FROM " + table); err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("DELETE: %v, want a read-only error", err)
	}
	if n := countRows(t, b, table); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
}
