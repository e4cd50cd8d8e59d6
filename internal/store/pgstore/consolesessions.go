package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// CreateConsoleSession stores cs, and drops the sessions expired at its
// CreatedAt (sign-ins are rare, and the index on expires_at makes it one
// short range).
func (s *Store) CreateConsoleSession(ctx context.Context, cs *auth.ConsoleSession) error {
	if err := checkTime("console session", cs.ExpiresAt); err != nil {
		return err
	}
	b := &pgx.Batch{}
	b.Queue("DELETE FROM console_sessions WHERE expires_at <= $1", cs.CreatedAt.UnixNano())
	b.Queue(`INSERT INTO console_sessions (id_hash, operator, tenant_id, key_hash, csrf, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, cs.IDHash, cs.Principal.Operator, cs.Principal.Tenant,
		cs.KeyHash, cs.CSRF, cs.CreatedAt.UnixNano(), cs.ExpiresAt.UnixNano())
	return mapErr(s.pool.SendBatch(ctx, b).Close())
}

// GetConsoleSession returns the session with idHash unless it expired at
// now. Returns auth.ErrNotFound.
func (s *Store) GetConsoleSession(ctx context.Context, idHash []byte, now time.Time) (*auth.ConsoleSession, error) {
	cs := &auth.ConsoleSession{IDHash: append([]byte(nil), idHash...)}
	err := s.pool.QueryRow(ctx, `SELECT operator, tenant_id, key_hash, csrf, created_at, expires_at
		FROM console_sessions WHERE id_hash = $1 AND expires_at > $2`, idHash, now.UnixNano()).Scan(
		&cs.Principal.Operator, &cs.Principal.Tenant, &cs.KeyHash, &cs.CSRF, ns(&cs.CreatedAt), ns(&cs.ExpiresAt))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, auth.ErrNotFound
	}
	if err != nil {
		return nil, mapErr(err)
	}
	return cs, nil
}

// ExtendConsoleSession sets the session's expiry. Returns auth.ErrNotFound
// when it is gone.
func (s *Store) ExtendConsoleSession(ctx context.Context, idHash []byte, expiresAt time.Time) error {
	tag, err := s.pool.Exec(ctx, "UPDATE console_sessions SET expires_at = $2 WHERE id_hash = $1", idHash, expiresAt.UnixNano())
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return auth.ErrNotFound
	}
	return nil
}

// DeleteConsoleSession removes the session; absent is not an error.
func (s *Store) DeleteConsoleSession(ctx context.Context, idHash []byte) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM console_sessions WHERE id_hash = $1", idHash)
	return mapErr(err)
}
