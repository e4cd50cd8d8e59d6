package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// CreateSession stores a session with its first refresh token's hash, in one
// statement. It fills in CreatedAt when zero. Returns auth.ErrNotFound for
// an unknown tenant or user (the foreign key to users says so).
func (s *Store) CreateSession(ctx context.Context, sess *auth.Session, refreshHash []byte) error {
	if err := checkNewSession(sess, refreshHash); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `WITH s AS (`+insertSession+` VALUES ($1, $2, $3, $4, $5, $6, $8, $9, $10) RETURNING tenant_id, id)
	INSERT INTO refresh_tokens (tenant_id, hash, session_id) SELECT tenant_id, $7, id FROM s`, sessionArgs(sess, refreshHash)...)
	return mapErr(err)
}

// CreateCodeSession stores a session and marks the authorization request
// whose code it is exchanged for used, in one statement: the request's
// update takes its row lock, and a concurrent exchange of the same code,
// on any node, waits for it and then finds session_id set. Returns
// auth.ErrCodeUsed when the request already has a session, auth.ErrNotFound
// when it is unknown or expired.
func (s *Store) CreateCodeSession(ctx context.Context, sess *auth.Session, refreshHash []byte, authRequestID string) error {
	if err := checkNewSession(sess, refreshHash); err != nil {
		return err
	}
	if !validID(authRequestID) {
		return auth.ErrNotFound
	}
	now := time.Now().UnixNano()
	tag, err := s.pool.Exec(ctx, `WITH a AS (
		UPDATE auth_requests SET request = jsonb_set(request, '{session_id}', to_jsonb($2::text))
		WHERE tenant_id = $1 AND id = $11 AND expires_at > $12 AND coalesce(request->>'session_id', '') = ''
		RETURNING tenant_id),
	s AS (`+insertSession+` SELECT $1, $2, $3, $4::bigint, $5::bigint, $6::bigint, $8, $9::text[], $10::bigint FROM a RETURNING tenant_id, id)
	INSERT INTO refresh_tokens (tenant_id, hash, session_id) SELECT tenant_id, $7, id FROM s`,
		append(sessionArgs(sess, refreshHash), authRequestID, now)...)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	// Nothing stored: say why.
	r, err := scanAuthRequest(s.pool.QueryRow(ctx, `SELECT id, request FROM auth_requests
		WHERE tenant_id = $1 AND id = $2 AND expires_at > $3`, sess.Tenant, authRequestID, now), sess.Tenant)
	switch {
	case err != nil:
		return fmt.Errorf("authorization request %q: %w", authRequestID, err)
	case r.SessionID != "":
		return auth.ErrCodeUsed
	}
	return fmt.Errorf("pgstore: the session of authorization request %q was not stored", authRequestID)
}

// insertSession starts the insert of a session; sessionArgs are its values
// ($1-$6, $8-$10) and the refresh token hash ($7).
const insertSession = `INSERT INTO sessions (tenant_id, id, user_id, created_at, expires_at, revoked_at, client_id, scopes, auth_time)`

func sessionArgs(sess *auth.Session, refreshHash []byte) []any {
	return []any{sess.Tenant, sess.ID, sess.UserID, nanos(sess.CreatedAt), nanos(sess.ExpiresAt), nanos(sess.RevokedAt), refreshHash,
		sess.ClientID, nullSlice(sess.Scopes), nanos(sess.AuthTime)}
}

// checkNewSession checks a new session, filling in CreatedAt when zero.
func checkNewSession(sess *auth.Session, refreshHash []byte) error {
	switch {
	case !validID(sess.ID):
		return fmt.Errorf("pgstore: invalid session id %q", sess.ID)
	case !validID(sess.UserID):
		return fmt.Errorf("pgstore: invalid user id %q", sess.UserID)
	case len(refreshHash) == 0:
		return errors.New("pgstore: empty refresh token hash")
	case sess.ExpiresAt.IsZero():
		return errors.New("pgstore: session has no expiry")
	case !validID(sess.Tenant):
		return auth.ErrNotFound
	}
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = time.Now().UTC()
	}
	return nil
}

const sessionColumns = "id, user_id, created_at, expires_at, revoked_at, client_id, scopes, auth_time"

func scanSession(row pgx.Row, tenant string, extra ...any) (*auth.Session, error) {
	sess := &auth.Session{Tenant: tenant}
	dest := append([]any{&sess.ID, &sess.UserID, ns(&sess.CreatedAt), ns(&sess.ExpiresAt), ns(&sess.RevokedAt),
		&sess.ClientID, &sess.Scopes, ns(&sess.AuthTime)}, extra...)
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, auth.ErrNotFound
		}
		return nil, mapErr(err)
	}
	return sess, nil
}

// GetSession returns a session. Returns auth.ErrNotFound.
func (s *Store) GetSession(ctx context.Context, tenant, id string) (*auth.Session, error) {
	if !validID(tenant) || !validID(id) {
		return nil, auth.ErrNotFound
	}
	sess, err := scanSession(s.pool.QueryRow(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE tenant_id = $1 AND id = $2", tenant, id), tenant)
	if err != nil {
		return nil, fmt.Errorf("session %q: %w", id, err)
	}
	return sess, nil
}

// RotateRefreshToken exchanges the refresh token with hash oldHash for one
// with newHash and returns the session, in one statement (one round trip).
// The statement locks the token's and the session's rows first; a
// concurrent rotation of the same token waits, then reads the rows as the
// winner left them, finds the token rotated and revokes the session. So of
// concurrent rotations exactly one succeeds. Returns auth.ErrNotFound for
// an unknown token, auth.ErrSessionEnded for a revoked or expired session,
// and auth.ErrRefreshReused for a token already rotated, after revoking its
// session (returned too, for the audit).
func (s *Store) RotateRefreshToken(ctx context.Context, tenant string, oldHash, newHash []byte, now time.Time) (*auth.Session, error) {
	if len(newHash) == 0 {
		return nil, errors.New("pgstore: empty refresh token hash")
	}
	if !validID(tenant) || len(oldHash) == 0 {
		return nil, auth.ErrNotFound
	}
	var reused, rotated bool
	sess, err := scanSession(s.pool.QueryRow(ctx, `WITH cur AS (
		SELECT s.id, s.user_id, s.created_at, s.expires_at, s.revoked_at, s.client_id, s.scopes, s.auth_time, r.rotated
		FROM refresh_tokens r JOIN sessions s ON s.tenant_id = r.tenant_id AND s.id = r.session_id
		WHERE r.tenant_id = $1 AND r.hash = $2
		FOR UPDATE
	), rot AS (
		UPDATE refresh_tokens r SET rotated = true FROM cur
		WHERE r.tenant_id = $1 AND r.hash = $2
			AND NOT cur.rotated AND cur.revoked_at IS NULL AND cur.expires_at > $4
		RETURNING r.session_id
	), ins AS (
		INSERT INTO refresh_tokens (tenant_id, hash, session_id) SELECT $1, $3, session_id FROM rot
	), rev AS (
		UPDATE sessions s SET revoked_at = $4 FROM cur
		WHERE cur.rotated AND cur.revoked_at IS NULL AND s.tenant_id = $1 AND s.id = cur.id
	)
	SELECT id, user_id, created_at, expires_at, revoked_at, client_id, scopes, auth_time, rotated, EXISTS (SELECT 1 FROM rot) FROM cur`,
		tenant, oldHash, newHash, now.UnixNano()), tenant, &reused, &rotated)
	switch {
	case err != nil:
		return nil, fmt.Errorf("refresh token: %w", err)
	case reused:
		if sess.RevokedAt.IsZero() {
			sess.RevokedAt = now.UTC()
		}
		return sess, auth.ErrRefreshReused
	case !rotated:
		return nil, auth.ErrSessionEnded
	}
	return sess, nil
}

// RevokeRefreshToken revokes the session of a refresh token. An unknown
// token is not an error.
func (s *Store) RevokeRefreshToken(ctx context.Context, tenant string, hash []byte, now time.Time) error {
	if !validID(tenant) || len(hash) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE sessions s SET revoked_at = $3 FROM refresh_tokens r
		WHERE r.tenant_id = $1 AND r.hash = $2 AND s.tenant_id = r.tenant_id AND s.id = r.session_id
		AND s.revoked_at IS NULL`, tenant, hash, now.UnixNano())
	return mapErr(err)
}

// RevokeSession revokes one session; an already revoked one keeps its time.
// Returns auth.ErrNotFound.
func (s *Store) RevokeSession(ctx context.Context, tenant, id string, now time.Time) error {
	if !validID(tenant) || !validID(id) {
		return auth.ErrNotFound
	}
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET revoked_at = coalesce(revoked_at, $3)
		WHERE tenant_id = $1 AND id = $2`, tenant, id, now.UnixNano())
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("session %q: %w", id, auth.ErrNotFound)
	}
	return nil
}

// RevokeUserSessions revokes every session of the user except keep (which
// may be empty), in one statement.
func (s *Store) RevokeUserSessions(ctx context.Context, tenant, userID, keep string, now time.Time) error {
	if !validID(tenant) || !validID(userID) || !validText(keep) {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE sessions SET revoked_at = $4
		WHERE tenant_id = $1 AND user_id = $2 AND id <> $3 AND revoked_at IS NULL`, tenant, userID, keep, now.UnixNano())
	return mapErr(err)
}
