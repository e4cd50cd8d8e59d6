package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// RunOIDC runs the conformance tests of the OpenID Provider's records
// (clients) against stores made by newStore.
func RunOIDC(t *testing.T, newStore func(t *testing.T) auth.Store) {
	groups := []struct {
		name string
		run  func(*testing.T, NewStore)
	}{
		{"Clients", testClients},
		{"ClientIsolation", testClientIsolation},
		{"ConcurrentClientUpdates", testConcurrentClientUpdates},
		{"ClientBackup", testClientBackup},
		{"AuthRequests", testAuthRequests},
		{"ClientSessions", testClientSessions},
		{"CodeSessions", testCodeSessions},
		{"BrowserSessions", testBrowserSessions},
		{"Branding", testBranding},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, newStore) })
	}
}

func newClient(tenant, id string, minutes int) *auth.Client {
	return &auth.Client{
		ID:                     id,
		Tenant:                 tenant,
		Name:                   "App " + id,
		Type:                   auth.ClientConfidential,
		SecretHash:             auth.HashSecret("secret of " + id),
		RedirectURIs:           []string{"https://app.example/cb", "http://127.0.0.1/cb"},
		PostLogoutRedirectURIs: []string{"https://app.example/bye"},
		GrantTypes:             []string{auth.GrantAuthorizationCode, auth.GrantRefreshToken},
		IDTokenAlg:             "RS256",
		CreatedAt:              at(minutes),
		UpdatedAt:              at(minutes),
	}
}

func clientIDs(list []*auth.Client) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = c.ID
	}
	return out
}

func testClients(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "a")

	wantErr(t, "CreateClient of an unknown tenant", s.CreateClient(ctx, newClient("nope", "c-0", 0)), auth.ErrNotFound)
	// Stored out of creation order: the list follows CreatedAt.
	c2, c1 := newClient("a", "c-2", 2), newClient("a", "c-1", 1)
	for _, c := range []*auth.Client{c2, c1} {
		if err := s.CreateClient(ctx, c); err != nil {
			t.Fatalf("CreateClient(%s): %v", c.ID, err)
		}
	}
	if err := s.CreateClient(ctx, newClient("a", "c-1", 5)); err == nil {
		t.Fatal("CreateClient with a taken id succeeded")
	}
	got, err := s.GetClient(ctx, "a", "c-1")
	wantErr(t, "GetClient", err, nil)
	same(t, "GetClient", got, c1)
	_, err = s.GetClient(ctx, "a", "missing")
	wantErr(t, "GetClient(missing)", err, auth.ErrNotFound)

	list, err := s.ListClients(ctx, "a")
	wantErr(t, "ListClients", err, nil)
	if ids := clientIDs(list); len(ids) != 2 || ids[0] != "c-1" || ids[1] != "c-2" {
		t.Fatalf("ListClients = %v, want [c-1 c-2]", ids)
	}
	if list, err := s.ListClients(ctx, "nope"); err != nil || len(list) != 0 {
		t.Fatalf("ListClients(unknown tenant) = %v, %v; want empty", list, err)
	}

	up, err := s.UpdateClient(ctx, "a", "c-1", func(c *auth.Client) error {
		c.Name = "Renamed"
		c.RedirectURIs = []string{"https://other.example/cb"}
		c.ID = "hijack" // ignored: the id is not the caller's to change
		return nil
	})
	wantErr(t, "UpdateClient", err, nil)
	if up.ID != "c-1" || up.Name != "Renamed" {
		t.Fatalf("UpdateClient returned %+v", up)
	}
	got, _ = s.GetClient(ctx, "a", "c-1")
	same(t, "client after update", got, up)
	boom := errors.New("boom")
	_, err = s.UpdateClient(ctx, "a", "c-1", func(c *auth.Client) error { c.Name = "lost"; return boom })
	wantErr(t, "UpdateClient with failing fn", err, boom)
	if got, _ := s.GetClient(ctx, "a", "c-1"); got.Name != "Renamed" {
		t.Fatalf("a failed update was stored: %q", got.Name)
	}
	_, err = s.UpdateClient(ctx, "a", "missing", func(*auth.Client) error { return nil })
	wantErr(t, "UpdateClient(missing)", err, auth.ErrNotFound)

	wantErr(t, "DeleteClient", s.DeleteClient(ctx, "a", "c-1"), nil)
	wantErr(t, "DeleteClient again", s.DeleteClient(ctx, "a", "c-1"), auth.ErrNotFound)
	_, err = s.GetClient(ctx, "a", "c-1")
	wantErr(t, "GetClient after delete", err, auth.ErrNotFound)
	if list, _ := s.ListClients(ctx, "a"); len(list) != 1 || list[0].ID != "c-2" {
		t.Fatalf("ListClients after delete = %v", clientIDs(list))
	}
}

func testClientIsolation(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "a")
	mustTenant(t, s, "b")
	if err := s.CreateClient(ctx, newClient("a", "c-1", 1)); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetClient(ctx, "b", "c-1")
	wantErr(t, "GetClient from another tenant", err, auth.ErrNotFound)
	_, err = s.UpdateClient(ctx, "b", "c-1", func(*auth.Client) error { return nil })
	wantErr(t, "UpdateClient from another tenant", err, auth.ErrNotFound)
	wantErr(t, "DeleteClient from another tenant", s.DeleteClient(ctx, "b", "c-1"), auth.ErrNotFound)
	if list, _ := s.ListClients(ctx, "b"); len(list) != 0 {
		t.Fatalf("tenant b lists a's clients: %v", clientIDs(list))
	}
	wantErr(t, "DeleteTenant", s.DeleteTenant(ctx, "a"), nil)
	mustTenant(t, s, "a")
	_, err = s.GetClient(ctx, "a", "c-1")
	wantErr(t, "GetClient after the tenant was deleted and made again", err, auth.ErrNotFound)
}

func testConcurrentClientUpdates(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "a")
	c := newClient("a", "c-1", 1)
	c.RedirectURIs = nil
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	const n = 16
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := s.UpdateClient(ctx, "a", "c-1", func(c *auth.Client) error {
				c.RedirectURIs = append(c.RedirectURIs, "https://app.example/"+string(rune('a'+i)))
				return nil
			})
			if err != nil {
				t.Errorf("UpdateClient: %v", err)
			}
		})
	}
	wg.Wait()
	got, _ := s.GetClient(ctx, "a", "c-1")
	if len(got.RedirectURIs) != n {
		t.Fatalf("%d concurrent appends left %d URIs: updates were lost", n, len(got.RedirectURIs))
	}
}

// testClientBackup checks that a backup carries what the OpenID Provider
// needs after a restore (clients with their secret hashes and order, the
// tenant's branding, a client session's binding) and leaves out what is
// ephemeral (authorization requests and browser sessions).
func testClientBackup(t *testing.T, newStore NewStore) {
	src := newStore(t)
	ctx := t.Context()
	now := sessionClock()
	mustTenant(t, src, "a")
	branding := &auth.Branding{DisplayName: "Acme", LogoURL: "https://cdn.example/logo.png", AccentColor: "#aa3300"}
	if _, err := src.UpdateTenant(ctx, "a", func(tn *auth.Tenant) error { tn.Branding = branding; return nil }); err != nil {
		t.Fatal(err)
	}
	want := newClient("a", "c-2", 1)
	public := newClient("a", "c-1", 2)
	public.Type, public.SecretHash = auth.ClientPublic, nil
	for _, c := range []*auth.Client{want, public} {
		if err := src.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	mustUser(t, src, newUser("a", "u-1", "ann@example.com", "ann"))
	sess := &auth.Session{ID: "s-1", Tenant: "a", UserID: "u-1", CreatedAt: now, ExpiresAt: now.Add(time.Hour),
		ClientID: "c-2", Scopes: []string{"openid", "offline_access"}, AuthTime: now.Add(-time.Minute)}
	if err := src.CreateSession(ctx, sess, hash("r-1")); err != nil {
		t.Fatal(err)
	}
	ar := &auth.AuthRequest{ID: "ar-1", Tenant: "a", ClientID: "c-2", RedirectURI: "https://app.example/cb",
		ResponseType: "code", CreatedAt: now, ExpiresAt: time.Now().Add(time.Hour)}
	wantErr(t, "CreateAuthRequest", src.CreateAuthRequest(ctx, ar), nil)
	bs := &auth.BrowserSession{IDHash: hash("b-1"), Tenant: "a", UserID: "u-1", AuthTime: now, CreatedAt: now, ExpiresAt: time.Now().Add(time.Hour)}
	wantErr(t, "CreateBrowserSession", src.CreateBrowserSession(ctx, bs), nil)

	var buf bytes.Buffer
	if err := auth.WriteBackup(ctx, src, &buf, now); err != nil {
		t.Fatal(err)
	}
	dst := newStore(t)
	if err := auth.RestoreBackup(ctx, dst, &buf); err != nil {
		t.Fatal(err)
	}
	got, err := dst.GetClient(ctx, "a", "c-2")
	wantErr(t, "GetClient after restore", err, nil)
	same(t, "restored client", got, want)
	if !got.CheckSecret("secret of c-2") {
		t.Error("the restored client's secret does not match")
	}
	list, err := dst.ListClients(ctx, "a")
	if err != nil || len(list) != 2 || list[0].ID != "c-2" || list[1].ID != "c-1" {
		t.Fatalf("ListClients after restore: %v, %v; want c-2, c-1 (creation order)", list, err)
	}
	tn, err := dst.GetTenant(ctx, "a")
	wantErr(t, "GetTenant after restore", err, nil)
	same(t, "restored branding", tn.Branding, branding)
	gs, err := dst.SessionByRefreshToken(ctx, "a", hash("r-1"))
	wantErr(t, "SessionByRefreshToken after restore", err, nil)
	same(t, "restored client session", gs, sess)
	_, err = dst.GetAuthRequest(ctx, "a", "ar-1")
	wantErr(t, "GetAuthRequest after restore (not carried)", err, auth.ErrNotFound)
	_, err = dst.GetBrowserSession(ctx, "a", hash("b-1"))
	wantErr(t, "GetBrowserSession after restore (not carried)", err, auth.ErrNotFound)
}

func testAuthRequests(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "a")
	mustTenant(t, s, "b")
	now := sessionClock()
	maxAge := uint(300)
	r := &auth.AuthRequest{
		ID: "ar-1", Tenant: "a", ClientID: "c-1", RedirectURI: "https://app.example/cb", State: "st",
		Nonce: "n", Scopes: []string{"openid", "email"}, ResponseType: "code", CodeChallenge: "ch",
		CodeChallengeMethod: "S256", Prompt: []string{"login"}, MaxAge: &maxAge, LoginHint: "ann",
		CreatedAt: now, ExpiresAt: now.Add(time.Hour),
	}
	wantErr(t, "CreateAuthRequest of an unknown tenant", s.CreateAuthRequest(ctx, &auth.AuthRequest{ID: "x", Tenant: "nope", ExpiresAt: now.Add(time.Hour)}), auth.ErrNotFound)
	wantErr(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r), nil)
	got, err := s.GetAuthRequest(ctx, "a", "ar-1")
	wantErr(t, "GetAuthRequest", err, nil)
	same(t, "GetAuthRequest", got, r)
	_, err = s.GetAuthRequest(ctx, "b", "ar-1")
	wantErr(t, "GetAuthRequest from another tenant", err, auth.ErrNotFound)

	code := hash("code-1")
	up, err := s.UpdateAuthRequest(ctx, "a", "ar-1", func(r *auth.AuthRequest) error {
		r.UserID, r.AuthTime, r.CodeHash, r.CodeExpiresAt = "u-1", now, code, now.Add(time.Minute)
		return nil
	})
	wantErr(t, "UpdateAuthRequest", err, nil)
	byCode, err := s.AuthRequestByCode(ctx, "a", code)
	wantErr(t, "AuthRequestByCode", err, nil)
	same(t, "AuthRequestByCode", byCode, up)
	_, err = s.AuthRequestByCode(ctx, "b", code)
	wantErr(t, "AuthRequestByCode from another tenant", err, auth.ErrNotFound)
	_, err = s.AuthRequestByCode(ctx, "a", hash("other"))
	wantErr(t, "AuthRequestByCode(unknown)", err, auth.ErrNotFound)

	// A new code replaces the old one in the index.
	if _, err := s.UpdateAuthRequest(ctx, "a", "ar-1", func(r *auth.AuthRequest) error { r.CodeHash = hash("code-2"); return nil }); err != nil {
		t.Fatal(err)
	}
	_, err = s.AuthRequestByCode(ctx, "a", code)
	wantErr(t, "AuthRequestByCode(replaced code)", err, auth.ErrNotFound)

	wantErr(t, "DeleteAuthRequest", s.DeleteAuthRequest(ctx, "a", "ar-1"), nil)
	_, err = s.GetAuthRequest(ctx, "a", "ar-1")
	wantErr(t, "GetAuthRequest after delete", err, auth.ErrNotFound)
	_, err = s.AuthRequestByCode(ctx, "a", hash("code-2"))
	wantErr(t, "AuthRequestByCode after delete", err, auth.ErrNotFound)
	wantErr(t, "DeleteAuthRequest again", s.DeleteAuthRequest(ctx, "a", "ar-1"), auth.ErrNotFound)

	// An expired request is gone at once, though the backend drops it later.
	old := &auth.AuthRequest{ID: "ar-2", Tenant: "a", ClientID: "c", CodeHash: hash("code-3"), CreatedAt: now, ExpiresAt: time.Now().Add(50 * time.Millisecond)}
	wantErr(t, "CreateAuthRequest(short)", s.CreateAuthRequest(ctx, old), nil)
	time.Sleep(100 * time.Millisecond)
	_, err = s.GetAuthRequest(ctx, "a", "ar-2")
	wantErr(t, "GetAuthRequest(expired)", err, auth.ErrNotFound)
	_, err = s.AuthRequestByCode(ctx, "a", hash("code-3"))
	wantErr(t, "AuthRequestByCode(expired)", err, auth.ErrNotFound)
}

func testClientSessions(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "a")
	if err := s.CreateUser(ctx, newUser("a", "u-1", "ann@example.com", "ann")); err != nil {
		t.Fatal(err)
	}
	now := sessionClock()
	sess := &auth.Session{ID: "s-1", Tenant: "a", UserID: "u-1", CreatedAt: now, ExpiresAt: now.Add(time.Hour),
		ClientID: "c-1", Scopes: []string{"openid", "offline_access"}, AuthTime: now.Add(-time.Minute)}
	if err := s.CreateSession(ctx, sess, hash("r-1")); err != nil {
		t.Fatal(err)
	}
	got, err := s.SessionByRefreshToken(ctx, "a", hash("r-1"))
	wantErr(t, "SessionByRefreshToken", err, nil)
	same(t, "SessionByRefreshToken", got, sess)
	if _, err := s.RotateRefreshToken(ctx, "a", hash("r-1"), hash("r-2"), now); err != nil {
		t.Fatal(err)
	}
	// Both the rotated and the current token still name the session.
	for _, r := range []string{"r-1", "r-2"} {
		got, err := s.SessionByRefreshToken(ctx, "a", hash(r))
		wantErr(t, "SessionByRefreshToken("+r+")", err, nil)
		if got.ClientID != "c-1" || len(got.Scopes) != 2 {
			t.Fatalf("session of %s lost its client binding: %+v", r, got)
		}
	}
	_, err = s.SessionByRefreshToken(ctx, "a", hash("nope"))
	wantErr(t, "SessionByRefreshToken(unknown)", err, auth.ErrNotFound)
}

// storeWithAnn returns a new store with the tenants a and b, and the user
// u-1 of a.
func storeWithAnn(t *testing.T, newStore NewStore) auth.Store {
	t.Helper()
	s := newStore(t)
	mustTenant(t, s, "a")
	mustTenant(t, s, "b")
	if err := s.CreateUser(t.Context(), newUser("a", "u-1", "ann@example.com", "ann")); err != nil {
		t.Fatal(err)
	}
	return s
}

// testCodeSessions checks CreateCodeSession: a code's session and the mark
// on its authorization request are stored together, once.
func testCodeSessions(t *testing.T, newStore NewStore) {
	s := storeWithAnn(t, newStore)
	ctx := t.Context()
	now := sessionClock()
	newRequest := func(id string) *auth.AuthRequest {
		r := &auth.AuthRequest{ID: id, Tenant: "a", ClientID: "c-1", RedirectURI: "https://app.example/cb",
			Scopes: []string{"openid"}, ResponseType: "code", UserID: "u-1", AuthTime: now, CodeHash: hash("code-" + id),
			CodeExpiresAt: now.Add(time.Minute), CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
		if err := s.CreateAuthRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	newSession := func(id string) *auth.Session {
		return &auth.Session{ID: id, Tenant: "a", UserID: "u-1", CreatedAt: now, ExpiresAt: now.Add(time.Hour),
			ClientID: "c-1", Scopes: []string{"openid"}, AuthTime: now}
	}
	r := newRequest("ar-1")
	sess := newSession("s-1")
	wantErr(t, "CreateCodeSession", s.CreateCodeSession(ctx, sess, hash("r-1"), r.ID), nil)
	got, err := s.SessionByRefreshToken(ctx, "a", hash("r-1"))
	wantErr(t, "SessionByRefreshToken", err, nil)
	same(t, "SessionByRefreshToken", got, sess)
	used, err := s.AuthRequestByCode(ctx, "a", r.CodeHash)
	wantErr(t, "AuthRequestByCode after the exchange", err, nil)
	want := *r
	want.SessionID = "s-1"
	same(t, "the exchanged request", used, &want)

	// A second exchange stores nothing.
	wantErr(t, "CreateCodeSession again", s.CreateCodeSession(ctx, newSession("s-2"), hash("r-2"), r.ID), auth.ErrCodeUsed)
	_, err = s.GetSession(ctx, "a", "s-2")
	wantErr(t, "GetSession of the refused exchange", err, auth.ErrNotFound)
	_, err = s.SessionByRefreshToken(ctx, "a", hash("r-2"))
	wantErr(t, "SessionByRefreshToken of the refused exchange", err, auth.ErrNotFound)
	if again, _ := s.GetAuthRequest(ctx, "a", r.ID); again == nil || again.SessionID != "s-1" {
		t.Fatalf("the request's session after a refused exchange: %+v", again)
	}

	wantErr(t, "CreateCodeSession of an unknown request", s.CreateCodeSession(ctx, newSession("s-3"), hash("r-3"), "nope"), auth.ErrNotFound)
	other := newSession("s-4")
	other.Tenant = "b"
	wantErr(t, "CreateCodeSession of another tenant's request", s.CreateCodeSession(ctx, other, hash("r-4"), "ar-2x"), auth.ErrNotFound)
	newRequest("ar-2")
	other.ID = "s-5"
	wantErr(t, "CreateCodeSession of another tenant's request", s.CreateCodeSession(ctx, other, hash("r-5"), "ar-2"), auth.ErrNotFound)
	ghost := newSession("s-6")
	ghost.UserID = "ghost"
	wantErr(t, "CreateCodeSession of an unknown user", s.CreateCodeSession(ctx, ghost, hash("r-6"), "ar-2"), auth.ErrNotFound)
	if r2, err := s.GetAuthRequest(ctx, "a", "ar-2"); err != nil || r2.SessionID != "" {
		t.Fatalf("a failed exchange marked the request: %+v, %v", r2, err)
	}
	for _, id := range []string{"s-3", "s-5", "s-6"} {
		if _, err := s.GetSession(ctx, "a", id); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("session %s of a failed exchange: %v", id, err)
		}
	}

	// Concurrent exchanges of one code: exactly one gets a session.
	newRequest("ar-3")
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.CreateCodeSession(ctx, newSession(fmt.Sprintf("c-%d", i)), hash(fmt.Sprintf("rc-%d", i)), "ar-3")
		})
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("exchanges %d and %d of one code both got a session", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, auth.ErrCodeUsed):
			t.Fatalf("concurrent exchange %d: %v, want ErrCodeUsed", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no concurrent exchange got a session")
	}
	r3, err := s.GetAuthRequest(ctx, "a", "ar-3")
	if err != nil || r3.SessionID != fmt.Sprintf("c-%d", won) {
		t.Fatalf("the request's session: %+v, %v; want c-%d", r3, err, won)
	}
	for i := range n {
		_, err := s.GetSession(ctx, "a", fmt.Sprintf("c-%d", i))
		if (i == won) != (err == nil) {
			t.Fatalf("session c-%d (winner c-%d): %v", i, won, err)
		}
	}

	// An expired request gives no session.
	short := &auth.AuthRequest{ID: "ar-4", Tenant: "a", ClientID: "c-1", UserID: "u-1", CodeHash: hash("code-ar-4"),
		CreatedAt: now, ExpiresAt: time.Now().Add(50 * time.Millisecond)}
	wantErr(t, "CreateAuthRequest(short)", s.CreateAuthRequest(ctx, short), nil)
	time.Sleep(100 * time.Millisecond)
	wantErr(t, "CreateCodeSession of an expired request", s.CreateCodeSession(ctx, newSession("s-7"), hash("r-7"), "ar-4"), auth.ErrNotFound)
}

func testBrowserSessions(t *testing.T, newStore NewStore) {
	s := storeWithAnn(t, newStore)
	ctx := t.Context()
	now := sessionClock()
	b := &auth.BrowserSession{IDHash: hash("b-1"), Tenant: "a", UserID: "u-1", AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	wantErr(t, "CreateBrowserSession", s.CreateBrowserSession(ctx, b), nil)
	wantErr(t, "CreateBrowserSession of an unknown user",
		s.CreateBrowserSession(ctx, &auth.BrowserSession{IDHash: hash("b-2"), Tenant: "a", UserID: "ghost", ExpiresAt: now.Add(time.Hour)}), auth.ErrNotFound)
	got, err := s.GetBrowserSession(ctx, "a", hash("b-1"))
	wantErr(t, "GetBrowserSession", err, nil)
	same(t, "GetBrowserSession", got, b)
	_, err = s.GetBrowserSession(ctx, "b", hash("b-1"))
	wantErr(t, "GetBrowserSession from another tenant", err, auth.ErrNotFound)
	wantErr(t, "DeleteBrowserSession", s.DeleteBrowserSession(ctx, "a", hash("b-1")), nil)
	_, err = s.GetBrowserSession(ctx, "a", hash("b-1"))
	wantErr(t, "GetBrowserSession after delete", err, auth.ErrNotFound)
	wantErr(t, "DeleteBrowserSession again", s.DeleteBrowserSession(ctx, "a", hash("b-1")), nil)

	short := &auth.BrowserSession{IDHash: hash("b-3"), Tenant: "a", UserID: "u-1", AuthTime: now, CreatedAt: now, ExpiresAt: time.Now().Add(50 * time.Millisecond)}
	wantErr(t, "CreateBrowserSession(short)", s.CreateBrowserSession(ctx, short), nil)
	time.Sleep(100 * time.Millisecond)
	_, err = s.GetBrowserSession(ctx, "a", hash("b-3"))
	wantErr(t, "GetBrowserSession(expired)", err, auth.ErrNotFound)
}

func testBranding(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "a")
	want := &auth.Branding{DisplayName: "Acme", LogoURL: "https://cdn.example/logo.png", AccentColor: "#aa3300"}
	if _, err := s.UpdateTenant(ctx, "a", func(tn *auth.Tenant) error { tn.Branding = want; return nil }); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetTenant(ctx, "a")
	wantErr(t, "GetTenant", err, nil)
	same(t, "branding", got.Branding, want)
	if _, err := s.UpdateTenant(ctx, "a", func(tn *auth.Tenant) error { tn.Branding = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetTenant(ctx, "a"); got.Branding != nil {
		t.Fatalf("branding after reset: %+v", got.Branding)
	}
}
