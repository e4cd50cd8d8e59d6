package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// TestMain removes the binary built by buildBinary after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// env is a client for one running server, with the e2e tests' typed helpers.
type env struct {
	testserver.Client
}

// withDefaultHash makes a server use the default argon2id parameters.
func withDefaultHash(c *server.Config) { c.Hash = password.DefaultParams }

// withLoginFailures lowers the failed-login limit per identifier.
func withLoginFailures(n int) func(*server.Config) {
	return func(c *server.Config) { c.LoginFailures = n }
}

// start runs an in-process server (see testserver.Start), with cheap
// argon2id parameters unless an option says otherwise, and stops it when
// the test ends.
func start(t testing.TB, opts ...func(*server.Config)) *env {
	t.Helper()
	var cfg server.Config
	for _, o := range opts {
		o(&cfg)
	}
	return &env{testserver.Start(t, cfg).Client}
}

// sendTo sends body with contentType to base+path with client, off the
// test's goroutine.
func sendTo(client *http.Client, base, method, path, token, contentType string, body []byte) (*testserver.Response, error) {
	return testserver.Send(client, method, base+path, token, testserver.Raw{ContentType: contentType, Body: body})
}

// mustJSON marshals v.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantStatus fails the test unless r has the given status.
func wantStatus(t testing.TB, r *testserver.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
}

// wantProblem checks that r is an RFC 9457 problem document with the
// contract's fields, the given status and code, and a request id header.
func wantProblem(t testing.TB, r *testserver.Response, status int, code string) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d (%s); body %s", r.Status, status, code, r.Body)
	}
	checkProblemShape(t, r)
	p := r.Object(t)
	if p["code"] != code {
		t.Fatalf("code %v, want %s; body %s", p["code"], code, r.Body)
	}
	return p
}

// checkProblemShape checks the problem+json form of a non-2xx answer: media
// type, type/title/status/detail/code, and the X-Request-Id header.
func checkProblemShape(t testing.TB, r *testserver.Response) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("Content-Type %q, want application/problem+json; body %s", ct, r.Body)
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Errorf("no X-Request-Id header")
	}
	var p struct {
		Type   *string  `json:"type"`
		Title  *string  `json:"title"`
		Status *float64 `json:"status"`
		Detail *string  `json:"detail"`
		Code   *string  `json:"code"`
	}
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("problem body is not JSON: %v: %q", err, r.Body)
	}
	switch {
	case p.Type == nil || *p.Type == "":
		t.Errorf("problem without type: %s", r.Body)
	case p.Title == nil || *p.Title == "":
		t.Errorf("problem without title: %s", r.Body)
	case p.Status == nil || int(*p.Status) != r.Status:
		t.Errorf("problem status does not match HTTP status %d: %s", r.Status, r.Body)
	case p.Detail == nil:
		t.Errorf("problem without detail: %s", r.Body)
	case p.Code == nil || *p.Code == "":
		t.Errorf("problem without code: %s", r.Body)
	}
}

// wantOAuthError checks an RFC 6749 section 5.2 error answer.
func wantOAuthError(t testing.TB, r *testserver.Response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d (%s); body %s", r.Status, status, code, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var o struct {
		Error *string `json:"error"`
	}
	r.Decode(t, &o)
	if o.Error == nil || *o.Error != code {
		t.Fatalf("want error %q; body %s", code, r.Body)
	}
}

// userJSON is the contract's user object.
type userJSON struct {
	ID            string         `json:"id"`
	Email         *string        `json:"email"`
	Username      *string        `json:"username"`
	EmailVerified bool           `json:"email_verified"`
	Name          *string        `json:"name"`
	Profile       map[string]any `json:"profile"`
	CreatedAt     time.Time      `json:"created_at"`
	Source        string         `json:"source"`
	LegacyID      *string        `json:"legacy_id"`
	MigratedAt    *time.Time     `json:"migrated_at"`
}

// register registers a user and returns it; the answer must be 201.
func (e *env) register(tenant string, body map[string]any) userJSON {
	e.T.Helper()
	r := e.Do(http.MethodPost, "/t/"+tenant+"/register", "", body)
	wantStatus(e.T, r, http.StatusCreated)
	var out struct {
		User userJSON `json:"user"`
	}
	r.Decode(e.T, &out)
	if out.User.ID == "" {
		e.T.Fatalf("no user id in %s", r.Body)
	}
	return out.User
}

// tokenJSON is a login or token endpoint answer.
type tokenJSON struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type"`
	ExpiresIn    int       `json:"expires_in"`
	RefreshToken string    `json:"refresh_token"`
	User         *userJSON `json:"user"`
}

// login logs in; the answer must be 200.
func (e *env) login(tenant, identifier, pw string) tokenJSON {
	e.T.Helper()
	r := e.Login(tenant, identifier, pw)
	wantStatus(e.T, r, http.StatusOK)
	var out tokenJSON
	r.Decode(e.T, &out)
	return out
}

// refresh exchanges a refresh token at the token endpoint.
func (e *env) refresh(tenant, rt string) *testserver.Response {
	e.T.Helper()
	return e.Do(http.MethodPost, "/t/"+tenant+"/oauth/token", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

// userinfo asks /userinfo with an access token.
func (e *env) userinfo(tenant, access string) *testserver.Response {
	e.T.Helper()
	return e.Send(http.MethodGet, "/t/"+tenant+"/userinfo", access, "", nil)
}
