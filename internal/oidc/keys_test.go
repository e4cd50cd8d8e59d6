package oidc_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// kid returns the kid of a JWS's protected header.
func kid(t *testing.T, jws string) string {
	t.Helper()
	head, _, _ := strings.Cut(jws, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(b, &h)
	return h.Kid
}

func TestKeyRotation(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	app := newRP(t, e, e.clientID, e.secret)
	verifier := oauth2.GenerateVerifier()
	exchange := func() *oauth2.Token {
		q, _ := e.authorize(t, app, verifier)
		tok, err := app.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	before := exchange()
	r := e.ts.Must(e.ts.Do("POST", "/admin/v1/tenants/acme/keys/rotate", e.key, nil), 200, "rotate keys")
	if strings.Contains(string(r.Body), "private") {
		t.Fatalf("the answer shows private keys: %s", r.Body)
	}
	jwks := e.ts.Must(e.ts.Do("GET", "/t/acme/.well-known/jwks.json", "", nil), 200, "jwks")
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	_ = json.Unmarshal(jwks.Body, &set)
	if len(set.Keys) != 8 {
		t.Fatalf("JWKS after a rotation has %d keys, want the old and new access key and RS256, ES256 and EdDSA ID token keys", len(set.Keys))
	}
	after := exchange()
	if kid(t, after.Extra("id_token").(string)) == kid(t, before.Extra("id_token").(string)) ||
		kid(t, after.AccessToken) == kid(t, before.AccessToken) {
		t.Fatal("tokens after the rotation are signed with the old keys")
	}
	// Tokens signed before the rotation still verify: a new relying party
	// (no cached keys) checks the old ID token, and the old access token
	// still works at userinfo.
	fresh := newRP(t, e, e.clientID, e.secret)
	if _, err := fresh.verifier.Verify(ctx, before.Extra("id_token").(string)); err != nil {
		t.Fatalf("the ID token from before the rotation: %v", err)
	}
	if _, err := fresh.provider.UserInfo(ctx, oauth2.StaticTokenSource(before)); err != nil {
		t.Fatalf("the access token from before the rotation: %v", err)
	}
}
