package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// testConsoleSessions: console sessions are found by the hash of their id
// until they expire, extended, and deleted. They use the real clock, since
// a backend may drop them by wall time.
func testConsoleSessions(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "acme")
	now := time.Now().UTC().Truncate(time.Microsecond)
	hash := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
	op := &auth.ConsoleSession{IDHash: hash("op"), Principal: auth.Principal{Operator: true}, KeyHash: hash("operator token"),
		CSRF: "csrf-op", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	ten := &auth.ConsoleSession{IDHash: hash("acme"), Principal: auth.Principal{Tenant: "acme"}, KeyHash: hash("wak_acme.x"),
		CSRF: "csrf-acme", CreatedAt: now, ExpiresAt: now.Add(2 * time.Hour)}
	for _, cs := range []*auth.ConsoleSession{op, ten} {
		if err := s.CreateConsoleSession(ctx, cs); err != nil {
			t.Fatalf("CreateConsoleSession: %v", err)
		}
	}
	get := func(idHash []byte, at time.Time) (*auth.ConsoleSession, error) {
		return s.GetConsoleSession(ctx, idHash, at)
	}
	for _, cs := range []*auth.ConsoleSession{op, ten} {
		got, err := get(cs.IDHash, now)
		if err != nil {
			t.Fatalf("GetConsoleSession: %v", err)
		}
		same(t, "console session", got, cs)
	}
	_, err := get(hash("nobody"), now)
	wantErr(t, "GetConsoleSession of an unknown id", err, auth.ErrNotFound)
	_, err = get(op.IDHash, op.ExpiresAt)
	wantErr(t, "GetConsoleSession at its expiry", err, auth.ErrNotFound)
	if got, err := get(op.IDHash, op.ExpiresAt.Add(-time.Nanosecond)); err != nil || got.CSRF != op.CSRF {
		t.Fatalf("GetConsoleSession just before its expiry: %v, %v", got, err)
	}

	// Extended, it lives on past its old expiry.
	later := now.Add(90 * time.Minute)
	wantErr(t, "ExtendConsoleSession", s.ExtendConsoleSession(ctx, op.IDHash, later), nil)
	got, err := get(op.IDHash, op.ExpiresAt)
	if err != nil || !got.ExpiresAt.Equal(later) {
		t.Fatalf("after ExtendConsoleSession: %+v, %v; want expiry %v", got, err, later)
	}
	wantErr(t, "ExtendConsoleSession of an unknown id", s.ExtendConsoleSession(ctx, hash("nobody"), later), auth.ErrNotFound)

	// Deleted: gone, and deleting again is no error.
	wantErr(t, "DeleteConsoleSession", s.DeleteConsoleSession(ctx, op.IDHash), nil)
	_, err = get(op.IDHash, now)
	wantErr(t, "GetConsoleSession after delete", err, auth.ErrNotFound)
	wantErr(t, "DeleteConsoleSession again", s.DeleteConsoleSession(ctx, op.IDHash), nil)
	wantErr(t, "ExtendConsoleSession after delete", s.ExtendConsoleSession(ctx, op.IDHash, later), auth.ErrNotFound)
	if _, err := get(ten.IDHash, now); err != nil {
		t.Fatalf("the other session after a delete: %v", err)
	}

	// An expired session does not come back, and a new one still goes in.
	past := &auth.ConsoleSession{IDHash: hash("past"), Principal: auth.Principal{Tenant: "acme"}, KeyHash: hash("k"),
		CSRF: "c", CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}
	wantErr(t, "CreateConsoleSession of an expired session", s.CreateConsoleSession(ctx, past), nil)
	_, err = get(past.IDHash, now)
	wantErr(t, "GetConsoleSession of an expired session", err, auth.ErrNotFound)
}
