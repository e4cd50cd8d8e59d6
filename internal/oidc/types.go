package oidc

import (
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// client is a registered client as the library sees it.
type client struct {
	c        *auth.Client
	loginURL string
}

var _ op.HasRedirectGlobs = (*client)(nil)

func (c *client) GetID() string                    { return c.c.ID }
func (c *client) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.c.PostLogoutRedirectURIs }

// ApplicationType makes a public client native (loopback redirects on any
// port, RFC 8252) and a confidential one a web client.
func (c *client) ApplicationType() op.ApplicationType {
	if c.c.Type == auth.ClientPublic {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}

// AuthMethod is none for a public client (which must use PKCE) and
// client_secret_basic for a confidential one; the library also takes the
// secret in the form (client_secret_post).
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.c.Type == auth.ClientPublic {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

// ResponseTypes lists the response types that exist, so that the library
// lets them through to CreateAuthRequest, which refuses all but code with
// unsupported_response_type: the server, not the client, lacks them.
func (c *client) ResponseTypes() []oidc.ResponseType { return knownResponseTypes }

var knownResponseTypes = []oidc.ResponseType{oidc.ResponseTypeCode, oidc.ResponseTypeIDToken,
	oidc.ResponseTypeIDTokenOnly, "token", "code id_token", "code token", "code id_token token", "none"}

func (c *client) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, 0, len(c.c.GrantTypes))
	for _, g := range c.c.GrantTypes {
		out = append(out, oidc.GrantType(g))
	}
	return out
}

// LoginURL is the hosted sign-in page of the request.
func (c *client) LoginURL(id string) string { return c.loginURL + "?id=" + url.QueryEscape(id) }

// AccessTokenType is "bearer": the library hands out the token storage
// made, a v1 access token (see tokenCrypto).
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return auth.IDTokenTTL }
func (c *client) DevMode() bool                       { return false }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) IsScopeAllowed(string) bool { return false }

// IDTokenUserinfoClaimsAssertion puts the profile and email claims in the
// ID token itself, for apps that never call userinfo.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }

// RedirectURIGlobs lets a registered loopback redirect URI match on any
// port (RFC 8252 §7.3), for web clients too; the library does it for
// native ones.
func (c *client) RedirectURIGlobs() []string { return loopbackGlobs(c.c.RedirectURIs) }

// PostLogoutRedirectURIGlobs does the same for post-logout redirect URIs.
func (c *client) PostLogoutRedirectURIGlobs() []string {
	return loopbackGlobs(c.c.PostLogoutRedirectURIs)
}

// loopbackGlobs returns, for each http loopback URI, a pattern that matches
// it on any port.
func loopbackGlobs(uris []string) []string {
	var out []string
	for _, raw := range uris {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "http" {
			continue
		}
		host := u.Hostname()
		if host != "localhost" && host != "127.0.0.1" && host != "::1" {
			continue
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		rest := u.EscapedPath()
		if u.RawQuery != "" {
			rest += "?" + u.RawQuery
		}
		out = append(out, "http://"+globEscape(host)+":*"+globEscape(rest))
	}
	return out
}

// globEscape escapes the pattern characters of doublestar, the library's
// glob matcher.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\*?[]{}`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// authRequest is a stored authorization request as the library sees it.
type authRequest struct{ *auth.AuthRequest }

var _ op.AuthRequest = (*authRequest)(nil)

func (r *authRequest) GetID() string          { return r.ID }
func (r *authRequest) GetACR() string         { return "" }
func (r *authRequest) GetAMR() []string       { return []string{"pwd"} }
func (r *authRequest) GetAudience() []string  { return []string{r.ClientID} }
func (r *authRequest) GetAuthTime() time.Time { return r.AuthTime }
func (r *authRequest) GetClientID() string    { return r.ClientID }
func (r *authRequest) GetNonce() string       { return r.Nonce }
func (r *authRequest) GetRedirectURI() string { return r.RedirectURI }
func (r *authRequest) GetScopes() []string    { return r.Scopes }
func (r *authRequest) GetState() string       { return r.State }
func (r *authRequest) GetSubject() string     { return r.UserID }
func (r *authRequest) Done() bool             { return r.UserID != "" }
func (r *authRequest) GetResponseType() oidc.ResponseType {
	return oidc.ResponseType(r.ResponseType)
}
func (r *authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseModeQuery }
func (r *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if r.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: oidc.CodeChallengeMethod(r.CodeChallengeMethod)}
}

// refreshRequest is a client session found by its refresh token.
type refreshRequest struct{ sess *auth.Session }

var _ op.RefreshTokenRequest = (*refreshRequest)(nil)

func (r *refreshRequest) GetAMR() []string                 { return []string{"pwd"} }
func (r *refreshRequest) GetAudience() []string            { return []string{r.sess.ClientID} }
func (r *refreshRequest) GetAuthTime() time.Time           { return r.sess.AuthTime }
func (r *refreshRequest) GetClientID() string              { return r.sess.ClientID }
func (r *refreshRequest) GetScopes() []string              { return r.sess.Scopes }
func (r *refreshRequest) GetSubject() string               { return r.sess.UserID }
func (r *refreshRequest) SetCurrentScopes(scopes []string) { r.sess.Scopes = scopes }

// tokenCrypto is the library's AES-GCM crypto, except for access tokens:
// the library "encrypts" the token id storage returned into the token the
// client gets, and storage's ids are the signed v1 access tokens
// themselves, which it hands out unchanged. Codes are still encrypted.
type tokenCrypto struct{ op.Crypto }

func newTokenCrypto(key [32]byte) tokenCrypto {
	return tokenCrypto{op.NewAES256GCMCrypto(key, "")}
}

// Encrypt returns the access token of "jwt:{token}:{subject}", and the
// library's encryption of anything else.
func (c tokenCrypto) Encrypt(s string) (string, error) {
	if rest, ok := strings.CutPrefix(s, accessTokenID); ok {
		tok, _, _ := strings.Cut(rest, ":")
		return tok, nil
	}
	return c.Crypto.Encrypt(s)
}
