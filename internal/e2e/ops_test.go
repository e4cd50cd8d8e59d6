package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/internal/testserver"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	e := start(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		t.Run(path, func(t *testing.T) {
			r := e.Do(http.MethodGet, path, "", nil)
			wantStatus(t, r, http.StatusOK)
			if r.Header.Get("X-Request-Id") == "" {
				t.Errorf("no X-Request-Id")
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	e := start(t)

	a, b := e.Do(http.MethodGet, "/healthz", "", nil), e.Do(http.MethodGet, "/healthz", "", nil)
	if a.Header.Get("X-Request-Id") == b.Header.Get("X-Request-Id") {
		t.Errorf("two requests share the id %q", a.Header.Get("X-Request-Id"))
	}

	// A well-formed id from the client is kept; a hostile one is replaced.
	for _, tc := range []struct {
		name, sent string
		kept       bool
	}{
		{"plain", "trace-abc.123_X", true},
		{"too long", strings.Repeat("a", 200), false},
		{"odd characters", "abc<script>", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, e.Base+"/t/nope/login", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Request-Id", tc.sent)
			resp, err := e.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := resp.Header.Get("X-Request-Id")
			if got == "" || (got == tc.sent) != tc.kept {
				t.Errorf("sent %q, got %q back, want kept=%v", tc.sent, got, tc.kept)
			}
		})
	}
}

// TestErrorsAreProblems sends a request for each kind of failure outside
// /oauth and checks that every answer is a problem document.
func TestErrorsAreProblems(t *testing.T) {
	t.Parallel()
	e := start(t, withLoginFailures(1))
	key := e.CreateTenant("acme")
	e.CreateTenant("globex")
	e.register("acme", map[string]any{"email": "alice@example.com", "password": "correct horse"})
	// One failure blocks the identifier "blocked".
	wantProblem(t, e.Login("acme", "blocked", "wrong"), 401, "invalid_credentials")

	tests := []struct {
		name        string
		method      string
		path        string
		token       string
		contentType string
		body        string
		status      int
		code        string
	}{
		{name: "unknown route", method: "GET", path: "/no/such/route", status: 404, code: "not_found"},
		{name: "unknown admin route", method: "GET", path: "/admin/v1/nothing", token: testserver.OperatorToken, status: 404, code: "not_found"},
		{name: "unknown route under a tenant", method: "GET", path: "/t/acme/nothing", status: 404},
		{name: "unauthorized", method: "GET", path: "/admin/v1/tenants", status: 401, code: "unauthorized"},
		{name: "forbidden", method: "GET", path: "/admin/v1/tenants/globex/users", token: key, status: 403, code: "forbidden"},
		{name: "tenant not found", method: "POST", path: "/t/nope/login", contentType: "application/json", body: `{"identifier":"a","password":"b"}`, status: 404, code: "tenant_not_found"},
		{name: "invalid tenant id", method: "POST", path: "/admin/v1/tenants", token: testserver.OperatorToken, contentType: "application/json", body: `{"id":"A B"}`, status: 400, code: "invalid_tenant_id"},
		{name: "tenant exists", method: "POST", path: "/admin/v1/tenants", token: testserver.OperatorToken, contentType: "application/json", body: `{"id":"acme"}`, status: 409, code: "tenant_exists"},
		{name: "bad JSON", method: "POST", path: "/t/acme/register", contentType: "application/json", body: `{`, status: 400, code: "invalid_request"},
		{name: "weak password", method: "POST", path: "/t/acme/register", contentType: "application/json", body: `{"email":"b@example.com","password":"short"}`, status: 422, code: "weak_password"},
		{name: "user exists", method: "POST", path: "/t/acme/register", contentType: "application/json", body: `{"email":"alice@example.com","password":"correct horse"}`, status: 409, code: "user_exists"},
		{name: "invalid credentials", method: "POST", path: "/t/acme/login", contentType: "application/json", body: `{"identifier":"alice@example.com","password":"wrong"}`, status: 401, code: "invalid_credentials"},
		{name: "rate limited", method: "POST", path: "/t/acme/login", contentType: "application/json", body: `{"identifier":"blocked","password":"wrong"}`, status: 429, code: "rate_limited"},
		{name: "body too large", method: "POST", path: "/t/acme/login", contentType: "application/json", body: `{"identifier":"` + strings.Repeat("x", 1<<20) + `"}`, status: 413, code: "body_too_large"},
		{name: "userinfo without token", method: "GET", path: "/t/acme/userinfo", status: 401, code: "unauthorized"},
		{name: "password without token", method: "POST", path: "/t/acme/password", contentType: "application/json", body: `{}`, status: 401, code: "unauthorized"},
		{name: "wrong method", method: "DELETE", path: "/t/acme/login"},
		{name: "tenant not found under oauth", method: "POST", path: "/t/nope/oauth/token", contentType: "application/x-www-form-urlencoded", body: "grant_type=refresh_token&refresh_token=x", status: 404, code: "tenant_not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			r := e.Send(tc.method, tc.path, tc.token, tc.contentType, body)
			if r.Status < 400 {
				t.Fatalf("status %d, want an error", r.Status)
			}
			if tc.status != 0 && r.Status != tc.status {
				t.Fatalf("status %d, want %d; body %s", r.Status, tc.status, r.Body)
			}
			checkProblemShape(t, r)
			if tc.code != "" {
				if got := r.Object(t)["code"]; got != tc.code {
					t.Errorf("code %v, want %s", got, tc.code)
				}
			}
			// The detail never carries Go error text.
			if d, _ := r.Object(t)["detail"].(string); strings.Contains(d, "badger") || strings.Contains(d, "runtime error") {
				t.Errorf("detail leaks internals: %q", d)
			}
		})
	}
}

// TestUnknownTenantEverywhere checks that every public path of an unknown
// tenant answers 404 tenant_not_found as a problem document, also under
// /oauth and without credentials.
func TestUnknownTenantEverywhere(t *testing.T) {
	t.Parallel()
	e := start(t)
	const (
		jsonType = "application/json"
		formType = "application/x-www-form-urlencoded"
	)
	tests := []struct {
		method, path, token, contentType, body string
	}{
		{"POST", "/t/nope/register", "", jsonType, `{"email":"a@example.com","password":"correct horse"}`},
		{"POST", "/t/nope/login", "", jsonType, `{"identifier":"a@example.com","password":"correct horse"}`},
		{"POST", "/t/nope/oauth/token", "", formType, "grant_type=refresh_token&refresh_token=abc"},
		{"POST", "/t/nope/oauth/token", "", formType, "grant_type=password"},
		{"POST", "/t/nope/oauth/revoke", "", formType, "token=abc"},
		{"GET", "/t/nope/userinfo", "", "", ""},
		{"GET", "/t/nope/userinfo", "garbage", "", ""},
		{"POST", "/t/nope/password", "", jsonType, `{"current_password":"correct horse","new_password":"another horse"}`},
		{"POST", "/t/nope/password", "garbage", jsonType, `{"current_password":"correct horse","new_password":"another horse"}`},
		{"GET", "/t/nope/.well-known/openid-configuration", "", "", ""},
		{"GET", "/t/nope/.well-known/jwks.json", "", "", ""},
	}
	for _, tc := range tests {
		name := tc.method + " " + tc.path
		if tc.token != "" {
			name += " with a token"
		}
		t.Run(name, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			wantProblem(t, e.Send(tc.method, tc.path, tc.token, tc.contentType, body), http.StatusNotFound, "tenant_not_found")
		})
	}
}
