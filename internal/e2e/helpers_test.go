package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/server"
)

// operatorToken is the operator token of every server the tests start.
const operatorToken = "wao_e2e-operator-token-0123456789"

// cheapHash keeps argon2id fast in tests that are not about its cost.
var cheapHash = password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// TestMain removes the binary built by buildBinary after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// env is one running server and a client for it.
type env struct {
	t      testing.TB
	srv    *server.Server
	base   string
	client *http.Client
}

// withDefaultHash makes a server use the default argon2id parameters.
func withDefaultHash(c *server.Config) { c.Hash = password.Params{} }

// withLoginFailures lowers the failed-login limit per identifier.
func withLoginFailures(n int) func(*server.Config) {
	return func(c *server.Config) { c.LoginFailures = n }
}

// start runs an in-process server on 127.0.0.1 with a random port and a
// temporary data folder, with cheap argon2id parameters unless an option
// says otherwise, and stops it when the test ends.
func start(t testing.TB, opts ...func(*server.Config)) *env {
	t.Helper()
	cfg := server.Config{
		Addr:       "127.0.0.1:0",
		DataDir:    t.TempDir(),
		AdminToken: operatorToken,
		Hash:       cheapHash,
	}
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("starting the server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server stopped with an error: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("server did not stop within 20 s")
		}
	})
	e := &env{
		t:      t,
		srv:    srv,
		base:   srv.BaseURL(),
		client: &http.Client{Timeout: 30 * time.Second},
	}
	t.Cleanup(e.client.CloseIdleConnections)
	return e
}

// response is a fully read HTTP response.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) String() string {
	return fmt.Sprintf("%d %s", r.Status, r.Body)
}

// object decodes the body as a JSON object.
func (r *response) object(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %q", err, r.Body)
	}
	return m
}

// decode decodes the body into v.
func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding body: %v: %q", err, r.Body)
	}
}

// send sends a request with an optional bearer token and body.
func (e *env) send(method, path, token, contentType string, body []byte) *response {
	e.t.Helper()
	r, err := e.trySend(method, path, token, contentType, body)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// trySend is send that returns transport errors, for use off the test's
// goroutine.
func (e *env) trySend(method, path, token, contentType string, body []byte) (*response, error) {
	return sendTo(e.client, e.base, method, path, token, contentType, body)
}

func sendTo(client *http.Client, base, method, path, token, contentType string, body []byte) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
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

// do sends v as JSON (no body when v is nil).
func (e *env) do(method, path, token string, v any) *response {
	e.t.Helper()
	if v == nil {
		return e.send(method, path, token, "", nil)
	}
	return e.send(method, path, token, "application/json", mustJSON(e.t, v))
}

// form posts an application/x-www-form-urlencoded body.
func (e *env) form(path string, values url.Values) *response {
	e.t.Helper()
	return e.send(http.MethodPost, path, "", "application/x-www-form-urlencoded", []byte(values.Encode()))
}

// wantStatus fails the test unless r has the given status.
func wantStatus(t testing.TB, r *response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
}

// wantProblem checks that r is an RFC 9457 problem document with the
// contract's fields, the given status and code, and a request id header.
func wantProblem(t testing.TB, r *response, status int, code string) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d (%s); body %s", r.Status, status, code, r.Body)
	}
	checkProblemShape(t, r)
	p := r.object(t)
	if p["code"] != code {
		t.Fatalf("code %v, want %s; body %s", p["code"], code, r.Body)
	}
	return p
}

// checkProblemShape checks the problem+json form of a non-2xx answer: media
// type, type/title/status/detail/code, and the X-Request-Id header.
func checkProblemShape(t testing.TB, r *response) {
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
func wantOAuthError(t testing.TB, r *response, status int, code string) {
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
	r.decode(t, &o)
	if o.Error == nil || *o.Error != code {
		t.Fatalf("want error %q; body %s", code, r.Body)
	}
}

// createTenant creates a tenant as the operator and returns its API key.
func (e *env) createTenant(id string) string {
	e.t.Helper()
	r := e.do(http.MethodPost, "/admin/v1/tenants", operatorToken, map[string]string{"id": id, "name": id})
	wantStatus(e.t, r, http.StatusCreated)
	var out struct {
		APIKey string `json:"api_key"`
	}
	r.decode(e.t, &out)
	if out.APIKey == "" {
		e.t.Fatalf("no api_key in %s", r.Body)
	}
	return out.APIKey
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
	e.t.Helper()
	r := e.do(http.MethodPost, "/t/"+tenant+"/register", "", body)
	wantStatus(e.t, r, http.StatusCreated)
	var out struct {
		User userJSON `json:"user"`
	}
	r.decode(e.t, &out)
	if out.User.ID == "" {
		e.t.Fatalf("no user id in %s", r.Body)
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

// loginResp sends a login.
func (e *env) loginResp(tenant, identifier, pw string) *response {
	e.t.Helper()
	return e.do(http.MethodPost, "/t/"+tenant+"/login", "", map[string]string{"identifier": identifier, "password": pw})
}

// login logs in; the answer must be 200.
func (e *env) login(tenant, identifier, pw string) tokenJSON {
	e.t.Helper()
	r := e.loginResp(tenant, identifier, pw)
	wantStatus(e.t, r, http.StatusOK)
	var out tokenJSON
	r.decode(e.t, &out)
	return out
}

// refresh exchanges a refresh token at the token endpoint.
func (e *env) refresh(tenant, rt string) *response {
	e.t.Helper()
	return e.form("/t/"+tenant+"/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

// userinfo asks /userinfo with an access token.
func (e *env) userinfo(tenant, access string) *response {
	e.t.Helper()
	return e.send(http.MethodGet, "/t/"+tenant+"/userinfo", access, "", nil)
}
