package oidc_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/httpapi"
	"github.com/wasmauth/wasmauth/internal/oidc"
	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/store/badgerstore"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// clocked is the provider alone (no Fiber) on a service whose clock the
// test moves, with a tenant, a user and a confidential client.
type clocked struct {
	svc    *auth.Service
	clk    *clock
	e      *env
	c      *auth.Client
	secret string
}

func startClocked(t *testing.T) *clocked {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	st, err := badgerstore.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{now: time.Now().UTC()}
	svc := auth.NewService(auth.Config{BaseURL: base}, auth.Deps{
		Store: st, Hasher: password.NewHasher(password.Config{Params: testserver.CheapHash}), Now: clk.Now,
	})
	t.Cleanup(func() { svc.Close() })
	ctx := t.Context()
	if _, _, err := svc.CreateTenant(ctx, "acme", "Acme", auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Register(ctx, "acme", auth.RegisterInput{Email: "ann@example.com", Password: userPassword}, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	c, secret, err := svc.CreateClient(ctx, "acme", auth.ClientInput{Name: "App", Type: auth.ClientConfidential, RedirectURIs: []string{"http://127.0.0.1/cb"}}, auth.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	p := oidc.New(svc, st, nil, httpapi.StatusOf, nil)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, err := p.Handler(r.Context(), "acme")
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		h.ServeHTTP(w, r)
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return &clocked{svc: svc, clk: clk, e: &env{issuer: base + "/t/acme", email: "ann@example.com"}, c: c, secret: secret}
}

// authorizeURL is an authorization request of the client with PKCE.
func (k *clocked) authorizeURL(verifier string) string {
	q := url.Values{"client_id": {k.c.ID}, "redirect_uri": {rpRedirect}, "response_type": {"code"}, "scope": {"openid"},
		"state": {"s"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	return k.e.issuer + "/authorize?" + q.Encode()
}

// TestCodeExpiresAfter60s sees a code stop working after 60 s.
func TestCodeExpiresAfter60s(t *testing.T) {
	k := startClocked(t)
	clk, e, c, secret := k.clk, k.e, k.c, k.secret
	verifier := oauth2.GenerateVerifier()
	code := func() string {
		b := newBrowser(t)
		return codeOf(t, b.signIn(b.get(k.authorizeURL(verifier)), e.email, userPassword)).Get("code")
	}
	exchange := func(code string) *page {
		return e.tokenRequest(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirect}, "code_verifier": {verifier}}, c.ID, secret)
	}
	fresh := code()
	clk.Add(59 * time.Second)
	if r := exchange(fresh); r.status != 200 {
		t.Fatalf("a 59 s old code: %d %s", r.status, r.body)
	}
	stale := code()
	clk.Add(61 * time.Second)
	if r := exchange(stale); r.status != 400 || !strings.Contains(r.body, "invalid_grant") {
		t.Fatalf("a 61 s old code: %d %s", r.status, r.body)
	}
}

// TestBrowserSessionLastsTheTenantsSetting: a tenant whose settings make
// browser sessions last 10 minutes gives single sign-on for 10 minutes (the
// cookie says so too), then asks for the password again; sessions started
// before a change keep their end.
func TestBrowserSessionLastsTheTenantsSetting(t *testing.T) {
	k := startClocked(t)
	ctx := t.Context()
	verifier := oauth2.GenerateVerifier()
	// A session of the default length: 24 h.
	def := newBrowser(t)
	codeOf(t, def.signIn(def.get(k.authorizeURL(verifier)), k.e.email, userPassword))
	if _, err := k.svc.SetSettings(ctx, "acme", auth.Settings{BrowserSessionTTL: 10 * time.Minute}, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	form := b.get(k.authorizeURL(verifier))
	fields := formFields(form.body)
	fields.Set("identifier", k.e.email)
	fields.Set("password", userPassword)
	post, _ := http.NewRequest("POST", form.url.String(), strings.NewReader(fields.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	noFollow := *b.http
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Do(post)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var maxAge int
	for _, ck := range resp.Cookies() {
		if ck.Name == "wasmauth_session" {
			maxAge = ck.MaxAge
		}
	}
	if maxAge != 600 {
		t.Fatalf("the session cookie's Max-Age = %d, want 600", maxAge)
	}
	// Follow on to the app, so the request completes.
	codeOf(t, b.get(k.authorizeURL(verifier)))

	k.clk.Add(9 * time.Minute)
	codeOf(t, b.get(k.authorizeURL(verifier))) // single sign-on
	k.clk.Add(2 * time.Minute)
	if p := b.get(k.authorizeURL(verifier)); p.status != 200 || !strings.Contains(p.body, `name="password"`) {
		t.Fatalf("after 11 minutes: %d %q, want the sign-in form", p.status, p.location)
	}
	// The session started before the change keeps its 24 h.
	codeOf(t, def.get(k.authorizeURL(verifier)))

	if _, err := k.svc.SetSettings(ctx, "acme", auth.Settings{BrowserSessionTTL: 10 * time.Second}, auth.Meta{}); auth.ErrorCode(err) != auth.CodeInvalidRequest {
		t.Fatalf("10 s: %v", err)
	}
}
