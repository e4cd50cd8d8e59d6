package pgstore_test

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// TestUpgradeTimes upgrades a database written by schema version 1, whose
// times are timestamptz, and reads its times back through the store: each
// is the instant it was (at the microseconds version 1 kept), NULL still
// the zero time.
func TestUpgradeTimes(t *testing.T) {
	dsn := scratch(t)
	ctx := t.Context()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatalf("schema version 1: %v", err)
	}
	created := time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)
	expires := created.Add(time.Hour)
	for _, q := range []string{
		`INSERT INTO tenants (id, created_at) VALUES ('acme', '2025-03-14T15:09:26.535897Z')`,
		`INSERT INTO users (tenant_id, id, email, source, created_at, updated_at)
			VALUES ('acme', 'u-1', 'one@example.com', 'local', '2025-03-14T15:09:26.535897Z', NULL)`,
		`INSERT INTO sessions (tenant_id, id, user_id, created_at, expires_at)
			VALUES ('acme', 's-1', 'u-1', '2025-03-14T15:09:26.535897Z', '2025-03-14T16:09:26.535897Z')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st := open(t, dsn)
	tn, err := st.GetTenant(ctx, "acme")
	if err != nil || !tn.CreatedAt.Equal(created) {
		t.Fatalf("tenant after the upgrade: %+v, %v; want created at %v", tn, err, created)
	}
	u, err := st.GetUser(ctx, "acme", "u-1")
	if err != nil || !u.CreatedAt.Equal(created) || !u.UpdatedAt.IsZero() {
		t.Fatalf("user after the upgrade: %+v, %v", u, err)
	}
	sess, err := st.GetSession(ctx, "acme", "s-1")
	if err != nil || !sess.ExpiresAt.Equal(expires) || !sess.RevokedAt.IsZero() {
		t.Fatalf("session after the upgrade: %+v, %v", sess, err)
	}
	if err := st.PutLoginTiming(ctx, "acme", &auth.LoginTiming{}); err != nil {
		t.Fatalf("PutLoginTiming after the upgrade: %v", err)
	}
	// Down to version 1 and up again keeps the instants too.
	if _, err := p.DownTo(context.Background(), 1); err != nil {
		t.Fatalf("down to version 1: %v", err)
	}
	var back time.Time
	if err := db.QueryRowContext(ctx, "SELECT expires_at FROM sessions").Scan(&back); err != nil || !back.Equal(expires) {
		t.Fatalf("expires_at after going down: %v, %v; want %v", back, err, expires)
	}
}
