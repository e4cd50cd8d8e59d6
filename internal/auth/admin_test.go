package auth_test

import (
	"context"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// TestScriptVersions: uploads number the versions, the active one cannot
// be deleted, another can, and a dry run calls the chosen version.
func TestScriptVersions(t *testing.T) {
	db := newLegacyDB(aliceRow())
	sc := db.scripts()
	var versions []int
	call := sc.CallFn
	sc.CallFn = func(ctx context.Context, c auth.ScriptCall) (*auth.ScriptResult, error) {
		versions = append(versions, c.Version)
		return call(ctx, c)
	}
	e := newEnv(t, sc)
	ctx := t.Context()
	v2, err := e.svc.UploadScript(ctx, "acme", []byte("\x00asm v2"), false, auth.Meta{})
	if err != nil || v2.Version != 2 {
		t.Fatalf("upload: %+v, %v", v2, err)
	}
	list, active, err := e.svc.Scripts(ctx, "acme")
	if err != nil || len(list) != 2 || active != 1 {
		t.Fatalf("scripts: %d, active %d, %v", len(list), active, err)
	}
	if err := e.svc.DeleteScript(ctx, "acme", 1, auth.Meta{}); auth.ErrorCode(err) != auth.CodeScriptActive {
		t.Fatalf("deleting the active version: %v", err)
	}
	if _, err := e.svc.ActivateScript(ctx, "acme", 2, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteScript(ctx, "acme", 1, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ActivateScript(ctx, "acme", 1, auth.Meta{}); auth.ErrorCode(err) != auth.CodeNotFound {
		t.Fatalf("activating a deleted version: %v", err)
	}
	res, serr, err := e.svc.TestScript(ctx, "acme", auth.ScriptTest{Op: auth.OpGetUser, Identifier: "alice"})
	if err != nil || serr != nil || res.User == nil || res.User.ID != "7" {
		t.Fatalf("dry run: %+v, %v, %v", res, serr, err)
	}
	if _, _, err := e.svc.TestScript(ctx, "acme", auth.ScriptTest{Op: "list_users", Identifier: "alice"}); auth.ErrorCode(err) != auth.CodeInvalidRequest {
		t.Fatalf("a dry run of list_users: %v", err)
	}
	if versions[len(versions)-1] != 2 {
		t.Fatalf("the dry run ran version %d, want 2", versions[len(versions)-1])
	}
	if us := e.users(t); len(us) != 0 {
		t.Fatalf("a dry run stored %d users", len(us))
	}
}

// TestClientTokens: a client's code exchange starts a session bound to it;
// its refresh token rotates with reuse detection, and serves no other
// client; a v1 refresh token is not a client's.
func TestClientTokens(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	u, err := e.register(t, realUser, auth.RegisterInput{Email: "ivy@example.com", Password: localPW})
	if err != nil {
		t.Fatal(err)
	}
	c, secret, err := e.svc.CreateClient(ctx, "acme", auth.ClientInput{
		Name: "App", Type: auth.ClientConfidential, RedirectURIs: []string{"https://app.example.com/cb"},
		GrantTypes: []string{auth.GrantAuthorizationCode, auth.GrantRefreshToken},
	}, auth.Meta{})
	if err != nil || !c.CheckSecret(secret) || !c.AllowsRedirect("https://app.example.com/cb") || c.AllowsRedirect("https://evil.example.com/cb") {
		t.Fatalf("client: %+v, %v", c, err)
	}
	if _, _, err := e.svc.CreateClient(ctx, "acme", auth.ClientInput{Name: "Bad", Type: auth.ClientPublic, RedirectURIs: []string{"http://app.example.com/cb"}}, auth.Meta{}); auth.ErrorCode(err) == "" {
		t.Fatal("a public client with a plain-http redirect to a remote host was accepted")
	}
	grant := auth.ClientGrant{Tenant: "acme", UserID: u.ID, ClientID: c.ID, Scopes: []string{"openid", "offline_access"}, AuthTime: e.svc.Now()}
	first, err := e.svc.IssueClientTokens(ctx, grant, true, auth.Meta{})
	if err != nil || first.RefreshToken == "" || first.Session.ClientID != c.ID {
		t.Fatalf("issue: %+v, %v", first, err)
	}
	if _, err := e.svc.RefreshClientTokens(ctx, "acme", "another-client", first.RefreshToken, auth.Meta{}); auth.ErrorCode(err) != auth.CodeInvalidGrant {
		t.Fatalf("refresh by another client: %v", err)
	}
	next, err := e.svc.RefreshClientTokens(ctx, "acme", c.ID, first.RefreshToken, auth.Meta{})
	if err != nil || next.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh: %v", err)
	}
	if _, err := e.svc.RefreshClientTokens(ctx, "acme", c.ID, first.RefreshToken, auth.Meta{}); auth.ErrorCode(err) != auth.CodeInvalidGrant {
		t.Fatalf("a reused client refresh token: %v", err)
	}
	if _, err := e.svc.RefreshClientTokens(ctx, "acme", c.ID, next.RefreshToken, auth.Meta{}); auth.ErrorCode(err) != auth.CodeInvalidGrant {
		t.Fatalf("the current token after a reuse: %v", err)
	}
	v1 := mustLogin(t, e, "ivy@example.com", localPW)
	if _, err := e.svc.ClientSession(ctx, "acme", v1.RefreshToken); auth.ErrorCode(err) != auth.CodeInvalidGrant {
		t.Fatalf("a v1 refresh token as a client's: %v", err)
	}
	// Without the refresh_token grant no refresh token is handed out.
	noRefresh, err := e.svc.IssueClientTokens(ctx, grant, false, auth.Meta{})
	if err != nil || noRefresh.RefreshToken != "" {
		t.Fatalf("issue without refresh: %+v, %v", noRefresh, err)
	}
	// One ID token key per algorithm: RS256, ES256, EdDSA.
	keys, err := e.svc.IDTokenKeys(ctx, "acme")
	if err != nil || len(keys) != 3 {
		t.Fatalf("ID token keys: %d, %v", len(keys), err)
	}
	if err := e.svc.DeleteClient(ctx, "acme", c.ID, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Client(ctx, "acme", c.ID); auth.ErrorCode(err) == "" {
		t.Fatal("a deleted client was found")
	}
}
