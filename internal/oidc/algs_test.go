package oidc_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// alg returns the alg of a JWS's protected header.
func alg(t *testing.T, jws string) string {
	t.Helper()
	head, _, _ := strings.Cut(jws, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Alg string `json:"alg"`
	}
	_ = json.Unmarshal(b, &h)
	return h.Alg
}

// TestIDTokenAlgorithmPerClient registers a client per algorithm; go-oidc,
// told to accept only that algorithm, verifies each client's ID token
// (signature, aud, nonce, at_hash) and its refreshed one, and a key
// rotation gives every algorithm a new key.
func TestIDTokenAlgorithmPerClient(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	kids := map[string]string{}
	for _, want := range []string{"RS256", "ES256", "EdDSA"} {
		r := e.ts.Must(e.ts.Do("POST", clientsPath(e.tenant), e.key, map[string]any{
			"name": want + " app", "type": "confidential", "redirect_uris": []string{"http://127.0.0.1/cb"},
			"id_token_signed_response_alg": want,
		}), 201, "create "+want+" client")
		if r.Str("id_token_signed_response_alg") != want {
			t.Fatalf("the client's algorithm: %s", r.Body)
		}
		app := newRP(t, e, r.Str("client_id"), r.Str("client_secret"))
		app.verifier = app.provider.Verifier(&gooidc.Config{ClientID: r.Str("client_id"), SupportedSigningAlgs: []string{want}})
		verifier, nonce := oauth2.GenerateVerifier(), random(t)
		b := newBrowser(t)
		q := codeOf(t, b.signIn(b.get(app.conf.AuthCodeURL(random(t), gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))), e.email, userPassword))
		tok, err := app.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("%s: code exchange: %v", want, err)
		}
		raw, _ := tok.Extra("id_token").(string)
		if got := alg(t, raw); got != want {
			t.Fatalf("the %s client's ID token is signed with %s", want, got)
		}
		idt, err := app.verifier.Verify(ctx, raw)
		if err != nil {
			t.Fatalf("%s ID token: %v", want, err)
		}
		if idt.Nonce != nonce {
			t.Errorf("%s: nonce = %q", want, idt.Nonce)
		}
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			t.Errorf("%s: at_hash: %v", want, err)
		}
		kids[want] = kid(t, raw)
		// A refresh signs its ID token with the same algorithm.
		tok.Expiry = tok.Expiry.Add(-24 * 3600e9)
		t2, err := app.conf.TokenSource(ctx, tok).Token()
		if err != nil {
			t.Fatalf("%s: refresh: %v", want, err)
		}
		if raw2, _ := t2.Extra("id_token").(string); alg(t, raw2) != want {
			t.Fatalf("%s: the refreshed ID token is signed with %s", want, alg(t, raw2))
		} else if _, err := app.verifier.Verify(ctx, raw2); err != nil {
			t.Fatalf("%s: refreshed ID token: %v", want, err)
		}
	}
	// An ID token of each algorithm is a valid id_token_hint at logout:
	// the session ends without a confirmation page.
	for _, want := range []string{"ES256", "EdDSA"} {
		r := e.ts.Must(e.ts.Do("POST", clientsPath(e.tenant), e.key, map[string]any{
			"name": want + " logout", "type": "confidential", "redirect_uris": []string{"http://127.0.0.1/cb"},
			"post_logout_redirect_uris": []string{"https://app.example/bye"}, "id_token_signed_response_alg": want,
		}), 201, "create "+want+" client")
		app := newRP(t, e, r.Str("client_id"), r.Str("client_secret"))
		verifier := oauth2.GenerateVerifier()
		q, b := e.authorize(t, app, verifier)
		tok, err := app.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		b.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		p := b.get(e.issuer + "/logout?" + url.Values{"id_token_hint": {tok.Extra("id_token").(string)},
			"post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"z"}}.Encode())
		if p.status != http.StatusFound || p.location != "https://app.example/bye?state=z" {
			t.Fatalf("logout with an %s hint: %d %q %s", want, p.status, p.location, p.body)
		}
	}
	if kids["RS256"] == kids["ES256"] || kids["ES256"] == kids["EdDSA"] {
		t.Fatalf("algorithms share keys: %v", kids)
	}
	// The access token key never signs ID tokens.
	login := e.ts.Must(e.ts.Login(e.tenant, e.email, userPassword), 200, "v1 login")
	if k := kid(t, login.Str("access_token")); k == kids["ES256"] || k == kids["EdDSA"] {
		t.Fatal("an ID token key signs access tokens")
	}
	// A rotation makes a new key of every algorithm: JWKS holds the old and
	// new access keys and the old and new ID token keys of each algorithm.
	rot := e.ts.Must(e.ts.Do("POST", "/admin/v1/tenants/acme/keys/rotate", e.key, nil), 200, "rotate keys")
	var out struct {
		Keys []struct{ KID, Alg, Use string } `json:"keys"`
	}
	_ = json.Unmarshal(rot.Body, &out)
	uses := map[string]int{}
	for _, k := range out.Keys {
		uses[k.Use+" "+k.Alg]++
	}
	for _, a := range []string{"RS256", "ES256", "EdDSA"} {
		if uses["id_token "+a] != 2 {
			t.Errorf("after a rotation %d %s ID token keys, want the old and the new: %s", uses["id_token "+a], a, rot.Body)
		}
	}
	jwks := e.ts.Must(e.ts.Do("GET", "/t/acme/.well-known/jwks.json", "", nil), 200, "jwks")
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	_ = json.Unmarshal(jwks.Body, &set)
	if len(set.Keys) != 8 {
		t.Fatalf("JWKS after a rotation has %d keys, want 8 (access and three ID token algorithms, old and new)", len(set.Keys))
	}
	// An algorithm the server does not offer is refused at registration.
	e.ts.Must(e.ts.Do("POST", clientsPath(e.tenant), e.key, map[string]any{
		"name": "HS", "type": "public", "redirect_uris": []string{"http://127.0.0.1/cb"},
		"id_token_signed_response_alg": "HS256",
	}), 400, "an HS256 client")
}

// TestNoIDTokenWithoutOpenID: a request without the openid scope is plain
// OAuth 2.0 (OpenID Connect Core 1.0 §3.1.2.1): the code exchange and the
// refresh answer with tokens but no ID token.
func TestNoIDTokenWithoutOpenID(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	app := newRP(t, e, e.clientID, e.secret)
	app.conf.Scopes = []string{"profile"}
	verifier := oauth2.GenerateVerifier()
	q, _ := e.authorize(t, app, verifier)
	tok, err := app.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("tokens missing: %+v", tok)
	}
	if idt := tok.Extra("id_token"); idt != nil {
		t.Fatalf("an ID token without the openid scope: %v", idt)
	}
	if s, _ := tok.Extra("scope").(string); strings.Contains(s, "openid") || !strings.Contains(s, "profile") {
		t.Fatalf("scope = %q", s)
	}
	tok.Expiry = tok.Expiry.Add(-24 * 3600e9)
	t2, err := app.conf.TokenSource(ctx, tok).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if idt := t2.Extra("id_token"); idt != nil {
		t.Fatalf("an ID token from a refresh without the openid scope: %v", idt)
	}
	// The access token works at userinfo.
	if _, err := app.provider.UserInfo(ctx, oauth2.StaticTokenSource(t2)); err != nil {
		t.Fatalf("userinfo: %v", err)
	}
}
