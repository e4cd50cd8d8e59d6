package oidc_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// setUpLegacy gives the tenant the examples' SQLite legacy database and the
// module (an example: they all behave alike), and switches migration on.
func (e *env) setUpLegacy(t *testing.T, module []byte) {
	t.Helper()
	l := e.ts.LegacyDB(t, "sqlite", e.tenant)
	base := "/admin/v1/tenants/" + e.tenant
	e.ts.Must(e.ts.Do("PUT", base+"/script", e.key, module), 201, "upload script")
	e.ts.Must(e.ts.Do("PUT", base+"/connection", e.key, map[string]any{"driver": l.Driver, "dsn": l.DSN, "config": l.Config}), 200, "set connection")
	e.ts.Must(e.ts.Do("PUT", base+"/migration", e.key, map[string]any{"enabled": true}), 200, "enable migration")
}

func TestLegacyUserMigratesThroughThePage(t *testing.T) {
	e := newEnv(t)
	e.setUpLegacy(t, examples.CLegacy) // the small one; the browser test runs the Go one
	app := newRP(t, e, e.clientID, e.secret)
	verifier := oauth2.GenerateVerifier()
	b := newBrowser(t)
	start := b.get(app.conf.AuthCodeURL("s", gooidc.Nonce("n"), oauth2.S256ChallengeOption(verifier)))
	q := codeOf(t, b.signIn(start, "alice@example.com", testserver.SeedPassword("alice")))
	tok, err := app.conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := app.verifier.Verify(t.Context(), tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Email    string `json:"email"`
		Username string `json:"preferred_username"`
	}
	_ = idt.Claims(&claims)
	if claims.Email != "alice@example.com" || claims.Username != "alice" {
		t.Errorf("migrated user's claims: %+v", claims)
	}
	users := e.ts.Must(e.ts.Do("GET", "/admin/v1/tenants/acme/users?source=legacy", e.key, nil), 200, "list users")
	if list, _ := users.JSON["users"].([]any); len(list) != 1 {
		t.Fatalf("legacy users after the page's sign-in: %s", users.Body)
	}

	// A failing module (an unknown hash format) shows "try again later",
	// not "wrong password".
	p := b.signIn(b.get(app.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "login"))),
		"mallory@example.com", "hunter2")
	if p.status != http.StatusServiceUnavailable || !strings.Contains(p.body, "Try again later") || strings.Contains(p.body, "Wrong") {
		t.Errorf("module failure page: %d %s", p.status, p.body)
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	app := newRP(t, e, e.clientID, e.secret)
	verifier := oauth2.GenerateVerifier()
	q, b := e.authorize(t, app, verifier)
	tok, err := app.conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	hint := tok.Extra("id_token").(string)
	sso := func(b *browser) bool {
		p := b.get(app.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
		return p.status == http.StatusFound
	}
	if !sso(b) {
		t.Fatal("no single sign-on before logout")
	}

	// Without a hint: a confirmation page, and the session lives on.
	p := b.get(e.issuer + "/logout?" + url.Values{"client_id": {e.clientID}, "post_logout_redirect_uri": {"https://app.example/bye"}}.Encode())
	if p.status != 200 || !strings.Contains(p.body, "Sign out") || !strings.HasSuffix(p.url.Path, "/logout/confirm") {
		t.Fatalf("logout without a hint: %d %s %s", p.status, p.url, p.body)
	}
	if !sso(b) {
		t.Fatal("a logout link without a hint ended the session")
	}
	confirmForm := formFields(p.body)
	if confirmForm.Get("to") != "https://app.example/bye" {
		t.Fatalf("the confirmation form does not carry the validated redirect: %v", confirmForm)
	}
	// A redirect changed in the form is not followed: the signed-out page.
	stop := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	b.http.CheckRedirect = stop
	tampered := url.Values{"csrf": {confirmForm.Get("csrf")}, "to": {"https://evil.example/"}, "mac": {confirmForm.Get("mac")}}
	if p := b.post(e.issuer+"/logout/confirm", tampered); p.location != e.issuer+"/signed-out" {
		t.Fatalf("confirmed logout with a changed redirect went to %q", p.location)
	}
	// Confirmed: back to the app.
	q, b = e.authorize(t, app, verifier)
	p = b.get(e.issuer + "/logout?" + url.Values{"client_id": {e.clientID}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"st"}}.Encode())
	b.http.CheckRedirect = stop
	if p := b.post(e.issuer+"/logout/confirm", formFields(p.body)); p.location != "https://app.example/bye?state=st" {
		t.Fatalf("confirmed logout went to %q", p.location)
	}
	b.http.CheckRedirect = newBrowser(t).http.CheckRedirect
	if sso(b) {
		t.Fatal("single sign-on after a confirmed logout")
	}
	// A fresh session for the rest of the test.
	q, b = e.authorize(t, app, verifier)
	tok, err = app.conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	hint = tok.Extra("id_token").(string)
	// An unregistered post_logout_redirect_uri is refused.
	b.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p = b.get(e.issuer + "/logout?" + url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://evil.example/"}}.Encode())
	if p.status < 400 || strings.Contains(p.location, "evil") {
		t.Fatalf("unregistered post_logout_redirect_uri: %d %q", p.status, p.location)
	}
	// With the hint: the session ends, back to the app with state.
	p = b.get(e.issuer + "/logout?" + url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"xyz"}}.Encode())
	if p.status != http.StatusFound || p.location != "https://app.example/bye?state=xyz" {
		t.Fatalf("logout with a hint: %d %q %s", p.status, p.location, p.body)
	}
	b.http.CheckRedirect = newBrowser(t).http.CheckRedirect
	if sso(b) {
		t.Fatal("single sign-on after logout")
	}
}

func TestConfirmedLogoutAndPasswordChange(t *testing.T) {
	e := newEnv(t)
	app := newRP(t, e, e.clientID, e.secret)
	verifier := oauth2.GenerateVerifier()
	sso := func(b *browser) bool {
		return b.get(app.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))).status == http.StatusFound
	}
	_, b := e.authorize(t, app, verifier)
	confirm := b.get(e.issuer + "/logout")
	form := formFields(confirm.body)
	if p := newBrowser(t).post(e.issuer+"/logout/confirm", form); p.status != http.StatusForbidden {
		t.Errorf("confirmation posted from another browser: %d", p.status)
	}
	if !sso(b) {
		t.Fatal("a refused confirmation ended the session")
	}
	if p := b.post(e.issuer+"/logout/confirm", form); p.status != 200 || !strings.Contains(p.body, "signed out") {
		t.Fatalf("confirmed logout: %d %s", p.status, p.body)
	}
	if sso(b) {
		t.Fatal("single sign-on after a confirmed logout")
	}

	// A password change ends the browser session.
	_, b = e.authorize(t, app, verifier)
	login := e.ts.Must(e.ts.Login(e.tenant, e.email, userPassword), 200, "v1 login")
	e.ts.Must(e.ts.Do("POST", "/t/acme/password", login.Str("access_token"), map[string]any{
		"current_password": userPassword, "new_password": "another long passphrase 7",
	}), 204, "change password")
	if sso(b) {
		t.Fatal("single sign-on after a password change")
	}

	// Deleting the user ends the browser session.
	e.ts.Must(e.ts.Register(e.tenant, "cy@example.com", userPassword), 201, "register")
	b = newBrowser(t)
	codeOf(t, b.signIn(b.get(app.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))), "cy@example.com", userPassword))
	if !sso(b) {
		t.Fatal("no single sign-on for the new user")
	}
	users := e.ts.Must(e.ts.Do("GET", "/admin/v1/tenants/acme/users", e.key, nil), 200, "list users")
	for _, u := range users.JSON["users"].([]any) {
		if m := u.(map[string]any); m["email"] == "cy@example.com" {
			e.ts.Must(e.ts.Do("DELETE", "/admin/v1/tenants/acme/users/"+m["id"].(string), e.key, nil), 204, "delete user")
		}
	}
	if sso(b) {
		t.Fatal("single sign-on after the user was deleted")
	}
}

func TestRegistrationPage(t *testing.T) {
	e := newEnv(t)
	app := newRP(t, e, e.clientID, e.secret)
	verifier := oauth2.GenerateVerifier()
	b := newBrowser(t)
	start := b.get(app.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	link := regexpFind(t, start.body, `href="([^"]*/signup\?id=[^"]*)"`)
	form := b.get(strings.ReplaceAll(link, "&amp;", "&"))
	if form.status != 200 || !strings.Contains(form.body, `<label for="email">`) {
		t.Fatalf("registration page: %d %s", form.status, form.body)
	}
	post := func(b *browser, email, pw string, fields url.Values) *page {
		f := url.Values{"id": {fields.Get("id")}, "csrf": {fields.Get("csrf")}, "email": {email}, "password": {pw}}
		return b.post(form.url.String(), f)
	}
	fields := formFields(form.body)
	if p := post(newBrowser(t), "bo@example.com", userPassword, fields); p.status != http.StatusForbidden {
		t.Errorf("registration posted from another browser: %d", p.status)
	}
	if p := post(b, e.email, userPassword, fields); p.status != http.StatusConflict || !strings.Contains(p.body, "exists") {
		t.Errorf("taken email: %d", p.status)
	}
	if p := post(b, "bo@example.com", "password", fields); p.status != http.StatusUnprocessableEntity {
		t.Errorf("weak password: %d", p.status)
	}
	q := codeOf(t, post(b, "bo@example.com", userPassword, fields))
	tok, err := app.conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	info, err := app.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
	if err != nil || info.Email != "bo@example.com" {
		t.Fatalf("userinfo of the new user: %+v %v", info, err)
	}
	// The new user signs in with v1's JSON /login too.
	e.ts.Must(e.ts.Login(e.tenant, "bo@example.com", userPassword), 200, "v1 login of the new user")
}

func regexpFind(t *testing.T, s, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in %s", pattern, s)
	}
	return m[1]
}

func TestBranding(t *testing.T) {
	e := newEnv(t)
	path := "/admin/v1/tenants/acme/branding"
	for _, bad := range []map[string]any{
		{"logo_url": "http://cdn.example/logo.png"},
		{"logo_url": "javascript:alert(1)"},
		{"logo_url": "https://cdn.example/a'b.png"},
		{"accent_color": "red;background:url(x)"},
		{"display_name": strings.Repeat("x", 201)},
	} {
		if r := e.ts.Do("PUT", path, e.key, bad); r.Status != 400 {
			t.Errorf("branding %v: %s", bad, r)
		}
	}
	e.ts.Must(e.ts.Do("PUT", path, e.key, map[string]any{
		"display_name": "Acme Corp", "logo_url": "https://cdn.example/logo.png", "accent_color": "#aa3300",
	}), 200, "set branding")
	if r := e.ts.Must(e.ts.Do("GET", path, e.key, nil), 200, "get branding"); r.Str("accent_color") != "#aa3300" {
		t.Errorf("branding = %s", r.Body)
	}
	app := newRP(t, e, e.clientID, e.secret)
	p := newBrowser(t).get(app.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	for _, want := range []string{"Acme Corp", `src="https://cdn.example/logo.png"`, "background:#aa3300"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the branded page lacks %s", want)
		}
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src https://cdn.example;") {
		t.Errorf("CSP = %q, want img-src of the logo's origin", csp)
	}
	// Empty fields return to the defaults.
	e.ts.Must(e.ts.Do("PUT", path, e.key, map[string]any{}), 200, "reset branding")
	p = newBrowser(t).get(app.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if strings.Contains(p.body, "Acme Corp") || strings.Contains(p.body, "<img") {
		t.Errorf("branding reset left %s", p.body)
	}
}
