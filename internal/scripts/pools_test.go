package scripts

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/host/legacydb"
	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/runtime"
)

// sqliteTenant creates root/{tenant}/legacy.db with one row and returns its
// connection.
func sqliteTenant(t *testing.T, root, tenant string) *auth.Connection {
	t.Helper()
	dir := filepath.Join(root, tenant)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "legacy.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('row')"); err != nil {
		t.Fatal(err)
	}
	return &auth.Connection{Driver: "sqlite", DSN: "legacy.db"}
}

// query runs one read on db and reports legacydb.ErrClosed as is.
func query(db *legacydb.DB) error {
	resp, err := db.Query(context.Background(), []byte(`{"sql": "SELECT a FROM t"}`), legacydb.Limits{})
	if err == nil && !strings.Contains(string(resp), `"row"`) {
		return errors.New("unexpected answer " + string(resp))
	}
	return err
}

// TestPoolsOutliveTheirTenantsCalls checks that a pool replaced by Connect or
// dropped by Disconnect keeps serving the calls that already hold it, and
// that Close closes it anyway.
func TestPoolsOutliveTheirTenantsCalls(t *testing.T) {
	ctx := context.Background()
	engine, err := runtime.New(ctx, runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close(ctx)
	root := t.TempDir()
	conn := sqliteTenant(t, root, "acme")
	tenant := &auth.Tenant{ID: "acme", Connection: conn}
	m := New(engine, nil, root, nil, slog.New(slog.DiscardHandler))

	open := func() *legacydb.DB {
		t.Helper()
		if err := m.Connect(ctx, "acme", conn); err != nil {
			t.Fatal(err)
		}
		db := m.dbFor(ctx, tenant)
		if db == nil {
			t.Fatal("no pool after Connect")
		}
		return db
	}
	replaced := open()
	current := open()
	if replaced == current {
		t.Fatal("Connect kept the old pool")
	}
	m.Disconnect("acme")
	if db := m.dbFor(ctx, &auth.Tenant{ID: "acme"}); db != nil {
		t.Fatal("a new call got the disconnected pool")
	}
	for name, db := range map[string]*legacydb.DB{"replaced": replaced, "disconnected": current} {
		if err := query(db); err != nil {
			t.Errorf("a call in flight on the %s pool: %v", name, err)
		}
	}
	m.Close()
	for name, db := range map[string]*legacydb.DB{"replaced": replaced, "disconnected": current} {
		if err := query(db); !errors.Is(err, legacydb.ErrClosed) {
			t.Errorf("the %s pool after Close: %v, want ErrClosed", name, err)
		}
	}
}

// TestReconnectFailureIsLogged checks that a call whose tenant's database
// cannot be opened leaves a log line that says why, once per attempt.
func TestReconnectFailureIsLogged(t *testing.T) {
	ctx := context.Background()
	engine, err := runtime.New(ctx, runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close(ctx)
	var buf bytes.Buffer
	m := New(engine, nil, t.TempDir(), nil, slog.New(slog.NewTextHandler(&buf, nil)))
	defer m.Close()
	tenant := &auth.Tenant{ID: "acme", Connection: &auth.Connection{Driver: "sqlite", DSN: "missing.db"}}
	for range 2 {
		if db := m.dbFor(ctx, tenant); db != nil {
			t.Fatal("a pool for a missing file")
		}
	}
	out := buf.String()
	if strings.Count(out, "level=WARN") != 1 || !strings.Contains(out, "tenant=acme") || !strings.Contains(out, "sqlite connection failed") {
		t.Fatalf("log of two calls within reconnectEvery:\n%s", out)
	}
}
