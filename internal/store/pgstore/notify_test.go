package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// TestWatch: a tenant deleted through one store is announced to another
// store's Watch within 2 s; when Watch's connection is killed it listens
// again and calls resync.
func TestWatch(t *testing.T) {
	dsn := scratch(t)
	a, b := open(t, dsn), open(t, dsn)
	ctx, cancel := context.WithCancel(t.Context())
	deleted, resynced := make(chan string, 4), make(chan struct{}, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Watch(ctx, func(id string) { deleted <- id }, func() { resynced <- struct{}{} })
	}()
	defer func() { cancel(); <-done }()

	admin, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	// Watch listens once its connection shows in pg_stat_activity.
	waitFor(t, "Watch to listen", func() bool {
		var n int
		_ = admin.QueryRow(t.Context(), "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()").Scan(&n)
		return n == 1
	})

	for _, id := range []string{"gone", "stays"} {
		if err := b.CreateTenant(t.Context(), &auth.Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.DeleteTenant(t.Context(), "gone"); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-deleted:
		if id != "gone" {
			t.Fatalf("deleted %q, want gone", id)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the deletion did not reach the other store within 2 s")
	}

	if _, err := admin.Exec(t.Context(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-resynced:
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not listen again and resync within 10 s of losing its connection")
	}
	if err := b.DeleteTenant(t.Context(), "stays"); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-deleted:
		if id != "stays" {
			t.Fatalf("deleted %q, want stays", id)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a deletion after the reconnection did not arrive within 2 s")
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWatchEndsWithStore: Watch returns when its store is closed.
func TestWatchEndsWithStore(t *testing.T) {
	st := open(t, scratch(t))
	done := make(chan struct{})
	go func() {
		defer close(done)
		st.Watch(context.Background(), func(string) {}, func() {})
	}()
	time.Sleep(100 * time.Millisecond)
	st.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Watch still running 10 s after Close")
	}
}
