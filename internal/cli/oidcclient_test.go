package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestOIDCClientCommands(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	key := ts.createTenant(t, "acme")
	env := ts.tenantEnv(key)

	r := mustRun(t, env, "", "client", "create", "--tenant", "acme", "--name", "Web", "--type", "confidential",
		"--redirect-uri", "https://app.example/cb", "--redirect-uri", "http://127.0.0.1/cb", "--json")
	var c struct {
		ClientID     string   `json:"client_id"`
		ClientSecret string   `json:"client_secret"`
		RedirectURIs []string `json:"redirect_uris"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil || c.ClientID == "" || c.ClientSecret == "" || len(c.RedirectURIs) != 2 {
		t.Fatalf("client create --json printed %q (%v)", r.stdout, err)
	}
	r = mustRun(t, env, "", "client", "create", "--tenant", "acme", "--name", "SPA", "--type", "public", "--redirect-uri", "http://localhost/cb")
	if !strings.Contains(r.stdout, "Registered client") || strings.Contains(r.stdout, "secret") {
		t.Errorf("client create (public) printed %q", r.stdout)
	}

	if r := mustRun(t, env, "", "client", "list", "--tenant", "acme"); !strings.Contains(r.stdout, c.ClientID) || !strings.Contains(r.stdout, "SPA") {
		t.Errorf("client list printed %q", r.stdout)
	}
	if r := mustRun(t, env, "", "client", "get", c.ClientID, "--tenant", "acme"); !strings.Contains(r.stdout, "confidential") || strings.Contains(r.stdout, c.ClientSecret) {
		t.Errorf("client get printed %q", r.stdout)
	}
	if r := mustRun(t, env, "", "client", "update", c.ClientID, "--tenant", "acme", "--name", "Web 2", "--redirect-uri", "https://new.example/cb,https://new.example/cb2"); !strings.Contains(r.stdout, "https://new.example/cb2") {
		t.Errorf("client update printed %q", r.stdout)
	}
	r = mustRun(t, env, "", "client", "rotate-secret", c.ClientID, "--tenant", "acme")
	if !strings.Contains(r.stdout, "wcs_") || strings.Contains(r.stdout, c.ClientSecret) {
		t.Errorf("rotate-secret printed %q", r.stdout)
	}
	if r := runCLI(t, env, "", "client", "create", "--tenant", "acme", "--name", "Bad", "--type", "public", "--redirect-uri", "javascript:alert(1)"); r.code == 0 || !strings.Contains(r.stderr, "invalid_redirect_uri") {
		t.Errorf("a javascript: redirect URI: %s", r)
	}
	mustRun(t, env, "", "client", "delete", c.ClientID, "--tenant", "acme")
	if r := runCLI(t, env, "", "client", "get", c.ClientID, "--tenant", "acme"); r.code == 0 {
		t.Errorf("get after delete: %s", r)
	}
	if r := mustRun(t, env, "", "keys", "rotate", "--tenant", "acme"); !strings.Contains(r.stdout, "RS256") || !strings.Contains(r.stdout, "EdDSA") || !strings.Contains(r.stdout, "id_token") {
		t.Errorf("keys rotate printed %q", r.stdout)
	}
	if r := mustRun(t, env, "", "client", "create", "--tenant", "acme", "--name", "Ed", "--type", "public", "--redirect-uri", "http://127.0.0.1/cb", "--id-token-alg", "EdDSA", "--json"); !strings.Contains(r.stdout, `"EdDSA"`) {
		t.Errorf("an EdDSA client: %q", r.stdout)
	}
	if r := mustRun(t, env, "", "settings", "set", "--tenant", "acme", "--browser-session", "8h"); !strings.Contains(r.stdout, "8h0m0s") {
		t.Errorf("settings set printed %q", r.stdout)
	}
	if r := mustRun(t, env, "", "settings", "get", "--tenant", "acme"); !strings.Contains(r.stdout, "8h0m0s") {
		t.Errorf("settings get printed %q", r.stdout)
	}
	if r := runCLI(t, env, "", "settings", "set", "--tenant", "acme", "--browser-session", "5s"); r.code == 0 {
		t.Errorf("a 5 s browser session: %s", r)
	}
	if r := runCLI(t, env, "", "client", "create", "--help"); r.code != 0 || !strings.Contains(r.stdout+r.stderr, "--redirect-uri") {
		t.Errorf("client create --help: %s", r)
	}
}

func TestOIDCClientHelp(t *testing.T) {
	for _, cmd := range [][]string{
		{"client"}, {"client", "create"}, {"client", "list"}, {"client", "get"}, {"client", "update"},
		{"client", "delete"}, {"client", "rotate-secret"}, {"keys"}, {"keys", "rotate"},
		{"settings"}, {"settings", "get"}, {"settings", "set"},
	} {
		r := runCLI(t, nil, "", append(cmd, "--help")...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: wasmauth "+strings.Join(cmd, " ")) {
			t.Errorf("%s --help: %s", strings.Join(cmd, " "), r)
		}
	}
	if r := runCLI(t, nil, "", "client", "create", "--tenant", "acme", "--name", "x", "--type", "public"); r.code == 0 || !strings.Contains(r.stderr, "--redirect-uri is required") {
		t.Errorf("create without --redirect-uri: %s", r)
	}
}
