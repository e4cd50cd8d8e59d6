package oidc_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// rpRedirect is the relying party's redirect URI. It is never contacted:
// the browser stops at the redirect to it. It was registered without a
// port, so it also checks that a loopback URI matches on any port.
const rpRedirect = "http://127.0.0.1:9/cb"

const userPassword = "correct horse battery staple 42"

// env is a server with a tenant, a user and a confidential client.
type env struct {
	ts       *testserver.Server
	tenant   string
	key      string
	issuer   string
	clientID string
	secret   string
	email    string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, server.Config{})
}

// newEnvWith is newEnv on a server with the settings cfg.
func newEnvWith(t *testing.T, cfg server.Config) *env {
	t.Helper()
	ts := testserver.Start(t, cfg)
	e := &env{ts: ts, tenant: "acme", email: "ann@example.com"}
	e.key = ts.CreateTenant(e.tenant)
	e.issuer = ts.Base + "/t/" + e.tenant
	ts.Must(ts.Register(e.tenant, e.email, userPassword), 201, "register")
	e.clientID, e.secret = e.client(t, "confidential", "http://127.0.0.1/cb")
	return e
}

// client registers a client and returns its id and secret.
func (e *env) client(t *testing.T, typ string, redirects ...string) (string, string) {
	t.Helper()
	r := e.ts.Must(e.ts.Do("POST", clientsPath(e.tenant), e.key, map[string]any{
		"name": "App", "type": typ, "redirect_uris": redirects,
		"post_logout_redirect_uris": []string{"https://app.example/bye"},
	}), 201, "create client")
	return r.Str("client_id"), r.Str("client_secret")
}

// browser is a person's browser: a cookie jar that stops at the relying
// party's redirect URI.
type browser struct {
	t    *testing.T
	http *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, http: &http.Client{
		Jar:     jar,
		Timeout: time.Minute,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), "http://127.0.0.1:9/") || len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}}
}

// page is an answer the browser got.
type page struct {
	status   int
	url      *url.URL // where the answer came from
	location string
	header   http.Header
	body     string
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return &page{status: resp.StatusCode, url: resp.Request.URL, location: resp.Header.Get("Location"), header: resp.Header, body: string(body)}
}

func (b *browser) get(u string) *page {
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) *page {
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`)

// formFields returns the hidden fields of a page's form.
func formFields(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], m[2])
	}
	return v
}

// signIn fills the sign-in form on p and returns where the browser ended.
func (b *browser) signIn(p *page, identifier, pw string) *page {
	b.t.Helper()
	if p.status != 200 || !strings.Contains(p.body, `name="password"`) {
		b.t.Fatalf("expected the sign-in form, got %d %s", p.status, p.body)
	}
	form := formFields(p.body)
	form.Set("identifier", identifier)
	form.Set("password", pw)
	return b.post(p.url.String(), form)
}

// codeOf returns the query of the redirect to the relying party.
func codeOf(t *testing.T, p *page) url.Values {
	t.Helper()
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, "http://127.0.0.1:9/cb?") {
		t.Fatalf("expected a redirect to the app, got %d %q %s", p.status, p.location, p.body)
	}
	u, _ := url.Parse(p.location)
	return u.Query()
}

func random(t *testing.T) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// rp is a relying party built on go-oidc and x/oauth2.
type rp struct {
	provider *gooidc.Provider
	conf     oauth2.Config
	verifier *gooidc.IDTokenVerifier
}

func newRP(t *testing.T, e *env, clientID, secret string) *rp {
	t.Helper()
	p, err := gooidc.NewProvider(t.Context(), e.issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &rp{
		provider: p,
		conf: oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: p.Endpoint(), RedirectURL: rpRedirect,
			Scopes: []string{gooidc.ScopeOpenID, "profile", "email"}},
		verifier: p.Verifier(&gooidc.Config{ClientID: clientID}),
	}
}

func TestCodeFlowWithRelyingParty(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	app := newRP(t, e, e.clientID, e.secret)
	b := newBrowser(t)

	state, nonce, verifier := random(t), random(t), oauth2.GenerateVerifier()
	start := b.get(app.conf.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)))
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "Cache-Control"} {
		if v := start.header.Values(h); len(v) != 1 || v[0] == "" {
			t.Errorf("the sign-in page's %s headers: %q, want one", h, v)
		}
	}
	if csp := start.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	q := codeOf(t, b.signIn(start, e.email, userPassword))
	if q.Get("state") != state || q.Get("iss") != e.issuer {
		t.Fatalf("authorization response %v: want state %q and iss %q", q, state, e.issuer)
	}

	tok, err := app.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := app.verifier.Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != nonce {
		t.Errorf("nonce = %q, want %q", idt.Nonce, nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	var claims struct {
		Email    string `json:"email"`
		AuthTime int64  `json:"auth_time"`
	}
	if err := idt.Claims(&claims); err != nil || claims.Email != e.email || claims.AuthTime == 0 {
		t.Errorf("ID token claims %+v (%v)", claims, err)
	}
	info, err := app.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Email != e.email || info.Subject != idt.Subject {
		t.Fatalf("userinfo: %+v, %v", info, err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token for a client with the refresh_token grant")
	}

	// A refresh through x/oauth2 rotates the refresh token.
	expired := &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}
	t2, err := app.conf.TokenSource(ctx, expired).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if t2.RefreshToken == "" || t2.RefreshToken == tok.RefreshToken || t2.AccessToken == tok.AccessToken {
		t.Fatalf("refresh did not rotate: %q", t2.RefreshToken)
	}
	// The old one again is reuse: invalid_grant, and the session ends.
	_, err = app.conf.TokenSource(ctx, expired).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("reused refresh token: %v", err)
	}
	if _, err := app.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: t2.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token(); err == nil {
		t.Fatal("the rotated token still works after reuse revoked its session")
	}

	// Single sign-on: a second authorization needs no form; /authorize
	// itself answers with the code (the contract's "no page").
	state2 := random(t)
	sso := b.get(app.conf.AuthCodeURL(state2, gooidc.Nonce(random(t)), oauth2.S256ChallengeOption(verifier)))
	if !strings.HasPrefix(sso.url.String(), e.issuer+"/authorize?") {
		t.Fatalf("single sign-on answered from %s, not /authorize", sso.url)
	}
	q = codeOf(t, sso)
	if q.Get("state") != state2 || q.Get("code") == "" || q.Get("iss") != e.issuer {
		t.Fatalf("SSO answer %v", q)
	}
	// Its code works once: the request was stored with it.
	if _, err := app.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("exchanging the single sign-on code: %v", err)
	}
	if _, err := app.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); oauthErr(err) != "invalid_grant" {
		t.Fatalf("the single sign-on code used twice: %v", err)
	}
	// prompt=login asks for the password again.
	p := b.get(app.conf.AuthCodeURL(random(t), oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "login")))
	if p.status != 200 || !strings.Contains(p.body, `name="password"`) {
		t.Fatalf("prompt=login: %d %s", p.status, p.location)
	}
	// max_age=0: the session is too old, the form again.
	p = b.get(app.conf.AuthCodeURL(random(t), oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("max_age", "0")))
	if p.status != 200 || !strings.Contains(p.body, `name="password"`) {
		t.Fatalf("max_age=0: %d %s", p.status, p.location)
	}
	// A generous max_age keeps single sign-on.
	codeOf(t, b.get(app.conf.AuthCodeURL(random(t), oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("max_age", "3600"))))
	// prompt=none in a browser without a session: login_required.
	state3 := random(t)
	q = codeOf(t, newBrowser(t).get(app.conf.AuthCodeURL(state3, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "none"))))
	if q.Get("error") != "login_required" || q.Get("state") != state3 || q.Get("iss") != e.issuer {
		t.Fatalf("prompt=none: %v", q)
	}
}

// authorize runs a sign-in in a new browser and returns the code's answer.
func (e *env) authorize(t *testing.T, app *rp, verifier string) (url.Values, *browser) {
	t.Helper()
	b := newBrowser(t)
	opts := []oauth2.AuthCodeOption{gooidc.Nonce(random(t))}
	if verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	q := codeOf(t, b.signIn(b.get(app.conf.AuthCodeURL(random(t), opts...)), e.email, userPassword))
	return q, b
}

// tokenRequest posts a token request and returns the answer.
func (e *env) tokenRequest(t *testing.T, form url.Values, basicID, basicSecret string) *page {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), "POST", e.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	return newBrowser(t).do(req)
}
