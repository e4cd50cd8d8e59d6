package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/google/uuid"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// The kinds of a tenant's password reset tokens: the token by its hash,
// and the hash of each subject's current token.
const (
	kindResetToken   = "pr"
	kindResetSubject = "ps"
)

// mailPrefix is the prefix of the outbox, outside every tenant's prefix so
// the sender scans one range; keys are "M", sep and the time-ordered id.
var mailPrefix = []byte("M" + sep)

type legacyUserRecord struct {
	ID            string         `json:"id"`
	Email         string         `json:"email,omitempty"`
	Username      string         `json:"username,omitempty"`
	EmailVerified bool           `json:"email_verified,omitempty"`
	Name          string         `json:"name,omitempty"`
	Profile       map[string]any `json:"profile,omitempty"`
}

type resetTokenRecord struct {
	Subject   string            `json:"subject"`
	UserID    string            `json:"user_id,omitempty"`
	Legacy    *legacyUserRecord `json:"legacy,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	ExpiresAt time.Time         `json:"expires_at"`
}

// PutResetToken stores a reset token until it expires, replacing the
// subject's earlier one. Returns auth.ErrNotFound for an unknown tenant.
func (s *Store) PutResetToken(ctx context.Context, t *auth.ResetToken) error {
	switch {
	case len(t.Hash) == 0 || !validID(t.Subject):
		return fmt.Errorf("badgerstore: invalid reset token")
	case t.ExpiresAt.IsZero():
		return errors.New("badgerstore: reset token has no expiry")
	}
	rec := &resetTokenRecord{Subject: t.Subject, UserID: t.UserID, CreatedAt: t.CreatedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC()}
	if lu := t.Legacy; lu != nil {
		rec.Legacy = &legacyUserRecord{ID: lu.ID, Email: lu.Email, Username: lu.Username, EmailVerified: lu.EmailVerified, Name: lu.Name, Profile: lu.Profile}
	}
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, t.Tenant); err != nil {
			return err
		}
		sk := key(t.Tenant, kindResetSubject, t.Subject)
		if old, err := getString(txn, sk); err == nil {
			if err := txn.Delete(key(t.Tenant, kindResetToken, old)); err != nil {
				return err
			}
		} else if !errors.Is(err, auth.ErrNotFound) {
			return err
		}
		if err := setJSON(txn, key(t.Tenant, kindResetToken, string(t.Hash)), rec, rec.ExpiresAt); err != nil {
			return err
		}
		return set(txn, sk, t.Hash, rec.ExpiresAt)
	})
}

func getResetToken(txn *badger.Txn, tenant string, hash []byte) (*resetTokenRecord, error) {
	if !validID(tenant) || len(hash) == 0 {
		return nil, auth.ErrNotFound
	}
	var rec resetTokenRecord
	if err := getJSON(txn, key(tenant, kindResetToken, string(hash)), &rec); err != nil {
		return nil, fmt.Errorf("reset token: %w", err)
	}
	return &rec, nil
}

// GetResetToken returns the unexpired token with the hash. Returns
// auth.ErrNotFound.
func (s *Store) GetResetToken(ctx context.Context, tenant string, hash []byte) (*auth.ResetToken, error) {
	var out *auth.ResetToken
	err := s.view(ctx, func(txn *badger.Txn) error {
		rec, err := getResetToken(txn, tenant, hash)
		if err != nil {
			return err
		}
		// Badger drops expired keys lazily, to the second.
		if !time.Now().Before(rec.ExpiresAt) {
			return fmt.Errorf("reset token expired: %w", auth.ErrNotFound)
		}
		out = &auth.ResetToken{Tenant: tenant, Hash: append([]byte(nil), hash...), Subject: rec.Subject, UserID: rec.UserID,
			CreatedAt: rec.CreatedAt, ExpiresAt: rec.ExpiresAt}
		if lu := rec.Legacy; lu != nil {
			out.Legacy = &auth.LegacyUser{ID: lu.ID, Email: lu.Email, Username: lu.Username, EmailVerified: lu.EmailVerified, Name: lu.Name, Profile: lu.Profile}
		}
		return nil
	})
	return out, err
}

// DeleteResetToken removes the token with the hash, and its subject's
// index when it still names it. Returns auth.ErrNotFound.
func (s *Store) DeleteResetToken(ctx context.Context, tenant string, hash []byte) error {
	return s.update(ctx, func(txn *badger.Txn) error {
		rec, err := getResetToken(txn, tenant, hash)
		if err != nil {
			return err
		}
		sk := key(tenant, kindResetSubject, rec.Subject)
		if cur, err := getString(txn, sk); err == nil && cur == string(hash) {
			if err := txn.Delete(sk); err != nil {
				return err
			}
		}
		return txn.Delete(key(tenant, kindResetToken, string(hash)))
	})
}

type mailRecord struct {
	Tenant      string    `json:"tenant"`
	FromName    string    `json:"from_name,omitempty"`
	To          string    `json:"to"`
	Subject     string    `json:"subject"`
	Text        string    `json:"text"`
	HTML        string    `json:"html,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	NextAttempt time.Time `json:"next_attempt"`
	Attempts    int       `json:"attempts,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
}

func mailKey(id string) []byte { return append(append([]byte(nil), mailPrefix...), id...) }

// EnqueueMail stores m in the outbox. Returns auth.ErrNotFound for an
// unknown tenant.
func (s *Store) EnqueueMail(ctx context.Context, m *auth.Mail) error {
	if m.ID == "" {
		m.ID = uuid.Must(uuid.NewV7()).String()
	}
	if !validID(m.ID) {
		return fmt.Errorf("badgerstore: invalid mail id %q", m.ID)
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now().UTC()
	}
	rec := &mailRecord{Tenant: m.Tenant, FromName: m.FromName, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		CreatedAt: m.CreatedAt.UTC(), NextAttempt: m.NextAttempt.UTC(), Attempts: m.Attempts, LastError: m.LastError}
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, m.Tenant); err != nil {
			return err
		}
		return setJSON(txn, mailKey(m.ID), rec, time.Time{})
	})
}

// DueMail returns up to limit mails due at now, oldest first.
func (s *Store) DueMail(ctx context.Context, now time.Time, limit int) ([]*auth.Mail, error) {
	var out []*auth.Mail
	err := s.view(ctx, func(txn *badger.Txn) error {
		return scan(txn, mailPrefix, nil, true, func(item *badger.Item) (bool, error) {
			var rec mailRecord
			if err := item.Value(func(b []byte) error { return decode(b, &rec) }); err != nil {
				return false, err
			}
			if !rec.NextAttempt.After(now) {
				out = append(out, &auth.Mail{ID: string(item.Key()[len(mailPrefix):]), Tenant: rec.Tenant, FromName: rec.FromName,
					To: rec.To, Subject: rec.Subject, Text: rec.Text, HTML: rec.HTML, CreatedAt: rec.CreatedAt,
					NextAttempt: rec.NextAttempt, Attempts: rec.Attempts, LastError: rec.LastError})
			}
			return len(out) < limit, nil
		})
	})
	return out, err
}

// UpdateMail stores a mail's Attempts, NextAttempt and LastError. Returns
// auth.ErrNotFound.
func (s *Store) UpdateMail(ctx context.Context, m *auth.Mail) error {
	if !validID(m.ID) {
		return auth.ErrNotFound
	}
	return s.update(ctx, func(txn *badger.Txn) error {
		var rec mailRecord
		if err := getJSON(txn, mailKey(m.ID), &rec); err != nil {
			return fmt.Errorf("mail %q: %w", m.ID, err)
		}
		rec.Attempts, rec.NextAttempt, rec.LastError = m.Attempts, m.NextAttempt.UTC(), m.LastError
		return setJSON(txn, mailKey(m.ID), &rec, time.Time{})
	})
}

// DeleteMail removes a mail from the outbox. Returns auth.ErrNotFound.
func (s *Store) DeleteMail(ctx context.Context, id string) error {
	if !validID(id) {
		return auth.ErrNotFound
	}
	return s.update(ctx, func(txn *badger.Txn) error {
		if ok, err := exists(txn, mailKey(id)); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("mail %q: %w", id, auth.ErrNotFound)
		}
		return txn.Delete(mailKey(id))
	})
}

// deleteTenantMailLocked removes the tenant's mails from the outbox, which
// lies outside the tenant's prefix, in transactions of up to maxLogBatch
// keys. The caller holds s.mu and has deleted the tenant, so no mail of it
// is added meanwhile.
func (s *Store) deleteTenantMailLocked(ctx context.Context, tenant string) error {
	var from []byte
	for {
		var batch [][]byte
		n := 0
		err := s.db.View(func(txn *badger.Txn) error {
			return scan(txn, mailPrefix, from, true, func(item *badger.Item) (bool, error) {
				n++
				from = append(item.KeyCopy(nil), 0)
				var rec mailRecord
				if err := item.Value(func(b []byte) error { return decode(b, &rec) }); err != nil {
					return false, err
				}
				if rec.Tenant == tenant {
					batch = append(batch, item.KeyCopy(nil))
				}
				return n < maxLogBatch, nil
			})
		})
		if err != nil {
			return err
		}
		if len(batch) > 0 {
			err = s.updateLocked(ctx, func(txn *badger.Txn) error {
				for _, k := range batch {
					if err := txn.Delete(k); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if n < maxLogBatch {
			return nil
		}
	}
}
