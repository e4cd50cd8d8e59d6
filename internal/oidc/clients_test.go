package oidc_test

import (
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

func clientsPath(tenant string, rest ...string) string {
	return "/admin/v1/tenants/" + tenant + "/clients" + strings.Join(append([]string{""}, rest...), "/")
}

func TestClientsAPI(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	key := ts.CreateTenant("acme")
	other := ts.CreateTenant("other")

	r := ts.Must(ts.Do("POST", clientsPath("acme"), key, map[string]any{
		"name": "Web", "type": "confidential",
		"redirect_uris": []string{"https://app.example/cb", "http://127.0.0.1:8080/cb"},
	}), 201, "create confidential client")
	id, secret := r.Str("client_id"), r.Str("client_secret")
	if id == "" || !strings.HasPrefix(secret, "wcs_") {
		t.Fatalf("create answered %s", r.Body)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control of an answer with a secret = %q", got)
	}
	grants, _ := r.JSON["grant_types"].([]any)
	if len(grants) != 2 || r.Str("id_token_signed_response_alg") != "RS256" {
		t.Errorf("defaults not applied: %s", r.Body)
	}

	pub := ts.Must(ts.Do("POST", clientsPath("acme"), testserver.OperatorToken, map[string]any{
		"name": "SPA", "type": "public", "redirect_uris": []string{"http://localhost/cb"},
		"grant_types": []string{"authorization_code"},
	}), 201, "create public client")
	if _, ok := pub.JSON["client_secret"]; ok {
		t.Errorf("a public client got a secret: %s", pub.Body)
	}

	got := ts.Must(ts.Do("GET", clientsPath("acme", id), key, nil), 200, "get client")
	if _, ok := got.JSON["client_secret"]; ok || strings.Contains(string(got.Body), secret) {
		t.Fatalf("GET shows the secret: %s", got.Body)
	}
	list := ts.Must(ts.Do("GET", clientsPath("acme"), key, nil), 200, "list clients")
	if items, _ := list.JSON["clients"].([]any); len(items) != 2 || strings.Contains(string(list.Body), secret) {
		t.Fatalf("list = %s", list.Body)
	}

	// Another tenant's key sees nothing of acme's clients.
	ts.Must(ts.Do("GET", clientsPath("acme", id), other, nil), 403, "get with another tenant's key")
	ts.Must(ts.Do("GET", clientsPath("other", id), other, nil), 404, "get acme's client under other")
	ts.Must(ts.Do("GET", clientsPath("acme", id), "", nil), 401, "get without a key")

	// PUT replaces: the omitted grant_types return to both grants.
	up := ts.Must(ts.Do("PUT", clientsPath("acme", pub.Str("client_id")), key, map[string]any{
		"name": "SPA 2", "redirect_uris": []string{"https://spa.example/cb"},
	}), 200, "update client")
	if grants, _ := up.JSON["grant_types"].([]any); len(grants) != 2 || up.Str("name") != "SPA 2" || up.Str("type") != "public" {
		t.Fatalf("update answered %s", up.Body)
	}
	r = ts.Do("PUT", clientsPath("acme", id), key, map[string]any{"name": "x", "type": "public", "redirect_uris": []string{"https://a.example/"}})
	if r.Status != 400 {
		t.Errorf("changing the type: %s", r)
	}

	newSecret := ts.Must(ts.Do("POST", clientsPath("acme", id, "secret"), key, nil), 201, "rotate secret").Str("client_secret")
	if newSecret == "" || newSecret == secret {
		t.Fatalf("rotate gave %q", newSecret)
	}
	r = ts.Do("POST", clientsPath("acme", pub.Str("client_id"), "secret"), key, nil)
	if r.Status != 400 {
		t.Errorf("rotating a public client's secret: %s", r)
	}

	ts.Must(ts.Do("DELETE", clientsPath("acme", id), key, nil), 204, "delete client")
	ts.Must(ts.Do("DELETE", clientsPath("acme", id), key, nil), 404, "delete again")
	ts.Must(ts.Do("GET", clientsPath("acme", id), key, nil), 404, "get deleted")
	ts.Must(ts.Do("GET", clientsPath("ghost"), testserver.OperatorToken, nil), 404, "clients of an unknown tenant")
}

func TestClientRedirectURIRules(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	key := ts.CreateTenant("acme")
	bad := []string{
		"javascript:alert(1)",
		"https://app.example/cb#frag",
		"https://app.example/cb#",
		"http://app.example/cb",
		"/relative/cb",
		"app.example/cb",
		"ftp://app.example/cb",
		"http://127.0.0.1.evil.example/cb",
		"data:text/html,hi",
	}
	for _, u := range bad {
		for _, field := range []string{"redirect_uris", "post_logout_redirect_uris"} {
			body := map[string]any{"name": "App", "type": "public", "redirect_uris": []string{"https://ok.example/cb"}}
			body[field] = []string{u}
			r := ts.Do("POST", clientsPath("acme"), key, body)
			if r.Status != 422 || r.ProblemCode() != "invalid_redirect_uri" {
				t.Errorf("%s %q: %s, want 422 invalid_redirect_uri", field, u, r)
			}
		}
	}
	for _, u := range []string{"https://app.example/cb?x=1", "http://127.0.0.1/cb", "http://[::1]:9000/cb", "http://localhost:3000/"} {
		ts.Must(ts.Do("POST", clientsPath("acme"), key, map[string]any{"name": "App", "type": "public", "redirect_uris": []string{u}}), 201, "register "+u)
	}
	// A private-use scheme is not https: the contract allows only https and loopback http.
	r := ts.Do("POST", clientsPath("acme"), key, map[string]any{"name": "App", "type": "public", "redirect_uris": []string{"com.example.app://cb"}})
	if r.Status != 422 {
		t.Errorf("private-use scheme: %s", r)
	}
	// A later PUT is held to the same rule.
	id := ts.Must(ts.Do("POST", clientsPath("acme"), key, map[string]any{"name": "App", "type": "public", "redirect_uris": []string{"https://ok.example/cb"}}), 201, "create").Str("client_id")
	r = ts.Do("PUT", clientsPath("acme", id), key, map[string]any{"name": "App", "redirect_uris": []string{"javascript:x"}})
	if r.Status != 422 || r.ProblemCode() != "invalid_redirect_uri" {
		t.Errorf("PUT javascript: URI: %s", r)
	}
}

func TestSettingsAPI(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	key := ts.CreateTenant("acme")
	path := "/admin/v1/tenants/acme/settings"
	if r := ts.Must(ts.Do("GET", path, key, nil), 200, "get settings"); r.JSON["browser_session_seconds"] != float64(86400) {
		t.Fatalf("default settings: %s", r.Body)
	}
	if r := ts.Must(ts.Do("PUT", path, key, map[string]any{"browser_session_seconds": 3600}), 200, "put settings"); r.JSON["browser_session_seconds"] != float64(3600) {
		t.Fatalf("put answered %s", r.Body)
	}
	if r := ts.Must(ts.Do("GET", path, key, nil), 200, "get settings"); r.JSON["browser_session_seconds"] != float64(3600) {
		t.Fatalf("settings after put: %s", r.Body)
	}
	for _, bad := range []any{10, -1, 31 * 86400, 1 << 62} {
		ts.Must(ts.Do("PUT", path, key, map[string]any{"browser_session_seconds": bad}), 400, "browser_session_seconds out of range")
	}
	// An empty body returns to the default.
	if r := ts.Must(ts.Do("PUT", path, key, map[string]any{}), 200, "put defaults"); r.JSON["browser_session_seconds"] != float64(86400) {
		t.Fatalf("defaults: %s", r.Body)
	}
	ts.Must(ts.Do("GET", "/admin/v1/tenants/ghost/settings", testserver.OperatorToken, nil), 404, "unknown tenant")
	other := ts.CreateTenant("other")
	ts.Must(ts.Do("PUT", path, other, map[string]any{"browser_session_seconds": 600}), 403, "another tenant's key")
}
