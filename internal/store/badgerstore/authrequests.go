package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

type authRequestRecord struct {
	ID                  string    `json:"id"`
	ClientID            string    `json:"client_id"`
	RedirectURI         string    `json:"redirect_uri"`
	State               string    `json:"state,omitempty"`
	Nonce               string    `json:"nonce,omitempty"`
	Scopes              []string  `json:"scopes,omitempty"`
	ResponseType        string    `json:"response_type"`
	CodeChallenge       string    `json:"code_challenge,omitempty"`
	CodeChallengeMethod string    `json:"code_challenge_method,omitempty"`
	Prompt              []string  `json:"prompt,omitempty"`
	MaxAge              *uint     `json:"max_age,omitempty"`
	LoginHint           string    `json:"login_hint,omitempty"`
	UserID              string    `json:"user_id,omitempty"`
	AuthTime            time.Time `json:"auth_time,omitzero"`
	CodeHash            []byte    `json:"code_hash,omitempty"`
	CodeExpiresAt       time.Time `json:"code_expires_at,omitzero"`
	SessionID           string    `json:"session_id,omitempty"`
	CreatedAt           time.Time `json:"created_at"`
	ExpiresAt           time.Time `json:"expires_at"`
}

func fromAuthRequest(r *auth.AuthRequest) *authRequestRecord {
	return &authRequestRecord{
		ID: r.ID, ClientID: r.ClientID, RedirectURI: r.RedirectURI, State: r.State, Nonce: r.Nonce,
		Scopes: r.Scopes, ResponseType: r.ResponseType, CodeChallenge: r.CodeChallenge,
		CodeChallengeMethod: r.CodeChallengeMethod, Prompt: r.Prompt, MaxAge: r.MaxAge,
		LoginHint: r.LoginHint, UserID: r.UserID, AuthTime: r.AuthTime.UTC(), CodeHash: r.CodeHash,
		CodeExpiresAt: r.CodeExpiresAt.UTC(), SessionID: r.SessionID,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
	}
}

func (r *authRequestRecord) authRequest(tenant string) *auth.AuthRequest {
	return &auth.AuthRequest{
		ID: r.ID, Tenant: tenant, ClientID: r.ClientID, RedirectURI: r.RedirectURI, State: r.State,
		Nonce: r.Nonce, Scopes: r.Scopes, ResponseType: r.ResponseType, CodeChallenge: r.CodeChallenge,
		CodeChallengeMethod: r.CodeChallengeMethod, Prompt: r.Prompt, MaxAge: r.MaxAge,
		LoginHint: r.LoginHint, UserID: r.UserID, AuthTime: r.AuthTime, CodeHash: r.CodeHash,
		CodeExpiresAt: r.CodeExpiresAt, SessionID: r.SessionID, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
	}
}

// putAuthRequest writes r and its code index, both until r expires.
func putAuthRequest(txn *badger.Txn, tenant string, r *authRequestRecord) error {
	if err := setJSON(txn, key(tenant, kindAuthRequest, r.ID), r, r.ExpiresAt); err != nil {
		return err
	}
	if len(r.CodeHash) == 0 {
		return nil
	}
	return set(txn, key(tenant, kindAuthCode, string(r.CodeHash)), []byte(r.ID), r.ExpiresAt)
}

func getAuthRequest(txn *badger.Txn, tenant, id string, now time.Time) (*authRequestRecord, error) {
	if !validID(tenant) || !validID(id) {
		return nil, auth.ErrNotFound
	}
	var rec authRequestRecord
	if err := getJSON(txn, key(tenant, kindAuthRequest, id), &rec); err != nil {
		return nil, fmt.Errorf("authorization request: %w", err)
	}
	// Badger drops expired keys lazily, to the second; the request's own
	// expiry is exact.
	if !now.Before(rec.ExpiresAt) {
		return nil, fmt.Errorf("authorization request expired: %w", auth.ErrNotFound)
	}
	return &rec, nil
}

// CreateAuthRequest stores a pending authorization request. Returns
// auth.ErrNotFound for an unknown tenant.
func (s *Store) CreateAuthRequest(ctx context.Context, r *auth.AuthRequest) error {
	switch {
	case !validID(r.ID):
		return fmt.Errorf("badgerstore: invalid authorization request id %q", r.ID)
	case r.ExpiresAt.IsZero():
		return errors.New("badgerstore: authorization request has no expiry")
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now().UTC()
	}
	rec := fromAuthRequest(r)
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, r.Tenant); err != nil {
			return err
		}
		if ok, err := exists(txn, key(r.Tenant, kindAuthRequest, r.ID)); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("badgerstore: authorization request %q exists", r.ID)
		}
		return putAuthRequest(txn, r.Tenant, rec)
	})
}

// GetAuthRequest returns an authorization request. Returns auth.ErrNotFound.
func (s *Store) GetAuthRequest(ctx context.Context, tenant, id string) (*auth.AuthRequest, error) {
	var out *auth.AuthRequest
	err := s.view(ctx, func(txn *badger.Txn) error {
		rec, err := getAuthRequest(txn, tenant, id, time.Now())
		if err == nil {
			out = rec.authRequest(tenant)
		}
		return err
	})
	return out, err
}

// AuthRequestByCode returns the authorization request of a code hash.
// Returns auth.ErrNotFound.
func (s *Store) AuthRequestByCode(ctx context.Context, tenant string, codeHash []byte) (*auth.AuthRequest, error) {
	var out *auth.AuthRequest
	err := s.view(ctx, func(txn *badger.Txn) error {
		if !validID(tenant) || len(codeHash) == 0 {
			return auth.ErrNotFound
		}
		id, err := getString(txn, key(tenant, kindAuthCode, string(codeHash)))
		if err != nil {
			return fmt.Errorf("authorization code: %w", err)
		}
		rec, err := getAuthRequest(txn, tenant, id, time.Now())
		if err == nil {
			out = rec.authRequest(tenant)
		}
		return err
	})
	return out, err
}

// UpdateAuthRequest applies fn to the stored request atomically. Returns
// auth.ErrNotFound.
func (s *Store) UpdateAuthRequest(ctx context.Context, tenant, id string, fn func(*auth.AuthRequest) error) (*auth.AuthRequest, error) {
	var out *auth.AuthRequest
	err := s.update(ctx, func(txn *badger.Txn) error {
		old, err := getAuthRequest(txn, tenant, id, time.Now())
		if err != nil {
			return err
		}
		r := old.authRequest(tenant)
		if err := fn(r); err != nil {
			return err
		}
		r.ID, r.Tenant, r.CreatedAt = old.ID, tenant, old.CreatedAt
		if len(old.CodeHash) > 0 && string(old.CodeHash) != string(r.CodeHash) {
			if err := txn.Delete(key(tenant, kindAuthCode, string(old.CodeHash))); err != nil {
				return err
			}
		}
		if err := putAuthRequest(txn, tenant, fromAuthRequest(r)); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
}

// DeleteAuthRequest removes an authorization request and its code index.
// Returns auth.ErrNotFound.
func (s *Store) DeleteAuthRequest(ctx context.Context, tenant, id string) error {
	return s.update(ctx, func(txn *badger.Txn) error {
		rec, err := getAuthRequest(txn, tenant, id, time.Now())
		if err != nil {
			return err
		}
		if len(rec.CodeHash) > 0 {
			if err := txn.Delete(key(tenant, kindAuthCode, string(rec.CodeHash))); err != nil {
				return err
			}
		}
		return txn.Delete(key(tenant, kindAuthRequest, id))
	})
}

// SessionByRefreshToken returns the session of a refresh token, current or
// rotated. Returns auth.ErrNotFound.
func (s *Store) SessionByRefreshToken(ctx context.Context, tenant string, hash []byte) (*auth.Session, error) {
	var out *auth.Session
	err := s.view(ctx, func(txn *badger.Txn) error {
		_, sess, err := lookupRefresh(txn, tenant, hash)
		if err == nil {
			out = sess.session(tenant)
		}
		return err
	})
	return out, err
}

type browserSessionRecord struct {
	UserID    string    `json:"user_id"`
	AuthTime  time.Time `json:"auth_time"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CreateBrowserSession stores a browser session. Returns auth.ErrNotFound
// for an unknown tenant or user.
func (s *Store) CreateBrowserSession(ctx context.Context, b *auth.BrowserSession) error {
	switch {
	case len(b.IDHash) == 0:
		return errors.New("badgerstore: empty browser session id hash")
	case b.ExpiresAt.IsZero():
		return errors.New("badgerstore: browser session has no expiry")
	}
	if b.CreatedAt.IsZero() {
		b.CreatedAt = time.Now().UTC()
	}
	rec := &browserSessionRecord{UserID: b.UserID, AuthTime: b.AuthTime.UTC(), CreatedAt: b.CreatedAt.UTC(), ExpiresAt: b.ExpiresAt.UTC()}
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, b.Tenant); err != nil {
			return err
		}
		if _, err := getUser(txn, b.Tenant, b.UserID); err != nil {
			return err
		}
		return setJSON(txn, key(b.Tenant, kindBrowser, string(b.IDHash)), rec, rec.ExpiresAt)
	})
}

// GetBrowserSession returns a live browser session. Returns auth.ErrNotFound.
func (s *Store) GetBrowserSession(ctx context.Context, tenant string, idHash []byte) (*auth.BrowserSession, error) {
	var out *auth.BrowserSession
	err := s.view(ctx, func(txn *badger.Txn) error {
		if !validID(tenant) || len(idHash) == 0 {
			return auth.ErrNotFound
		}
		var rec browserSessionRecord
		if err := getJSON(txn, key(tenant, kindBrowser, string(idHash)), &rec); err != nil {
			return fmt.Errorf("browser session: %w", err)
		}
		if !time.Now().Before(rec.ExpiresAt) {
			return fmt.Errorf("browser session expired: %w", auth.ErrNotFound)
		}
		out = &auth.BrowserSession{IDHash: idHash, Tenant: tenant, UserID: rec.UserID, AuthTime: rec.AuthTime, CreatedAt: rec.CreatedAt, ExpiresAt: rec.ExpiresAt}
		return nil
	})
	return out, err
}

// DeleteBrowserSession ends a browser session; an unknown one is not an
// error.
func (s *Store) DeleteBrowserSession(ctx context.Context, tenant string, idHash []byte) error {
	if !validID(tenant) || len(idHash) == 0 {
		return nil
	}
	return s.update(ctx, func(txn *badger.Txn) error {
		return txn.Delete(key(tenant, kindBrowser, string(idHash)))
	})
}
