package auth

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wasmauth/wasmauth/internal/token"
)

// Audit event types of the OpenID Provider.
const (
	EventAuthorizationGranted = "authorization_granted"
	EventAuthCodeReused       = "authorization_code_reused"
)

// ClientRefreshPrefix starts every refresh token issued to an OpenID Connect
// client. v1's refresh tokens have no prefix, so /oauth/token tells the two
// apart without a lookup, and a token hashed for one family never matches
// the other's.
const ClientRefreshPrefix = "wor_"

// signAccessFor signs a v1 access token for user, issued to clientID (the
// tenant id for v1 logins), with the tenant's first access token key (not
// an ID token key).
func (s *Service) signAccessFor(t *Tenant, u *User, clientID, scope, sessionID string, now time.Time) (string, error) {
	var key *token.Key
	for _, k := range t.SigningKeys {
		if !k.SignsIDTokens() {
			key = &token.Key{ID: k.ID, Algorithm: k.Algorithm, Private: k.Private, CreatedAt: k.CreatedAt}
			break
		}
	}
	if key == nil {
		return "", errors.New("tenant has no access token signing key")
	}
	return s.keys.SignAccess(*key, token.AccessClaims{
		Issuer:    s.Issuer(t.ID),
		Subject:   u.ID,
		Audience:  t.ID,
		ClientID:  clientID,
		SessionID: sessionID,
		Scope:     scope,
		IssuedAt:  now,
		ExpiresAt: now.Add(s.cfg.AccessTTL),
		ID:        uuid.Must(uuid.NewV7()).String(),

		PasswordChangeRequired: u.PasswordChangeRequired,
	})
}

// Keys returns the cache that parses the tenants' keys.
func (s *Service) Keys() *token.KeyCache { return s.keys }

// IDTokenAlgs are the algorithms a tenant signs ID tokens with, RS256
// first: a client picks one with id_token_signed_response_alg.
var IDTokenAlgs = []string{token.RS256, token.ES256, token.EdDSA}

// IDTokenKeys returns the tenant's ID token keys of every algorithm of
// IDTokenAlgs, newest first, making those it lacks (tenants made before ID
// tokens, or before an algorithm, existed).
func (s *Service) IDTokenKeys(ctx context.Context, tenant string) ([]token.Key, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	missing := missingIDTokenAlgs(t)
	if len(missing) == 0 {
		return idTokenKeys(t), nil
	}
	// Made outside UpdateTenant, whose fn may run more than once.
	made := make([]SigningKey, 0, len(missing))
	for _, alg := range missing {
		k, err := token.GenerateKey(alg)
		if err != nil {
			return nil, err
		}
		k.CreatedAt = s.now().UTC()
		made = append(made, idTokenKey(k))
	}
	t, err = s.store.UpdateTenant(ctx, tenant, func(t *Tenant) error {
		for _, k := range made {
			if slices.Contains(missingIDTokenAlgs(t), k.Algorithm) {
				// Appended: the first access key keeps signing access tokens.
				t.SigningKeys = append(t.SigningKeys, k)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rememberTenant(ctx, t)
	return idTokenKeys(t), nil
}

// missingIDTokenAlgs returns the algorithms of IDTokenAlgs the tenant has no
// ID token key for.
func missingIDTokenAlgs(t *Tenant) []string {
	var out []string
	for _, alg := range IDTokenAlgs {
		if !slices.ContainsFunc(t.SigningKeys, func(k SigningKey) bool { return k.SignsIDTokens() && k.Algorithm == alg }) {
			out = append(out, alg)
		}
	}
	return out
}

// idTokenKey marks a new key as an ID token key.
func idTokenKey(k token.Key) SigningKey {
	sk := fromTokenKey(k)
	sk.Use = KeyUseIDToken
	return sk
}

func idTokenKeys(t *Tenant) []token.Key {
	var out []token.Key
	for _, k := range t.SigningKeys {
		if k.SignsIDTokens() {
			out = append(out, token.Key{ID: k.ID, Algorithm: k.Algorithm, Private: k.Private, CreatedAt: k.CreatedAt})
		}
	}
	slices.SortStableFunc(out, func(a, b token.Key) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out
}

// ClientGrant is what a user granted a client: the input of IssueClientTokens.
type ClientGrant struct {
	Tenant   string
	UserID   string
	ClientID string
	Scopes   []string
	AuthTime time.Time
	// AuthRequestID, when set, is the authorization request whose code is
	// exchanged: the session is stored only while the code is unused, and
	// marks it used, in one write (Store.CreateCodeSession).
	AuthRequestID string
}

// ClientTokens are the tokens of a code exchange or refresh.
type ClientTokens struct {
	AccessToken string
	// RefreshToken is empty when the client has no refresh_token grant.
	RefreshToken string
	ExpiresAt    time.Time
	Session      *Session
}

func newClientRefreshToken() (string, []byte, error) {
	tok, _, err := token.NewRefreshToken()
	if err != nil {
		return "", nil, err
	}
	tok = ClientRefreshPrefix + tok
	return tok, token.HashRefreshToken(tok), nil
}

// IssueClientTokens starts a session bound to the grant's client and returns
// its first tokens; the refresh token only when withRefresh is true (the
// session still gets one, which nobody learns, as every session has one).
// With g.AuthRequestID it returns ErrCodeUsed (from the store) when that
// request's code was already exchanged, having stored nothing.
func (s *Service) IssueClientTokens(ctx context.Context, g ClientGrant, withRefresh bool, m Meta) (*ClientTokens, error) {
	t, err := s.Tenant(ctx, g.Tenant)
	if err != nil {
		return nil, err
	}
	refresh, hash, err := newClientRefreshToken()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	sess := &Session{
		ID: uuid.Must(uuid.NewV7()).String(), Tenant: t.ID, UserID: g.UserID,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL),
		ClientID: g.ClientID, Scopes: g.Scopes, AuthTime: g.AuthTime.UTC(),
	}
	if g.AuthRequestID != "" {
		err = s.store.CreateCodeSession(ctx, sess, hash, g.AuthRequestID)
		if errors.Is(err, ErrNotFound) {
			return nil, errInvalidGrant("the code has expired, or its user no longer exists")
		}
	} else {
		err = s.store.CreateSession(ctx, sess, hash)
	}
	if err != nil {
		return nil, err
	}
	u, err := s.storeUser(ctx, t.ID, g.UserID)
	if errors.Is(err, ErrNotFound) {
		return nil, errInvalidGrant("the user no longer exists")
	} else if err != nil {
		return nil, err
	}
	access, err := s.signAccessFor(t, u, g.ClientID, strings.Join(g.Scopes, " "), sess.ID, now)
	if err != nil {
		return nil, err
	}
	if !withRefresh {
		refresh = ""
	}
	m.Actor = g.UserID
	s.audit(t.ID, EventAuthorizationGranted, m, g.UserID, map[string]any{"client_id": g.ClientID})
	return &ClientTokens{AccessToken: access, RefreshToken: refresh, ExpiresAt: now.Add(s.cfg.AccessTTL), Session: sess}, nil
}

// ClientSession returns the session of a client's refresh token, without
// using the token. Returns CodeInvalidGrant for an unknown token or one of
// a v1 login.
func (s *Service) ClientSession(ctx context.Context, tenant, refreshToken string) (*Session, error) {
	if !strings.HasPrefix(refreshToken, ClientRefreshPrefix) || len(refreshToken) > 512 {
		return nil, errInvalidGrant("the refresh token is invalid or expired")
	}
	sess, err := s.store.SessionByRefreshToken(ctx, tenant, token.HashRefreshToken(refreshToken))
	if errors.Is(err, ErrNotFound) || (err == nil && sess.ClientID == "") {
		return nil, errInvalidGrant("the refresh token is invalid or expired")
	}
	return sess, err
}

// RefreshClientTokens rotates a client's refresh token, with v1's reuse
// detection: a token presented again after its rotation revokes its whole
// session. The session must belong to clientID. Returns CodeInvalidGrant.
func (s *Service) RefreshClientTokens(ctx context.Context, tenant, clientID, refreshToken string, m Meta) (*ClientTokens, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if sess, err := s.ClientSession(ctx, tenant, refreshToken); err != nil {
		return nil, err
	} else if sess.ClientID != clientID {
		return nil, errInvalidGrant("the refresh token was issued to another client")
	}
	next, nextHash, err := newClientRefreshToken()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	sess, err := s.store.RotateRefreshToken(ctx, tenant, token.HashRefreshToken(refreshToken), nextHash, now)
	switch {
	case errors.Is(err, ErrRefreshReused):
		s.audit(tenant, EventRefreshTokenReused, m, sess.sessionID(), map[string]any{"client_id": clientID})
		return nil, errInvalidGrant("the refresh token was already used; the session is revoked")
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrSessionEnded):
		return nil, errInvalidGrant("the refresh token is invalid or expired")
	case err != nil:
		return nil, err
	}
	u, err := s.store.GetUser(ctx, tenant, sess.UserID)
	if errors.Is(err, ErrNotFound) {
		return nil, errInvalidGrant("the user no longer exists")
	} else if err != nil {
		return nil, err
	}
	access, err := s.signAccessFor(t, u, clientID, strings.Join(sess.Scopes, " "), sess.ID, now)
	if err != nil {
		return nil, err
	}
	return &ClientTokens{AccessToken: access, RefreshToken: next, ExpiresAt: now.Add(s.cfg.AccessTTL), Session: sess}, nil
}

// RevokeCodeSession revokes the session a reused authorization code was
// exchanged for (RFC 6749 §4.1.2) and audits the reuse.
func (s *Service) RevokeCodeSession(ctx context.Context, tenant, sessionID, clientID string, m Meta) error {
	s.audit(tenant, EventAuthCodeReused, m, sessionID, map[string]any{"client_id": clientID})
	err := s.store.RevokeSession(ctx, tenant, sessionID, s.now().UTC())
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Now returns the service's clock.
func (s *Service) Now() time.Time { return s.now().UTC() }

// AccessTTL returns the lifetime of access tokens.
func (s *Service) AccessTTL() time.Duration { return s.cfg.AccessTTL }
