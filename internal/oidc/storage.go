package oidc

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Lifetimes of the provider's records.
const (
	// authRequestTTL bounds the time from /authorize to a signed-in user.
	authRequestTTL = 15 * time.Minute
	// codeTTL is how long an authorization code works (the contract: ≤ 60 s).
	codeTTL = 60 * time.Second
)

// errNotSupported answers the library's calls for features wasmauth does
// not offer (JWT profile grants, introspection).
var errNotSupported = errors.New("oidc: not supported")

// storage is the tenant's records behind zitadel/oidc's op.Storage.
type storage struct {
	p      *Provider
	tenant string
	issuer string
}

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
	_ op.CanTerminateSessionFromRequest = (*storage)(nil)
)

// randomID returns 256 random bits, base64url.
func randomID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateAuthRequest stores a validated authorization request. The library
// has checked the client, redirect URI, scopes and response type; wasmauth
// adds the OAuth 2.1 rules: PKCE with S256 only, required for public
// clients, and the query response mode only. A request that the browser's
// live session answers (see tenantHandler.authorize) is not stored here.
func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	c, err := s.p.svc.Client(ctx, s.tenant, req.ClientID)
	if err != nil {
		return nil, oidc.ErrInvalidRequestRedirectURI().WithDescription("unknown client").WithParent(err)
	}
	switch {
	case req.ResponseType != oidc.ResponseTypeCode:
		return nil, &oidc.Error{ErrorType: "unsupported_response_type", Description: "only response_type=code is supported"}
	case req.ResponseMode != "" && req.ResponseMode != oidc.ResponseModeQuery:
		return nil, oidc.ErrInvalidRequest().WithDescription("only response_mode=query is supported")
	case req.CodeChallenge == "" && c.Type == auth.ClientPublic:
		return nil, oidc.ErrInvalidRequest().WithDescription("a public client must send a PKCE code_challenge (S256)")
	case req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	scopes := []string(req.Scopes)
	// A client with the refresh_token grant gets a refresh token with every
	// code exchange; the library hands one out for offline_access.
	if c.HasGrant(auth.GrantRefreshToken) && !slices.Contains(scopes, oidc.ScopeOfflineAccess) {
		scopes = append(scopes, oidc.ScopeOfflineAccess)
	}
	now := s.p.svc.Now()
	r := &auth.AuthRequest{
		ID: randomID(), Tenant: s.tenant, ClientID: c.ID, RedirectURI: req.RedirectURI,
		State: req.State, Nonce: req.Nonce, Scopes: scopes, ResponseType: string(req.ResponseType),
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod),
		Prompt: req.Prompt, MaxAge: req.MaxAge, LoginHint: req.LoginHint,
		CreatedAt: now, ExpiresAt: now.Add(authRequestTTL),
	}
	// A live browser session that answers the request: the handler answers
	// at once, and SaveAuthCode stores the request with its code.
	if live, _ := ctx.Value(ssoKey{}).(*sso); live != nil && !s.p.needsLogin(r, live.b) {
		live.ar = r
		return &authRequest{r}, nil
	}
	if err := s.p.records.CreateAuthRequest(ctx, r); err != nil {
		return nil, err
	}
	return &authRequest{r}, nil
}

// AuthRequestByID returns a pending request.
func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := s.p.records.GetAuthRequest(ctx, s.tenant, id)
	if err != nil {
		return nil, err
	}
	return &authRequest{r}, nil
}

// AuthRequestByCode returns the request of a live, unused code. A code used
// a second time revokes the session of its first use (RFC 6749 §4.1.2).
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.p.records.AuthRequestByCode(ctx, s.tenant, auth.HashSecret(code))
	if err != nil {
		return nil, err
	}
	if r.SessionID != "" {
		if err := s.p.svc.RevokeCodeSession(ctx, s.tenant, r.SessionID, r.ClientID, metaOf(ctx)); err != nil {
			return nil, err
		}
		return nil, oidc.ErrInvalidGrant().WithDescription("the code was already used; the tokens issued for it are revoked")
	}
	if !s.p.svc.Now().Before(r.CodeExpiresAt) {
		return nil, oidc.ErrInvalidGrant().WithDescription("the code has expired")
	}
	return &authRequest{r}, nil
}

// SaveAuthCode stores the hash of the request's code; it works for codeTTL,
// and the request is kept as long, so that a second use is recognised. A
// request gets one code only.
//
// When the person has just signed in (complete), the user is stored with
// the code, in the same write; a request answered by single sign-on at
// /authorize, not stored yet, is stored whole with them.
func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	now := s.p.svc.Now()
	in, _ := ctx.Value(signedInKey{}).(signedIn)
	give := func(r *auth.AuthRequest) error {
		if in.requestID == id && in.userID != "" && (r.UserID == "" || r.UserID == in.userID) {
			r.UserID, r.AuthTime = in.userID, in.authTime
		}
		if len(r.CodeHash) > 0 || r.UserID == "" {
			return oidc.ErrInvalidRequest().WithDescription("this authorization request cannot give out a code")
		}
		r.CodeHash = auth.HashSecret(code)
		r.CodeExpiresAt = now.Add(codeTTL)
		r.ExpiresAt = r.CodeExpiresAt
		return nil
	}
	if in.unsaved != nil && in.requestID == id {
		r := *in.unsaved
		if err := give(&r); err != nil {
			return err
		}
		return s.p.records.CreateAuthRequest(ctx, &r)
	}
	_, err := s.p.records.UpdateAuthRequest(ctx, s.tenant, id, give)
	return err
}

// DeleteAuthRequest is called once the code has been exchanged (the
// library's only call, after CreateAccessAndRefreshTokens or
// CreateAccessToken marked the request with its session in the session's
// own write). The request stays, so that a second use of the code is
// recognised, and the store drops it when the code expires: nothing to do.
func (s *storage) DeleteAuthRequest(context.Context, string) error { return nil }

// accessTokenID prefixes the token "ids" storage hands the library: they
// are the signed access tokens themselves (see tokenCrypto).
const accessTokenID = "jwt:"

// CreateAccessToken serves a code exchange of a client without the
// refresh_token grant.
func (s *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	id, _, exp, err := s.CreateAccessAndRefreshTokens(ctx, req, "")
	return id, exp, err
}

// CreateAccessAndRefreshTokens issues the tokens of a code exchange (a new
// session bound to the client) or of a refresh (v1's rotation with reuse
// detection).
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, currentRefresh string) (string, string, time.Time, error) {
	m := metaOf(ctx)
	switch r := req.(type) {
	case *authRequest:
		c, err := s.p.svc.Client(ctx, s.tenant, r.ClientID)
		if err != nil {
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithParent(err)
		}
		// The session is stored and the code marked used in one write; of
		// two concurrent exchanges one finds it used, stores nothing, and
		// revokes the session of the other.
		ts, err := s.p.svc.IssueClientTokens(ctx, auth.ClientGrant{
			Tenant: s.tenant, UserID: r.UserID, ClientID: r.ClientID, Scopes: r.Scopes, AuthTime: r.AuthTime,
			AuthRequestID: r.ID,
		}, c.HasGrant(auth.GrantRefreshToken), m)
		if errors.Is(err, auth.ErrCodeUsed) {
			if cur, gerr := s.p.records.GetAuthRequest(ctx, s.tenant, r.ID); gerr == nil && cur.SessionID != "" {
				_ = s.p.svc.RevokeCodeSession(ctx, s.tenant, cur.SessionID, r.ClientID, m)
			}
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("the code was already used; the tokens issued for it are revoked").WithParent(err)
		}
		if err != nil {
			return "", "", time.Time{}, asOAuthError(err)
		}
		return accessTokenID + ts.AccessToken, ts.RefreshToken, ts.ExpiresAt, nil
	case *refreshRequest:
		ts, err := s.p.svc.RefreshClientTokens(ctx, s.tenant, r.sess.ClientID, currentRefresh, m)
		if err != nil {
			return "", "", time.Time{}, asOAuthError(err)
		}
		return accessTokenID + ts.AccessToken, ts.RefreshToken, ts.ExpiresAt, nil
	}
	return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
}

// asOAuthError keeps the code of an invalid_grant from the service.
func asOAuthError(err error) error {
	if auth.ErrorCode(err) == auth.CodeInvalidGrant {
		return oidc.ErrInvalidGrant().WithDescription("%s", auth.ErrorMessage(err))
	}
	return err
}

// TokenRequestByRefreshToken returns the session of a client's refresh
// token; the library then checks that it belongs to the authenticated
// client.
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, refresh string) (op.RefreshTokenRequest, error) {
	sess, err := s.p.svc.ClientSession(ctx, s.tenant, refresh)
	if err != nil {
		return nil, asOAuthError(err)
	}
	return &refreshRequest{sess: sess}, nil
}

// TerminateSession is not used: TerminateSessionFromRequest ends sessions.
func (s *storage) TerminateSession(context.Context, string, string) error { return errNotSupported }

// RevokeToken is not used: v1's /oauth/revoke serves revocation.
func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrUnsupportedGrantType()
}

// GetRefreshTokenInfo is not used: v1's /oauth/revoke serves revocation.
func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

// signingKey is an ID token key as the library signs with it.
type signingKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key any
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

// tokenClientKey carries the client id of a token request (as sent, before
// the library authenticates it) to SigningKey.
type tokenClientKey struct{}

// idTokenAlg returns the ID token algorithm of the token request's client:
// its id_token_signed_response_alg, RS256 by default.
func (s *storage) idTokenAlg(ctx context.Context) string {
	if id, _ := ctx.Value(tokenClientKey{}).(string); id != "" {
		if c, err := s.p.svc.Client(ctx, s.tenant, id); err == nil && c.IDTokenAlg != "" {
			return c.IDTokenAlg
		}
	}
	return auth.DefaultIDTokenAlg
}

// SigningKey returns the tenant's newest key of the client's ID token
// algorithm. The library calls it only once it has authenticated the
// client, so the id the request named is the client's.
func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	keys, err := s.p.svc.IDTokenKeys(ctx, s.tenant)
	if err != nil {
		return nil, err
	}
	alg := s.idTokenAlg(ctx)
	for _, k := range keys {
		if k.Algorithm != alg {
			continue
		}
		signer, err := s.p.svc.Keys().Signer(k)
		if err != nil {
			return nil, err
		}
		return &signingKey{id: k.ID, alg: jose.SignatureAlgorithm(alg), key: signer}, nil
	}
	return nil, fmt.Errorf("oidc: tenant %q has no %s ID token key", s.tenant, alg)
}

// SignatureAlgorithms lists the ID token algorithms, RS256 first.
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	out := make([]jose.SignatureAlgorithm, len(auth.IDTokenAlgs))
	for i, a := range auth.IDTokenAlgs {
		out[i] = jose.SignatureAlgorithm(a)
	}
	return out, nil
}

// publicKey is a public key the library verifies id_token_hint with.
type publicKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key any
}

func (k *publicKey) ID() string                         { return k.id }
func (k *publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k *publicKey) Use() string                        { return "sig" }
func (k *publicKey) Key() any                           { return k.key }

// KeySet returns the public ID token keys, for id_token_hint at logout.
func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	keys, err := s.p.svc.IDTokenKeys(ctx, s.tenant)
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, 0, len(keys))
	for _, k := range keys {
		pub, err := s.p.svc.Keys().Public(k)
		if err != nil {
			return nil, err
		}
		out = append(out, &publicKey{id: k.ID, alg: jose.SignatureAlgorithm(k.Algorithm), key: pub})
	}
	return out, nil
}

// GetClientByClientID returns a client; an unknown one is the library's
// invalid_client (token endpoint) or error page (authorize).
func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.p.svc.Client(ctx, s.tenant, id)
	if err != nil {
		return nil, err
	}
	return &client{c: c, loginURL: s.issuer + pathSignIn}, nil
}

// AuthorizeClientIDSecret checks a confidential client's secret.
func (s *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	c, err := s.p.svc.Client(ctx, s.tenant, id)
	if err != nil {
		return err
	}
	if !c.CheckSecret(secret) {
		return errors.New("wrong client secret")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in the library; see
// SetUserinfoFromRequest.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest puts the user's claims of the granted scopes in
// the ID token.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	u, err := s.p.svc.GetUser(ctx, s.tenant, req.GetSubject())
	if err != nil {
		return oidc.ErrInvalidGrant().WithDescription("the user no longer exists").WithParent(err)
	}
	info.Subject = u.ID
	if slices.Contains(scopes, oidc.ScopeEmail) && u.Email != "" {
		info.Email = u.Email
		info.AppendClaims("email_verified", u.EmailVerified)
	}
	if u.PasswordChangeRequired {
		info.AppendClaims("password_change_required", true)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.PreferredUsername = u.Username
		info.Name = u.Name
		if !u.UpdatedAt.IsZero() {
			info.UpdatedAt = oidc.FromTime(u.UpdatedAt)
		}
	}
	return nil
}

// SetUserinfoFromToken is not used: v1's /userinfo serves userinfo.
func (s *storage) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string, string) error {
	return errNotSupported
}

// SetIntrospectionFromToken is not used: there is no introspection endpoint.
func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errNotSupported
}

// GetPrivateClaimsFromScopes adds nothing: access tokens are v1's.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID is not used: clients do not sign JWTs.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotSupported
}

// ValidateJWTProfileScopes is not used: there is no JWT profile grant.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errNotSupported
}

// Health reports whether the store is usable.
func (s *storage) Health(ctx context.Context) error { return s.p.records.Ping(ctx) }
