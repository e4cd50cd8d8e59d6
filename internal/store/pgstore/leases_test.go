package pgstore_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/cluster"
	"github.com/wasmauth/wasmauth/internal/store/pgstore"
)

// twoNodes opens two stores on one database, as two servers would.
func twoNodes(t *testing.T) (dsn string, a, b *pgstore.Store) {
	dsn = scratch(t)
	open := func() *pgstore.Store {
		st, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	return dsn, open(), open()
}

// TestLeasesOncePerCluster: a job that two nodes start at the same time
// runs once; a lease is free again after its release, and after the
// connection of the node holding it dies.
func TestLeasesOncePerCluster(t *testing.T) {
	dsn, a, b := twoNodes(t)
	var runs atomic.Int64
	job := func(context.Context) error {
		runs.Add(1)
		time.Sleep(300 * time.Millisecond) // long enough for the other node to try
		return nil
	}
	var wg sync.WaitGroup
	for _, st := range []*pgstore.Store{a, b, a, b} {
		wg.Go(func() {
			if _, err := cluster.Once(t.Context(), st.Leases(), "mail:outbox", job); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := runs.Load(); n != 1 {
		t.Fatalf("the job ran %d times on two nodes started together, want once", n)
	}

	la, err := a.Leases().TryAcquire(t.Context(), "drain:acme")
	if err != nil || la == nil {
		t.Fatalf("a: %v, %v", la, err)
	}
	if lb, _ := b.Leases().TryAcquire(t.Context(), "drain:acme"); lb != nil {
		t.Fatal("b took a lease a holds")
	}
	la.Release()
	lb, err := b.Leases().TryAcquire(t.Context(), "drain:acme")
	if err != nil || lb == nil {
		t.Fatalf("b after a released: %v, %v", lb, err)
	}

	// b's lease connection dies (as when its node is killed): its lease
	// ends, and a can take it.
	admin, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	// Only this database's: pg_locks lists the whole server's, and other
	// tests may hold leases on it meanwhile.
	if _, err := admin.Exec(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`); err != nil {
		t.Fatal(err)
	}
	select {
	case <-lb.Context().Done():
	case <-time.After(10 * time.Second):
		t.Fatal("b's lease goes on 10 s after its connection died")
	}
	la, err = a.Leases().TryAcquire(t.Context(), "drain:acme")
	if err != nil || la == nil {
		t.Fatalf("a after b's connection died: %v, %v", la, err)
	}
	la.Release()
}
