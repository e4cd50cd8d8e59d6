package oidc_test

import (
	"testing"

	"golang.org/x/oauth2"

	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// TestCodeFlowOnPostgres runs the code flow on a server whose store is
// PostgreSQL: a sign-in's code, single sign-on's code (the request stored
// whole with it), and a code used twice, which revokes its first tokens.
func TestCodeFlowOnPostgres(t *testing.T) {
	dsn := testserver.ScratchPostgres(t, "wasmauth_oidctest")
	e := newEnvWith(t, server.Config{Store: dsn})
	ctx := t.Context()
	app := newRP(t, e, e.clientID, e.secret)
	verifier := oauth2.GenerateVerifier()
	q, b := e.authorize(t, app, verifier)
	if _, err := app.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("exchanging the sign-in's code: %v", err)
	}
	q = codeOf(t, b.get(app.conf.AuthCodeURL(random(t), oauth2.S256ChallengeOption(verifier))))
	tok, err := app.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchanging the single sign-on code: %v", err)
	}
	if _, err := app.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); oauthErr(err) != "invalid_grant" {
		t.Fatalf("a code used twice: %v", err)
	}
	if _, err := app.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); oauthErr(err) != "invalid_grant" {
		t.Fatalf("the refresh token of a code used twice: %v", err)
	}
}
