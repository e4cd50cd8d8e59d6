package badgerstore

import (
	"bytes"
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

// CreateAuthRequest keeps a pending authorization request, in memory (see
// pendingRequests). Returns auth.ErrNotFound for an unknown tenant.
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
	if err := s.view(ctx, func(txn *badger.Txn) error { return requireTenant(txn, r.Tenant) }); err != nil {
		return err
	}
	return s.pending.add(r.Tenant, fromAuthRequest(r), time.Now())
}

// GetAuthRequest returns an authorization request. Returns auth.ErrNotFound.
func (s *Store) GetAuthRequest(ctx context.Context, tenant, id string) (*auth.AuthRequest, error) {
	var out *auth.AuthRequest
	err := s.pending.with(ctx, tenant, id, func(e *pendingEntry) error {
		out = cloneRecord(e.rec).authRequest(tenant)
		return nil
	})
	return out, err
}

// AuthRequestByCode returns the authorization request of a code hash.
// Returns auth.ErrNotFound.
func (s *Store) AuthRequestByCode(ctx context.Context, tenant string, codeHash []byte) (*auth.AuthRequest, error) {
	id := s.pending.idOfCode(tenant, codeHash)
	if len(codeHash) == 0 || id == "" {
		return nil, fmt.Errorf("authorization code: %w", auth.ErrNotFound)
	}
	var out *auth.AuthRequest
	err := s.pending.with(ctx, tenant, id, func(e *pendingEntry) error {
		if !bytes.Equal(e.rec.CodeHash, codeHash) {
			return fmt.Errorf("authorization code: %w", auth.ErrNotFound)
		}
		out = cloneRecord(e.rec).authRequest(tenant)
		return nil
	})
	return out, err
}

// UpdateAuthRequest applies fn to the request atomically. Returns
// auth.ErrNotFound.
func (s *Store) UpdateAuthRequest(ctx context.Context, tenant, id string, fn func(*auth.AuthRequest) error) (*auth.AuthRequest, error) {
	var out *auth.AuthRequest
	err := s.pending.with(ctx, tenant, id, func(e *pendingEntry) error {
		old := e.rec
		r := cloneRecord(old).authRequest(tenant)
		if err := fn(r); err != nil {
			return err
		}
		r.ID, r.Tenant, r.CreatedAt = old.ID, tenant, old.CreatedAt
		s.pending.removeLocked(tenant, old)
		e.rec = cloneRecord(fromAuthRequest(r))
		s.pending.byID[pendingKey{tenant, id}] = e
		s.pending.indexLocked(tenant, e.rec)
		out = r
		return nil
	})
	return out, err
}

// DeleteAuthRequest removes an authorization request and its code index.
// Returns auth.ErrNotFound.
func (s *Store) DeleteAuthRequest(ctx context.Context, tenant, id string) error {
	return s.pending.with(ctx, tenant, id, func(e *pendingEntry) error {
		s.pending.removeLocked(tenant, e.rec)
		return nil
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
