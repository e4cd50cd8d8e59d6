package auth

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/wasmauth/wasmauth/internal/token"
)

// issue starts a session for u and returns its first tokens.
func (s *Service) issue(ctx context.Context, t *Tenant, u *User) (*TokenSet, error) {
	refresh, hash, err := token.NewRefreshToken()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	sess := &Session{
		ID:        uuid.Must(uuid.NewV7()).String(),
		Tenant:    t.ID,
		UserID:    u.ID,
		CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.SessionTTL),
	}
	if err := s.store.CreateSession(ctx, sess, hash); err != nil {
		return nil, err
	}
	access, err := s.signAccess(t, u, sess.ID, now)
	if err != nil {
		return nil, err
	}
	return &TokenSet{AccessToken: access, ExpiresIn: int(s.cfg.AccessTTL / time.Second), RefreshToken: refresh, User: u}, nil
}

func (s *Service) signAccess(t *Tenant, u *User, sessionID string, now time.Time) (string, error) {
	return s.signAccessFor(t, u, t.ID, "openid profile email", sessionID, now)
}

func errInvalidGrant(msg string) error {
	return Errorf(CodeInvalidGrant, "%s", msg)
}

// Refresh exchanges a refresh token for new tokens, rotating it. A token
// presented again after its rotation revokes its whole session. Returns
// CodeInvalidGrant.
func (s *Service) Refresh(ctx context.Context, tenant, refreshToken string, m Meta) (*TokenSet, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if refreshToken == "" {
		return nil, Errorf(CodeInvalidRequest, "refresh_token is required")
	}
	if len(refreshToken) > 512 {
		return nil, errInvalidGrant("the refresh token is invalid or expired")
	}
	next, nextHash, err := token.NewRefreshToken()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	sess, err := s.store.RotateRefreshToken(ctx, tenant, token.HashRefreshToken(refreshToken), nextHash, now)
	switch {
	case errors.Is(err, ErrRefreshReused):
		s.audit(tenant, EventRefreshTokenReused, m, sess.sessionID(), nil)
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
	access, err := s.signAccess(t, u, sess.ID, now)
	if err != nil {
		return nil, err
	}
	return &TokenSet{AccessToken: access, ExpiresIn: int(s.cfg.AccessTTL / time.Second), RefreshToken: next, User: u}, nil
}

func (sess *Session) sessionID() string {
	if sess == nil {
		return ""
	}
	return sess.ID
}

// Revoke ends the session of a refresh token or of an access token
// (RFC 7009). An unknown or invalid token is not an error.
func (s *Service) Revoke(ctx context.Context, tenant, tok string) error {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return err
	}
	if tok == "" {
		return Errorf(CodeInvalidRequest, "token is required")
	}
	now := s.now().UTC()
	if claims, err := s.keys.VerifyAccess(signingKeys(t), tok, s.Issuer(tenant), tenant, now); err == nil {
		if err := s.store.RevokeSession(ctx, tenant, claims.SessionID, now); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		return nil
	}
	return s.store.RevokeRefreshToken(ctx, tenant, token.HashRefreshToken(tok), now)
}

// Access is an authenticated access token.
type Access struct {
	Tenant  *Tenant
	User    *User
	Session *Session
}

// Authorize checks a bearer access token of tenant: signature, issuer,
// audience, expiry, and that its session is still active and its user exists.
// Returns CodeUnauthorized.
func (s *Service) Authorize(ctx context.Context, tenant, bearer string) (*Access, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	invalid := Errorf(CodeUnauthorized, "the access token is invalid or expired")
	now := s.now().UTC()
	claims, err := s.keys.VerifyAccess(signingKeys(t), bearer, s.Issuer(tenant), tenant, now)
	if err != nil {
		return nil, invalid
	}
	sess, err := s.store.GetSession(ctx, tenant, claims.SessionID)
	if err != nil || !sess.Active(now) || sess.UserID != claims.Subject {
		return nil, invalid
	}
	u, err := s.store.GetUser(ctx, tenant, claims.Subject)
	if err != nil {
		return nil, invalid
	}
	return &Access{Tenant: t, User: u, Session: sess}, nil
}

// UserInfo returns the OpenID Connect claims of the access token's user.
func (s *Service) UserInfo(ctx context.Context, tenant, bearer string) (map[string]any, error) {
	a, err := s.Authorize(ctx, tenant, bearer)
	if err != nil {
		return nil, err
	}
	u := a.User
	claims := map[string]any{"sub": u.ID}
	if u.Email != "" {
		claims["email"] = u.Email
		claims["email_verified"] = u.EmailVerified
	}
	if u.Username != "" {
		claims["preferred_username"] = u.Username
	}
	if u.Name != "" {
		claims["name"] = u.Name
	}
	if u.PasswordChangeRequired {
		claims["password_change_required"] = true
	}
	if !u.UpdatedAt.IsZero() {
		claims["updated_at"] = u.UpdatedAt.Unix()
	}
	return claims, nil
}
