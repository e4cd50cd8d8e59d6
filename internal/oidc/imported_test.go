package oidc_test

import (
	"encoding/json"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/oauth2"
)

// An imported user signs in through the hosted page on its legacy hash, with
// no module or legacy database, and the page's sign-in finishes its import.
func TestImportedUserSignsInThroughThePage(t *testing.T) {
	e := newEnv(t)
	const pw = "the imported password"
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := json.Marshal(map[string]any{"id": "7", "email": "imp@example.com", "password_hash": string(hash)})
	base := "/admin/v1/tenants/" + e.tenant
	r := e.ts.Must(e.ts.Send("POST", base+"/users/import", e.key, "application/x-ndjson", append(line, '\n')), 200, "import")
	if r.JSON["imported"] != 1.0 {
		t.Fatalf("import: %s", r)
	}
	app := newRP(t, e, e.clientID, e.secret)
	verifier := oauth2.GenerateVerifier()
	wrong := newBrowser(t).signIn(newBrowser(t).get(app.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))), "imp@example.com", "not the password")
	if wrong.status == 302 {
		t.Fatalf("a wrong password signed the imported user in")
	}
	b := newBrowser(t)
	q := codeOf(t, b.signIn(b.get(app.conf.AuthCodeURL("s", gooidc.Nonce("n"), oauth2.S256ChallengeOption(verifier))), "imp@example.com", pw))
	tok, err := app.conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := app.verifier.Verify(t.Context(), tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Email string `json:"email"`
	}
	_ = idt.Claims(&claims)
	if claims.Email != "imp@example.com" {
		t.Errorf("imported user's claims: %+v", claims)
	}
	m := e.ts.Must(e.ts.Do("GET", base+"/migration", e.key, nil), 200, "migration")
	if m.JSON["users_imported"] != 0.0 {
		t.Errorf("users_imported after the first sign-in = %v, want 0", m.JSON["users_imported"])
	}
}
