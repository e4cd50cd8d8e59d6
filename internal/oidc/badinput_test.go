package oidc_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"
)

func TestAuthorizeRefusesUnknownClientAndRedirect(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t)
	base := url.Values{"response_type": {"code"}, "scope": {"openid"}, "state": {"s"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"}}
	cases := map[string]url.Values{
		"unregistered redirect_uri": {"client_id": {e.clientID}, "redirect_uri": {"https://evil.example/cb"}},
		"unknown client":            {"client_id": {"nope"}, "redirect_uri": {rpRedirect}},
		"loopback, other path":      {"client_id": {e.clientID}, "redirect_uri": {"http://127.0.0.1:9/other"}},
		"no redirect_uri":           {"client_id": {e.clientID}},
	}
	for name, q := range cases {
		for k, v := range base {
			q[k] = v
		}
		p := b.get(e.issuer + "/authorize?" + q.Encode())
		if p.status != http.StatusBadRequest || p.location != "" || !strings.Contains(p.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %q %s, want the 400 HTML error page", name, p.status, p.location, p.header.Get("Content-Type"))
		}
		if !strings.Contains(p.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: error page without the CSP header", name)
		}
	}
	// Other errors go back to the app, with state and iss.
	pub, _ := e.client(t, "public", "http://127.0.0.1/cb")
	q := url.Values{"client_id": {pub}, "redirect_uri": {rpRedirect}, "response_type": {"code"}, "scope": {"openid"}, "state": {"st"}}
	r := codeOf(t, b.get(e.issuer+"/authorize?"+q.Encode()))
	if r.Get("error") != "invalid_request" || r.Get("state") != "st" || r.Get("iss") != e.issuer {
		t.Errorf("public client without PKCE: %v", r)
	}
	q.Set("response_type", "token")
	if r := codeOf(t, b.get(e.issuer+"/authorize?"+q.Encode())); r.Get("error") != "unsupported_response_type" {
		t.Errorf("response_type=token: %v", r)
	}
}

func TestCodeExchangeRules(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	app := newRP(t, e, e.clientID, e.secret)
	verifier := oauth2.GenerateVerifier()

	t.Run("CodeUsedTwice", func(t *testing.T) {
		q, _ := e.authorize(t, app, verifier)
		tok, err := app.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		_, err = app.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if code := oauthErr(err); code != "invalid_grant" {
			t.Fatalf("second use: %v", err)
		}
		// The first use's tokens are revoked.
		if _, err := app.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("the first use's access token still works at userinfo")
		}
		_, err = app.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if code := oauthErr(err); code != "invalid_grant" {
			t.Errorf("the first use's refresh token: %v", err)
		}
	})
	t.Run("WrongVerifier", func(t *testing.T) {
		q, _ := e.authorize(t, app, verifier)
		_, err := app.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
		if code := oauthErr(err); code != "invalid_grant" {
			t.Fatalf("wrong verifier: %v", err)
		}
	})
	t.Run("AnotherClientsCode", func(t *testing.T) {
		otherID, otherSecret := e.client(t, "confidential", "http://127.0.0.1/cb")
		other := newRP(t, e, otherID, otherSecret)
		q, _ := e.authorize(t, app, verifier)
		_, err := other.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if code := oauthErr(err); code != "invalid_grant" {
			t.Fatalf("another client's code: %v", err)
		}
	})
	t.Run("WrongSecret", func(t *testing.T) {
		q, _ := e.authorize(t, app, verifier)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {rpRedirect}, "code_verifier": {verifier}}
		p := e.tokenRequest(t, form, e.clientID, "wcs_wrong")
		if p.status != http.StatusUnauthorized || !strings.Contains(p.body, `"invalid_client"`) || p.header.Get("WWW-Authenticate") == "" {
			t.Fatalf("wrong secret (basic): %d %s %q", p.status, p.body, p.header.Get("WWW-Authenticate"))
		}
		// client_secret_post with the right secret works.
		form.Set("client_id", e.clientID)
		form.Set("client_secret", e.secret)
		if p := e.tokenRequest(t, form, "", ""); p.status != 200 || !strings.Contains(p.body, "id_token") {
			t.Fatalf("client_secret_post: %d %s", p.status, p.body)
		}
	})
	t.Run("PublicClient", func(t *testing.T) {
		pubID, _ := e.client(t, "public", "http://127.0.0.1/cb")
		pub := newRP(t, e, pubID, "")
		q, _ := e.authorize(t, pub, verifier)
		tok, err := pub.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("public client exchange: %v", err)
		}
		if _, err := pub.verifier.Verify(ctx, tok.Extra("id_token").(string)); err != nil {
			t.Fatal(err)
		}
		// Its refresh token is bound to it.
		_, err = app.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if code := oauthErr(err); code != "invalid_grant" {
			t.Errorf("another client's refresh token: %v", err)
		}
	})
	t.Run("DeletedClient", func(t *testing.T) {
		id, secret := e.client(t, "confidential", "http://127.0.0.1/cb")
		gone := newRP(t, e, id, secret)
		q, _ := e.authorize(t, gone, verifier)
		e.ts.Must(e.ts.Do("DELETE", clientsPath(e.tenant, id), e.key, nil), 204, "delete client")
		if _, err := gone.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err == nil {
			t.Fatal("a deleted client's code still works")
		}
	})
}

func oauthErr(err error) string {
	if re, ok := err.(*oauth2.RetrieveError); ok {
		return re.ErrorCode
	}
	return ""
}

func TestSignInFormRules(t *testing.T) {
	e := newEnv(t)
	app := newRP(t, e, e.clientID, e.secret)
	b := newBrowser(t)
	start := b.get(app.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	fields := formFields(start.body)
	if fields.Get("csrf") == "" || fields.Get("id") == "" {
		t.Fatalf("the form has no csrf or id field: %s", start.body)
	}
	for _, label := range []string{`<label for="identifier">`, `<label for="password">`, `name="viewport"`} {
		if !strings.Contains(start.body, label) {
			t.Errorf("the form lacks %s", label)
		}
	}
	if strings.Contains(strings.ToLower(start.body), "<script") {
		t.Error("the page has a script")
	}
	post := func(b *browser, f url.Values) *page {
		f.Set("identifier", e.email)
		f.Set("password", userPassword)
		return b.post(start.url.String(), f)
	}
	// Without the token, with a wrong one, or from another browser: refused.
	noToken := url.Values{"id": {fields.Get("id")}}
	if p := post(b, noToken); p.status != http.StatusForbidden {
		t.Errorf("post without CSRF token: %d", p.status)
	}
	wrong := url.Values{"id": {fields.Get("id")}, "csrf": {strings.Repeat("A", 43)}}
	if p := post(b, wrong); p.status != http.StatusForbidden {
		t.Errorf("post with a wrong CSRF token: %d", p.status)
	}
	copied := url.Values{"id": {fields.Get("id")}, "csrf": {fields.Get("csrf")}}
	if p := post(newBrowser(t), copied); p.status != http.StatusForbidden {
		t.Errorf("the form copied into another browser: %d", p.status)
	}
	// Unknown user and wrong password: the same page.
	wrongPw := b.signIn(start, e.email, "wrong password 123")
	unknown := b.signIn(start, "nobody@example.com", userPassword)
	if wrongPw.status != http.StatusUnauthorized || unknown.status != wrongPw.status ||
		strings.ReplaceAll(unknown.body, "nobody@example.com", e.email) != wrongPw.body {
		t.Errorf("wrong password %d and unknown user %d pages differ", wrongPw.status, unknown.status)
	}
	// The session cookie's attributes.
	ok := b.signIn(start, e.email, userPassword)
	codeOf(t, ok)
	u, _ := url.Parse(e.issuer + "/")
	var found bool
	for _, c := range b.http.Jar.Cookies(u) {
		found = found || c.Name == "wasmauth_session"
	}
	if !found {
		t.Error("no session cookie for the tenant's path")
	}
	// The request id from the page's URL gives no code in another browser.
	other := newBrowser(t).get(e.issuer + "/authorize/callback?id=" + url.QueryEscape(fields.Get("id")))
	if other.status != http.StatusBadRequest || other.location != "" {
		t.Errorf("callback from another browser: %d %q", other.status, other.location)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	e := newEnv(t)
	app := newRP(t, e, e.clientID, e.secret)
	b := newBrowser(t)
	start := b.get(app.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	form := formFields(start.body)
	form.Set("identifier", e.email)
	form.Set("password", userPassword)
	b.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p := b.post(start.url.String(), form)
	var cookie string
	for _, c := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "wasmauth_session=") {
			cookie = c
		}
	}
	for _, want := range []string{"Path=/t/acme/", "HttpOnly", "SameSite=Lax", "Max-Age=86400"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
}

func TestDiscoveryAndKeys(t *testing.T) {
	e := newEnv(t)
	d := e.ts.Must(e.ts.Do("GET", "/t/acme/.well-known/openid-configuration", "", nil), 200, "discovery").JSON
	want := map[string]any{
		"issuer":                 e.issuer,
		"authorization_endpoint": e.issuer + "/authorize",
		"token_endpoint":         e.issuer + "/oauth/token",
		"userinfo_endpoint":      e.issuer + "/userinfo",
		"end_session_endpoint":   e.issuer + "/logout",
		"jwks_uri":               e.issuer + "/.well-known/jwks.json",
		"authorization_response_iss_parameter_supported": true,
	}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("%s = %v, want %v", k, d[k], v)
		}
	}
	lists := map[string][]string{
		"response_types_supported":              {"code"},
		"response_modes_supported":              {"query"},
		"grant_types_supported":                 {"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":      {"S256"},
		"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post", "none"},
	}
	for k, v := range lists {
		got, _ := json.Marshal(d[k])
		if w, _ := json.Marshal(v); string(got) != string(w) {
			t.Errorf("%s = %s, want %s", k, got, w)
		}
	}
	for k, vals := range map[string][]string{
		"scopes_supported":                      {"openid", "profile", "email", "offline_access"},
		"id_token_signing_alg_values_supported": {"RS256", "ES256", "EdDSA"},
	} {
		got, _ := json.Marshal(d[k])
		for _, v := range vals {
			if !strings.Contains(string(got), `"`+v+`"`) {
				t.Errorf("%s = %s lacks %s", k, got, v)
			}
		}
	}
	jwks := e.ts.Must(e.ts.Do("GET", "/t/acme/.well-known/jwks.json", "", nil), 200, "jwks")
	for _, alg := range []string{`"RS256"`, `"ES256"`, `"EdDSA"`} {
		if !strings.Contains(string(jwks.Body), alg) {
			t.Errorf("JWKS lacks an %s key: %s", alg, jwks.Body)
		}
	}
}

func TestV1RefreshKeepsWorking(t *testing.T) {
	e := newEnv(t)
	login := e.ts.Must(e.ts.Login(e.tenant, e.email, userPassword), 200, "v1 login")
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {login.Str("refresh_token")}}
	p := e.tokenRequest(t, form, "", "")
	if p.status != 200 || !strings.Contains(p.body, "refresh_token") {
		t.Fatalf("v1 refresh: %d %s", p.status, p.body)
	}
	// A client's refresh token sent without client authentication is the
	// OP's, which refuses it.
	app := newRP(t, e, e.clientID, e.secret)
	verifier := oauth2.GenerateVerifier()
	q, _ := e.authorize(t, app, verifier)
	tok, err := app.conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	p = e.tokenRequest(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, "", "")
	if p.status == 200 {
		t.Fatalf("a confidential client's refresh token worked without its secret: %s", p.body)
	}
}

func TestConcurrentCodeExchange(t *testing.T) {
	e := newEnv(t)
	app := newRP(t, e, e.clientID, e.secret)
	verifier := oauth2.GenerateVerifier()
	for range 3 {
		q, _ := e.authorize(t, app, verifier)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {rpRedirect}, "code_verifier": {verifier}}
		const n = 4
		statuses := make(chan int, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				req, _ := http.NewRequest("POST", e.issuer+"/oauth/token", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(e.clientID, e.secret)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("token request: %v", err)
					return
				}
				resp.Body.Close()
				statuses <- resp.StatusCode
			})
		}
		wg.Wait()
		close(statuses)
		ok := 0
		for s := range statuses {
			if s == 200 {
				ok++
			}
		}
		if ok > 1 {
			t.Fatalf("%d of %d concurrent exchanges of one code succeeded", ok, n)
		}
	}
}

// TestFormPostsNeedFormEncoding checks that the form posts of the hosted
// pages, /authorize, /logout and the code grant refuse other bodies with 415
// before anything reads them, as the contract's edge rules say.
func TestFormPostsNeedFormEncoding(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/authorize", "/signin", "/signup", "/logout", "/logout/confirm", "/oauth/token"} {
		for _, ct := range []string{"application/json", "text/plain", ""} {
			req, _ := http.NewRequest("POST", e.issuer+path, strings.NewReader(`{"grant_type":"authorization_code"}`))
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnsupportedMediaType {
				t.Errorf("POST %s with Content-Type %q: %d, want 415", path, ct, resp.StatusCode)
			}
		}
	}
}
