package pgstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/store/pgstore"
	"github.com/wasmauth/wasmauth/internal/store/storetest"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// scratch returns the URL of a scratch database for this test run.
func scratch(t testing.TB) string {
	t.Helper()
	return testserver.ScratchPostgres(t, "wasmauth_storetest")
}

// schemas hands out fresh schemas in one scratch database: each store of
// the suite lives in its own, which is much faster than a database each.
type schemas struct {
	base string
	n    atomic.Int64
}

func (s *schemas) open(tb testing.TB) *pgstore.Store {
	tb.Helper()
	name := fmt.Sprintf("store_%d", s.n.Add(1))
	conn, err := pgx.Connect(tb.Context(), s.base)
	if err != nil {
		tb.Fatal(err)
	}
	_, err = conn.Exec(tb.Context(), "CREATE SCHEMA "+name)
	conn.Close(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	u, _ := url.Parse(s.base)
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return open(tb, u.String())
}

func open(tb testing.TB, dsn string) *pgstore.Store {
	tb.Helper()
	st, err := pgstore.Open(tb.Context(), dsn, pgstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return st
}

func TestConformance(t *testing.T) {
	s := &schemas{base: scratch(t)}
	storetest.Run(t, func(t *testing.T) auth.Store { return s.open(t) })
}

// TestConcurrentOpen opens four stores on one fresh database at once, as
// four nodes starting together do: all succeed and the schema is applied
// once.
func TestConcurrentOpen(t *testing.T) {
	dsn := scratch(t)
	const nodes = 4
	var wg sync.WaitGroup
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := pgstore.Open(t.Context(), dsn, pgstore.Options{})
			if err == nil {
				err = st.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: Open: %v", i, err)
		}
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var applied int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if want := int(pgstore.SchemaVersion()); applied != want {
		t.Fatalf("%d migrations recorded after %d concurrent starts, want %d (each once)", applied, nodes, want)
	}
}

// TestNewerSchema refuses to start on a database whose schema a newer
// binary has upgraded.
func TestNewerSchema(t *testing.T) {
	dsn := scratch(t)
	open(t, dsn).Close()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	next := pgstore.SchemaVersion() + 1
	if _, err := conn.Exec(t.Context(), "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)", next); err != nil {
		t.Fatal(err)
	}
	st, err := pgstore.Open(t.Context(), dsn, pgstore.Options{})
	if err == nil {
		st.Close()
		t.Fatal("Open on a newer schema: no error")
	}
	if !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("Open on a newer schema: %v", err)
	}
}

// TestLogCap keeps about LogCap lines per tenant, the newest.
func TestLogCap(t *testing.T) {
	dsn := scratch(t)
	st, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Logger: slog.New(slog.DiscardHandler), LogCap: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	if err := st.CreateTenant(ctx, &auth.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if err := st.AppendLogs(ctx, "acme", []auth.LogEntry{{Level: "info", Message: fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM script_logs").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n > 11 {
		t.Fatalf("%d log lines stored with a cap of 10", n)
	}
	logs, err := st.ListLogs(ctx, "acme", 1)
	if err != nil || len(logs) != 1 || logs[0].Message != "29" {
		t.Fatalf("newest line after trimming: %v, %v", logs, err)
	}
}
