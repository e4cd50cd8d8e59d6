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

// TestCodeExpiresAfter60s runs the provider alone (no Fiber) on a service
// whose clock the test moves, to see a code stop working after 60 s.
func TestCodeExpiresAfter60s(t *testing.T) {
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

	e := &env{issuer: base + "/t/acme", email: "ann@example.com"}
	verifier := oauth2.GenerateVerifier()
	code := func() string {
		b := newBrowser(t)
		q := url.Values{"client_id": {c.ID}, "redirect_uri": {rpRedirect}, "response_type": {"code"}, "scope": {"openid"},
			"state": {"s"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
		return codeOf(t, b.signIn(b.get(e.issuer+"/authorize?"+q.Encode()), e.email, userPassword)).Get("code")
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
