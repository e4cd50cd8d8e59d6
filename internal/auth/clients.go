package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Client types.
const (
	ClientPublic       = "public"
	ClientConfidential = "confidential"
)

// Grant types a client may be given.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
)

// DefaultIDTokenAlg signs ID tokens unless a client asks for another
// algorithm (OpenID Connect Discovery 1.0 §3 requires RS256).
const DefaultIDTokenAlg = "RS256"

// Audit event types of client administration.
const (
	EventClientCreated       = "client_created"
	EventClientUpdated       = "client_updated"
	EventClientDeleted       = "client_deleted"
	EventClientSecretRotated = "client_secret_rotated"
)

// Limits on a client's fields.
const (
	maxClientName   = 200
	maxRedirectURIs = 32
	maxRedirectURI  = 2000
)

// Client is an OpenID Connect relying party registered with a tenant.
type Client struct {
	ID     string
	Tenant string
	Name   string
	// Type is ClientPublic or ClientConfidential.
	Type string
	// SecretHash is the SHA-256 of a confidential client's secret.
	SecretHash             []byte
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	// GrantTypes holds GrantAuthorizationCode and maybe GrantRefreshToken.
	GrantTypes []string
	// IDTokenAlg signs the client's ID tokens (DefaultIDTokenAlg).
	IDTokenAlg string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// HasGrant reports whether the client may use grant.
func (c *Client) HasGrant(grant string) bool { return slices.Contains(c.GrantTypes, grant) }

// CheckSecret reports, in constant time, whether secret is the client's.
// A public client has no secret and never matches.
func (c *Client) CheckSecret(secret string) bool {
	if c.Type != ClientConfidential || len(c.SecretHash) == 0 || secret == "" {
		return false
	}
	return subtle.ConstantTimeCompare(HashSecret(secret), c.SecretHash) == 1
}

// AllowsRedirect reports whether uri is one of the client's redirect URIs.
func (c *Client) AllowsRedirect(uri string) bool { return matchRedirect(c.RedirectURIs, uri) }

// AllowsPostLogoutRedirect reports whether uri is one of the client's
// post-logout redirect URIs.
func (c *Client) AllowsPostLogoutRedirect(uri string) bool {
	return matchRedirect(c.PostLogoutRedirectURIs, uri)
}

// matchRedirect compares uri with the registered URIs as exact strings,
// except that a loopback URI matches on any port (RFC 8252 §7.3).
func matchRedirect(registered []string, uri string) bool {
	if slices.Contains(registered, uri) {
		return true
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || !isLoopback(u.Hostname()) {
		return false
	}
	for _, r := range registered {
		ru, err := url.Parse(r)
		if err != nil || ru.Scheme != "http" || !isLoopback(ru.Hostname()) {
			continue
		}
		if ru.Hostname() == u.Hostname() && ru.User.String() == u.User.String() &&
			ru.EscapedPath() == u.EscapedPath() && ru.RawQuery == u.RawQuery {
			return true
		}
	}
	return false
}

// isLoopback reports whether host is one of the loopback hosts a redirect
// URI may use over plain http.
func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// CheckRedirectURI applies the contract's rule to a redirect or post-logout
// redirect URI: absolute, no fragment, https except for loopback hosts.
// Returns CodeInvalidRedirectURI.
func CheckRedirectURI(uri string) error {
	bad := func(why string) error {
		return Errorf(CodeInvalidRedirectURI, "redirect URI %q %s", truncate(uri, 100), why)
	}
	if len(uri) > maxRedirectURI {
		return bad("is too long")
	}
	u, err := url.Parse(uri)
	switch {
	case err != nil:
		return bad("is not a URL")
	case !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return bad("is not an absolute URL")
	case u.Fragment != "" || strings.Contains(uri, "#"):
		return bad("has a fragment")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return bad("must use https (http only for 127.0.0.1, [::1] and localhost)")
	}
	return bad("must use https")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// ClientInput is what an admin sets on a client. Empty optional fields take
// their defaults.
type ClientInput struct {
	Name                   string
	Type                   string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	IDTokenAlg             string
}

// normalize checks in and fills in defaults. Type is checked only when
// withType is true.
func (in *ClientInput) normalize(withType bool) error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > maxClientName {
		return Errorf(CodeInvalidRequest, "name is required and at most %d bytes", maxClientName)
	}
	if withType && in.Type != ClientPublic && in.Type != ClientConfidential {
		return Errorf(CodeInvalidRequest, `type must be "public" or "confidential"`)
	}
	if len(in.RedirectURIs) == 0 {
		return Errorf(CodeInvalidRequest, "redirect_uris needs at least one URI")
	}
	for _, list := range [][]string{in.RedirectURIs, in.PostLogoutRedirectURIs} {
		if len(list) > maxRedirectURIs {
			return Errorf(CodeInvalidRequest, "at most %d redirect URIs", maxRedirectURIs)
		}
		for _, u := range list {
			if err := CheckRedirectURI(u); err != nil {
				return err
			}
		}
	}
	if in.GrantTypes == nil {
		in.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken}
	}
	for _, g := range in.GrantTypes {
		if g != GrantAuthorizationCode && g != GrantRefreshToken {
			return Errorf(CodeInvalidRequest, "grant type %q is not offered: only authorization_code and refresh_token", truncate(g, 50))
		}
	}
	if !slices.Contains(in.GrantTypes, GrantAuthorizationCode) {
		return Errorf(CodeInvalidRequest, "grant_types must hold authorization_code")
	}
	in.GrantTypes = compactStrings(in.GrantTypes)
	in.RedirectURIs = compactStrings(in.RedirectURIs)
	in.PostLogoutRedirectURIs = compactStrings(in.PostLogoutRedirectURIs)
	if in.IDTokenAlg == "" {
		in.IDTokenAlg = DefaultIDTokenAlg
	}
	if !slices.Contains(IDTokenAlgs, in.IDTokenAlg) {
		return Errorf(CodeInvalidRequest, "id_token_signed_response_alg must be RS256, ES256 or EdDSA")
	}
	return nil
}

// compactStrings returns list without repeated values, in first-seen order.
func compactStrings(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// newClientID returns a random client id of 128 bits in hex.
func newClientID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// clientSecretPrefix starts every client secret, so a leaked one is easy to
// recognise.
const clientSecretPrefix = "wcs_"

// newClientSecret returns a client secret of 256 random bits and its hash.
func newClientSecret() (secret string, hash []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	secret = clientSecretPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret)
}

// CreateClient registers a client with the tenant and returns it with its
// secret, which only a confidential client has and which is not kept.
// Returns CodeTenantNotFound, CodeInvalidRequest and CodeInvalidRedirectURI.
func (s *Service) CreateClient(ctx context.Context, tenant string, in ClientInput, m Meta) (*Client, string, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, "", err
	}
	if err := in.normalize(true); err != nil {
		return nil, "", err
	}
	now := s.now().UTC()
	c := &Client{
		ID: newClientID(), Tenant: tenant, Name: in.Name, Type: in.Type,
		RedirectURIs: in.RedirectURIs, PostLogoutRedirectURIs: in.PostLogoutRedirectURIs,
		GrantTypes: in.GrantTypes, IDTokenAlg: in.IDTokenAlg, CreatedAt: now, UpdatedAt: now,
	}
	var secret string
	if c.Type == ClientConfidential {
		secret, c.SecretHash = newClientSecret()
	}
	if err := s.store.CreateClient(ctx, c); err != nil {
		return nil, "", s.clientErr(ctx, tenant, err)
	}
	s.audit(tenant, EventClientCreated, m, c.ID, map[string]any{"name": c.Name, "type": c.Type})
	return c, secret, nil
}

// clientErr turns the store's ErrNotFound into the right code: the tenant's
// when the tenant is gone, else the client's.
func (s *Service) clientErr(ctx context.Context, tenant string, err error) error {
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	if _, terr := s.Tenant(ctx, tenant); terr != nil {
		return terr
	}
	return Errorf(CodeNotFound, "client not found")
}

// ListClients returns the tenant's clients in creation order.
func (s *Service) ListClients(ctx context.Context, tenant string) ([]*Client, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, err
	}
	return s.store.ListClients(ctx, tenant)
}

// Client returns one client. Returns CodeTenantNotFound and CodeNotFound.
func (s *Service) Client(ctx context.Context, tenant, id string) (*Client, error) {
	c, err := memoized(ctx, memoClients, [2]string{tenant, id}, func() (*Client, error) { return s.store.GetClient(ctx, tenant, id) })
	if err != nil {
		return nil, s.clientErr(ctx, tenant, err)
	}
	return c, nil
}

// UpdateClient replaces a client's settings; its type, id and secret stay
// (in.Type may be empty or the client's type). An omitted optional field
// returns to its default.
func (s *Service) UpdateClient(ctx context.Context, tenant, id string, in ClientInput, m Meta) (*Client, error) {
	if err := in.normalize(false); err != nil {
		if _, terr := s.Tenant(ctx, tenant); terr != nil {
			return nil, terr
		}
		return nil, err
	}
	now := s.now().UTC()
	c, err := s.store.UpdateClient(ctx, tenant, id, func(c *Client) error {
		if in.Type != "" && in.Type != c.Type {
			return Errorf(CodeInvalidRequest, "a client's type cannot be changed; register a new client")
		}
		c.Name = in.Name
		c.RedirectURIs = in.RedirectURIs
		c.PostLogoutRedirectURIs = in.PostLogoutRedirectURIs
		c.GrantTypes = in.GrantTypes
		c.IDTokenAlg = in.IDTokenAlg
		c.UpdatedAt = now
		return nil
	})
	if err != nil {
		return nil, s.clientErr(ctx, tenant, err)
	}
	s.audit(tenant, EventClientUpdated, m, id, nil)
	return c, nil
}

// DeleteClient removes a client; its codes and refresh tokens stop working,
// because every use of them looks the client up.
func (s *Service) DeleteClient(ctx context.Context, tenant, id string, m Meta) error {
	if err := s.store.DeleteClient(ctx, tenant, id); err != nil {
		return s.clientErr(ctx, tenant, err)
	}
	s.audit(tenant, EventClientDeleted, m, id, nil)
	return nil
}

// RotateClientSecret gives a confidential client a new secret and returns
// it; the old one stops working. Returns CodeInvalidRequest for a public
// client.
func (s *Service) RotateClientSecret(ctx context.Context, tenant, id string, m Meta) (string, error) {
	secret, hash := newClientSecret()
	now := s.now().UTC()
	_, err := s.store.UpdateClient(ctx, tenant, id, func(c *Client) error {
		if c.Type != ClientConfidential {
			return Errorf(CodeInvalidRequest, "a public client has no secret")
		}
		c.SecretHash = hash
		c.UpdatedAt = now
		return nil
	})
	if err != nil {
		return "", s.clientErr(ctx, tenant, err)
	}
	s.audit(tenant, EventClientSecretRotated, m, id, nil)
	return secret, nil
}
