package pgstore_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/store/pgstore"
)

// counter counts the statements and batches sent: each is one round trip.
type counter struct{ n atomic.Int64 }

func (c *counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *counter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *counter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *counter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// TestRoundTrips counts the round trips of the calls on the login, refresh
// and registration paths: one each. A password login is GetTenant, FindUser
// and CreateSession (audit events are written behind, in batches); a
// refresh is GetTenant, RotateRefreshToken and GetUser.
func TestRoundTrips(t *testing.T) {
	c := &counter{}
	st, err := pgstore.Open(t.Context(), scratch(t), pgstore.Options{Logger: slog.New(slog.DiscardHandler), Tracer: c})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	if err := st.CreateTenant(ctx, &auth.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	steps := []struct {
		name string
		call func() error
	}{
		{"CreateUser", func() error {
			return st.CreateUser(ctx, &auth.User{ID: "u-1", Tenant: "acme", Email: "ann@example.com", PasswordHash: "x"})
		}},
		{"GetTenant", func() error { _, err := st.GetTenant(ctx, "acme"); return err }},
		{"FindUser", func() error { _, err := st.FindUser(ctx, "acme", "ann@example.com"); return err }},
		{"CreateSession", func() error {
			return st.CreateSession(ctx, &auth.Session{ID: "s-1", Tenant: "acme", UserID: "u-1", ExpiresAt: now.Add(time.Hour)}, []byte("h0"))
		}},
		{"RotateRefreshToken", func() error {
			_, err := st.RotateRefreshToken(ctx, "acme", []byte("h0"), []byte("h1"), now)
			return err
		}},
		{"GetUser", func() error { _, err := st.GetUser(ctx, "acme", "u-1"); return err }},
		{"AppendAudit", func() error {
			return st.AppendAudit(ctx, &auth.AuditEvent{Tenant: "acme", Type: "a"}, &auth.AuditEvent{Tenant: "acme", Type: "b"})
		}},
	}
	for _, s := range steps {
		before := c.n.Load()
		if err := s.call(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if n := c.n.Load() - before; n != 1 {
			t.Errorf("%s took %d round trips, want 1", s.name, n)
		}
	}
}
