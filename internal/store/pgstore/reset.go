package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// resetTokenRecord is the jsonb of reset_tokens.
type resetTokenRecord struct {
	UserID    string            `json:"user_id,omitempty"`
	Legacy    *legacyUserRecord `json:"legacy,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	ExpiresAt time.Time         `json:"expires_at"`
}

type legacyUserRecord struct {
	ID            string         `json:"id"`
	Email         string         `json:"email,omitempty"`
	Username      string         `json:"username,omitempty"`
	EmailVerified bool           `json:"email_verified,omitempty"`
	Name          string         `json:"name,omitempty"`
	Profile       map[string]any `json:"profile,omitempty"`
}

// PutResetToken stores a reset token until it expires, replacing the
// subject's earlier one in the same statement. Returns auth.ErrNotFound
// for an unknown tenant.
func (s *Store) PutResetToken(ctx context.Context, t *auth.ResetToken) error {
	switch {
	case len(t.Hash) == 0 || !validID(t.Subject):
		return errors.New("pgstore: invalid reset token")
	case t.ExpiresAt.IsZero():
		return errors.New("pgstore: reset token has no expiry")
	case !validID(t.Tenant):
		return auth.ErrNotFound
	}
	rec := &resetTokenRecord{UserID: t.UserID, CreatedAt: t.CreatedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC()}
	if lu := t.Legacy; lu != nil {
		rec.Legacy = &legacyUserRecord{ID: lu.ID, Email: lu.Email, Username: lu.Username, EmailVerified: lu.EmailVerified, Name: lu.Name, Profile: lu.Profile}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("pgstore: encode reset token: %w", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO reset_tokens (tenant_id, token_hash, subject, expires_at, token)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, subject) DO UPDATE SET token_hash = EXCLUDED.token_hash,
			expires_at = EXCLUDED.expires_at, token = EXCLUDED.token`,
		t.Tenant, t.Hash, t.Subject, t.ExpiresAt.UnixNano(), b)
	return mapErr(err)
}

// GetResetToken returns the unexpired token with the hash. Returns
// auth.ErrNotFound.
func (s *Store) GetResetToken(ctx context.Context, tenant string, hash []byte) (*auth.ResetToken, error) {
	if !validID(tenant) || len(hash) == 0 {
		return nil, auth.ErrNotFound
	}
	var subject string
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT subject, token FROM reset_tokens
		WHERE tenant_id = $1 AND token_hash = $2 AND expires_at > $3`, tenant, hash, time.Now().UnixNano()).Scan(&subject, &b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("reset token: %w", auth.ErrNotFound)
	} else if err != nil {
		return nil, mapErr(err)
	}
	var rec resetTokenRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("pgstore: decode reset token: %w", err)
	}
	out := &auth.ResetToken{Tenant: tenant, Hash: append([]byte(nil), hash...), Subject: subject, UserID: rec.UserID,
		CreatedAt: rec.CreatedAt, ExpiresAt: rec.ExpiresAt}
	if lu := rec.Legacy; lu != nil {
		out.Legacy = &auth.LegacyUser{ID: lu.ID, Email: lu.Email, Username: lu.Username, EmailVerified: lu.EmailVerified, Name: lu.Name, Profile: lu.Profile}
	}
	return out, nil
}

// DeleteResetToken removes the token with the hash. Returns
// auth.ErrNotFound.
func (s *Store) DeleteResetToken(ctx context.Context, tenant string, hash []byte) error {
	if !validID(tenant) || len(hash) == 0 {
		return auth.ErrNotFound
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM reset_tokens WHERE tenant_id = $1 AND token_hash = $2", tenant, hash)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("reset token: %w", auth.ErrNotFound)
	}
	return nil
}

// mailRecord is the jsonb of outbox: what does not change between tries.
type mailRecord struct {
	FromName  string    `json:"from_name,omitempty"`
	To        string    `json:"to"`
	Subject   string    `json:"subject"`
	Text      string    `json:"text"`
	HTML      string    `json:"html,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// EnqueueMail stores m in the outbox. Returns auth.ErrNotFound for an
// unknown tenant.
func (s *Store) EnqueueMail(ctx context.Context, m *auth.Mail) error {
	if !validID(m.Tenant) {
		return auth.ErrNotFound
	}
	if m.ID == "" {
		m.ID = uuid.Must(uuid.NewV7()).String()
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now().UTC()
	}
	b, err := json.Marshal(&mailRecord{FromName: m.FromName, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, CreatedAt: m.CreatedAt.UTC()})
	if err != nil {
		return fmt.Errorf("pgstore: encode mail: %w", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO outbox (id, tenant_id, next_attempt, attempts, last_error, mail)
		VALUES ($1, $2, $3, $4, $5, $6)`, m.ID, m.Tenant, m.NextAttempt.UnixNano(), m.Attempts, m.LastError, b)
	return mapErr(err)
}

// DueMail returns up to limit mails due at now, oldest first.
func (s *Store) DueMail(ctx context.Context, now time.Time, limit int) ([]*auth.Mail, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, tenant_id, next_attempt, attempts, last_error, mail FROM outbox
		WHERE next_attempt <= $1 ORDER BY id LIMIT $2`, now.UnixNano(), limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*auth.Mail
	for rows.Next() {
		var m auth.Mail
		var next int64
		var b []byte
		if err := rows.Scan(&m.ID, &m.Tenant, &next, &m.Attempts, &m.LastError, &b); err != nil {
			return nil, mapErr(err)
		}
		var rec mailRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("pgstore: decode mail %q: %w", m.ID, err)
		}
		m.NextAttempt = time.Unix(0, next).UTC()
		m.FromName, m.To, m.Subject, m.Text, m.HTML, m.CreatedAt = rec.FromName, rec.To, rec.Subject, rec.Text, rec.HTML, rec.CreatedAt
		out = append(out, &m)
	}
	return out, mapErr(rows.Err())
}

// UpdateMail stores a mail's Attempts, NextAttempt and LastError. Returns
// auth.ErrNotFound.
func (s *Store) UpdateMail(ctx context.Context, m *auth.Mail) error {
	tag, err := s.pool.Exec(ctx, "UPDATE outbox SET attempts = $2, next_attempt = $3, last_error = $4 WHERE id = $1",
		m.ID, m.Attempts, m.NextAttempt.UnixNano(), m.LastError)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("mail %q: %w", m.ID, auth.ErrNotFound)
	}
	return nil
}

// DeleteMail removes a mail from the outbox. Returns auth.ErrNotFound.
func (s *Store) DeleteMail(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM outbox WHERE id = $1", id)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("mail %q: %w", id, auth.ErrNotFound)
	}
	return nil
}
