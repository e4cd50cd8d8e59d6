package oidc

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// The OpenID Provider's paths below a tenant's issuer ({base}/t/{tenant}).
const (
	pathAuthorize = "/authorize"
	pathCallback  = "/authorize/callback"
	pathToken     = "/oauth/token"
	pathUserinfo  = "/userinfo"
	pathRevoke    = "/oauth/revoke"
	pathLogout    = "/logout"
	pathJWKS      = "/.well-known/jwks.json"
	pathSignIn    = "/signin"
	pathSignUp    = "/signup"
	pathSignedOut = "/signed-out"
)

// metaKey is the request context key of the auth.Meta the HTTP layer
// computed for the request (client address, request id).
type metaKey struct{}

// MetaKey is the key under which the HTTP layer stores a request's
// auth.Meta, in Fiber's Locals (which net/http handlers see in the request
// context through Fiber's adaptor).
var MetaKey = metaKey{}

func metaOf(ctx context.Context) auth.Meta {
	m, _ := ctx.Value(MetaKey).(auth.Meta)
	return m
}

// Provider is the OpenID Provider of every tenant: one zitadel/oidc
// provider per tenant, made on first use, whose issuer is the tenant's.
type Provider struct {
	svc      *auth.Service
	records  Records
	log      *slog.Logger
	statusOf func(auth.Code) int
	observe  Observer
	secure   bool // the base URL is https: cookies get Secure
	// cryptoKey encrypts authorization codes (the library's AES-GCM). A
	// new one at each start only voids codes in flight, which live 60 s.
	cryptoKey [32]byte

	mu  sync.Mutex
	ops map[string]*op.Provider
}

// Observer counts the provider's events: authorization requests, code
// exchanges and hosted-form logins, each by outcome. metrics.Metrics
// implements it.
type Observer interface {
	OIDCEvent(event, outcome string)
}

type nopObserver struct{}

func (nopObserver) OIDCEvent(string, string) {}

// New returns the OpenID Provider of svc's tenants, which keeps its
// authorization requests and browser sessions in records (the server's
// auth.Store). statusOf is the HTTP
// API's table from error codes to statuses, which the hosted pages answer
// with too; observe, when not nil, counts events.
func New(svc *auth.Service, records Records, log *slog.Logger, statusOf func(auth.Code) int, observe Observer) *Provider {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if observe == nil {
		observe = nopObserver{}
	}
	p := &Provider{svc: svc, records: records, log: log, statusOf: statusOf, observe: observe, ops: map[string]*op.Provider{}}
	p.secure = strings.HasPrefix(svc.Issuer(""), "https://")
	if _, err := rand.Read(p.cryptoKey[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return p
}

// supportedScopes are the scopes discovery lists; others are dropped from
// requests.
var supportedScopes = []string{"openid", "profile", "email", "offline_access"}

// supportedClaims are the claims wasmauth's ID tokens and userinfo may hold.
var supportedClaims = []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp",
	"email", "email_verified", "preferred_username", "name", "updated_at"}

// provider returns the tenant's zitadel provider, making it on first use.
// Returns CodeTenantNotFound.
func (p *Provider) provider(ctx context.Context, tenant string) (*op.Provider, error) {
	if _, err := p.svc.Tenant(ctx, tenant); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if o := p.ops[tenant]; o != nil {
		return o, nil
	}
	iss := p.svc.Issuer(tenant)
	cfg := &op.Config{
		CryptoKey:                p.cryptoKey,
		DefaultLogoutRedirectURI: iss + pathSignedOut,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedScopes:          supportedScopes,
		SupportedClaims:          supportedClaims,
		SupportedUILocales:       []language.Tag{language.English},
	}
	st := &storage{p: p, tenant: tenant, issuer: iss}
	opts := []op.Option{
		op.WithCustomEndpoints(
			op.NewEndpoint(pathAuthorize[1:]), op.NewEndpoint(pathToken[1:]), op.NewEndpoint(pathUserinfo[1:]),
			op.NewEndpoint(pathRevoke[1:]), op.NewEndpoint(pathLogout[1:]), op.NewEndpoint(pathJWKS[1:])),
		op.WithCrypto(newTokenCrypto(p.cryptoKey)),
		// id_token_hint at logout may be signed with any of the clients'
		// algorithms; the library's default leaves EdDSA out.
		op.WithIDTokenHintVerifierOpts(op.WithSupportedIDTokenHintSigningAlgorithms(auth.IDTokenAlgs...)),
	}
	if !p.secure {
		opts = append(opts, op.WithAllowInsecure())
	}
	o, err := op.NewProvider(cfg, st, op.StaticIssuer(iss), opts...)
	if err != nil {
		return nil, err
	}
	p.ops[tenant] = o
	return o, nil
}

// Handler returns the handler of one request to the tenant's OpenID
// Provider paths; it takes the request with its full path, /t/{tenant}/...
// Returns CodeTenantNotFound.
func (p *Provider) Handler(ctx context.Context, tenant string) (http.Handler, error) {
	// The tenant read here is the request's first (see tenantHandler.reads).
	ctx = auth.WithReadMemo(ctx)
	o, err := p.provider(ctx, tenant)
	if err != nil {
		return nil, err
	}
	h := &tenantHandler{p: p, op: o, tenant: tenant, issuer: p.svc.Issuer(tenant), reads: ctx}
	return http.StripPrefix("/t/"+tenant, h), nil
}

// Discovery returns the tenant's OpenID Provider metadata: the library's,
// narrowed to what wasmauth offers (OAuth 2.1: the code flow only) and with
// RFC 9207's authorization_response_iss_parameter_supported.
func (p *Provider) Discovery(ctx context.Context, tenant string) (map[string]any, error) {
	o, err := p.provider(ctx, tenant)
	if err != nil {
		return nil, err
	}
	iss := p.svc.Issuer(tenant)
	d := op.CreateDiscoveryConfig(op.ContextWithIssuer(ctx, iss), o, o.Storage())
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	// Endpoints and methods wasmauth does not serve.
	for _, k := range []string{"introspection_endpoint", "introspection_endpoint_auth_methods_supported",
		"introspection_endpoint_auth_signing_alg_values_supported", "device_authorization_endpoint",
		"check_session_iframe", "request_object_signing_alg_values_supported",
		"token_endpoint_auth_signing_alg_values_supported", "revocation_endpoint_auth_signing_alg_values_supported"} {
		delete(out, k)
	}
	out["response_types_supported"] = []string{"code"}
	out["response_modes_supported"] = []string{"query"}
	out["grant_types_supported"] = []string{"authorization_code", "refresh_token"}
	out["token_endpoint_auth_methods_supported"] = []string{"client_secret_basic", "client_secret_post", "none"}
	out["revocation_endpoint_auth_methods_supported"] = []string{"none"}
	out["authorization_response_iss_parameter_supported"] = true
	return out, nil
}
