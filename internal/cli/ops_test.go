package cli_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// scrape returns the server's /metrics, read with the operator token.
func (ts *testServer) scrape(t *testing.T) string {
	t.Helper()
	req, err := http.NewRequest("GET", ts.Base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testserver.OperatorToken)
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return string(b)
}

// metricValue returns the value of the series line (name{labels}) in a
// scrape, or "" when there is none.
func metricValue(scrape, series string) string {
	for _, line := range strings.Split(scrape, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

func TestMetricsScrape(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	key := legacyTenant(t, ts, "acme")
	env := ts.tenantEnv(key)
	mustRun(t, env, "", "script", "push", writeFile(t, "legacy.wasm", examples.WATLegacy), "--tenant", "acme")
	mustRun(t, env, "", "connection", "set", "--tenant", "acme", "--driver", "sqlite", "--dsn", "legacy.db", "--config", "dialect=sqlite", "--config", "table=users", slowMachine)
	mustRun(t, env, "", "migration", "enable", "--tenant", "acme")

	before := ts.scrape(t)
	ts.register(t, "acme", "zoe@example.com", "a-long-local-password")
	ts.login(t, "acme", "zoe@example.com", "a-long-local-password", 200)
	ts.login(t, "acme", "zoe@example.com", "the-wrong-password", 401)
	alice := examples.SeedUsers()[0]
	ts.login(t, "acme", alice.Email, alice.Password, 200)
	ts.get(t, "/no/such/path", "")
	ts.get(t, "/admin/v1/tenants", "")
	after := ts.scrape(t)

	tests := []struct {
		series        string
		before, after string
	}{
		{`wasmauth_logins_total{outcome="local_ok"}`, "0", "1"},
		{`wasmauth_logins_total{outcome="rejected"}`, "0", "1"},
		{`wasmauth_logins_total{outcome="legacy_migrated"}`, "0", "1"},
		{`wasmauth_http_requests_total{method="POST",route="/t/:tenant/login",status="200"}`, "", "2"},
		{`wasmauth_http_requests_total{method="POST",route="/t/:tenant/login",status="401"}`, "", "1"},
		{`wasmauth_http_requests_total{method="POST",route="/t/:tenant/register",status="201"}`, "", "1"},
		{`wasmauth_http_requests_total{method="PUT",route="/admin/v1/tenants/:tenant/script",status="201"}`, "1", "1"},
		{`wasmauth_http_requests_total{method="GET",route="/",status="404"}`, "", "1"},
		{`wasmauth_http_requests_total{method="GET",route="/admin/v1",status="401"}`, "", "1"},
		{`wasmauth_http_request_duration_seconds_count{method="POST",route="/t/:tenant/login"}`, "", "3"},
		{`wasmauth_script_calls_total{op="login",outcome="ok",tenant="acme"}`, "", "1"},
		{`wasmauth_script_call_duration_seconds_count{op="login",tenant="acme"}`, "", "1"},
		{`wasmauth_script_call_fuel_count{op="login",tenant="acme"}`, "", "1"},
		{`wasmauth_password_hash_queue_depth`, "0", "0"},
		{`wasmauth_password_hashes_in_flight`, "0", "0"},
		{`wasmauth_script_instances_busy`, "0", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.series, func(t *testing.T) {
			if got := metricValue(before, tt.series); got != tt.before {
				t.Errorf("before: %q, want %q", got, tt.before)
			}
			if got := metricValue(after, tt.series); got != tt.after {
				t.Errorf("after: %q, want %q", got, tt.after)
			}
		})
	}
	if m := regexp.MustCompile(`route="[^"]*(acme|/no/such)[^"]*"`).FindString(after); m != "" {
		t.Errorf("a raw path became a label: %s", m)
	}
	for _, family := range []string{"go_goroutines", "process_resident_memory_bytes", "wasmauth_script_instances_idle", "wasmauth_script_modules"} {
		if !strings.Contains(after, "\n"+family+" ") {
			t.Errorf("the scrape lacks %s", family)
		}
	}
}

// TestLogsHoldNoSecrets runs the whole life of a tenant while capturing
// the server's JSON log and stderr, and checks that no password, token, key
// or DSN password shows up in them.
func TestLogsHoldNoSecrets(t *testing.T) {
	var logBuf, stderr syncBuffer
	log := slog.New(slog.NewJSONHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := startServer(t, "", log, &stderr)
	secrets := map[string]string{"operator token": testserver.OperatorToken}

	key := legacyTenant(t, ts, "acme")
	secrets["api key"] = key
	env := ts.tenantEnv(key)
	env["WASMAUTH_TENANT"] = "acme"

	// A postgres DSN with a password: unreachable, so the set fails, and
	// neither the server's log nor the CLI's message may show the password.
	const dsnPassword = "s3cretDSN"
	r := runCLI(t, env, "postgres://u:"+dsnPassword+"@127.0.0.1:1/x\n", "connection", "set", "--driver", "postgres", "--dsn-stdin")
	if r.code != 1 || !strings.Contains(r.stderr, "connection_failed") {
		t.Errorf("connection set with an unreachable postgres: %s", r)
	}
	if strings.Contains(r.stdout+r.stderr, dsnPassword) {
		t.Errorf("the CLI printed the DSN password: %s", r)
	}
	secrets["DSN password"] = dsnPassword

	// The legacy flow: script, connection, a script test with a password,
	// migration and a migrating login.
	alice := examples.SeedUsers()[0]
	secrets["legacy password"] = alice.Password
	mustRun(t, env, "", "script", "push", writeFile(t, "legacy.wasm", examples.WATLegacy))
	mustRun(t, env, "", "connection", "set", "--driver", "sqlite", "--dsn", "legacy.db", "--config", "dialect=sqlite", "--config", "table=users", slowMachine)
	mustRun(t, env, alice.Password+"\n", "script", "test", "--op", "login", "--identifier", alice.Email, "--password-stdin")
	mustRun(t, env, "", "migration", "enable")
	aliceTokens := ts.login(t, "acme", alice.Email, alice.Password, 200)
	ts.login(t, "acme", alice.Email, "alice-wrong-password", 401)
	secrets["wrong password"] = "alice-wrong-password"

	// A local user's whole session: register, login, refresh, userinfo,
	// password change, revoke, a reused refresh token.
	const pw1, pw2 = "first-local-password", "second-local-password"
	secrets["local password"], secrets["new local password"] = pw1, pw2
	ts.register(t, "acme", "zoe@example.com", pw1)
	tokens := ts.login(t, "acme", "zoe@example.com", pw1, 200)
	refresh1, _ := tokens["refresh_token"].(string)
	access1, _ := tokens["access_token"].(string)
	status, refreshed := ts.postForm(t, "/t/acme/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh1}})
	if status != 200 {
		t.Fatalf("refresh: %d %v", status, refreshed)
	}
	refresh2, _ := refreshed["refresh_token"].(string)
	access2, _ := refreshed["access_token"].(string)
	if status, _ := ts.get(t, "/t/acme/userinfo", access2); status != 200 {
		t.Errorf("userinfo: %d", status)
	}
	if status, body := ts.postJSON(t, "/t/acme/password", map[string]string{"current_password": pw1, "new_password": pw2}, access2); status != 204 {
		t.Errorf("password change: %d %v", status, body)
	}
	// The old refresh token again: reuse, which revokes the session.
	if status, _ := ts.postForm(t, "/t/acme/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh1}}); status != 400 {
		t.Errorf("reused refresh token: %d", status)
	}
	ts.postForm(t, "/t/acme/oauth/revoke", url.Values{"token": {refresh2}})
	ts.get(t, "/t/acme/.well-known/openid-configuration", "")
	ts.get(t, "/t/acme/.well-known/jwks.json", "")
	mustRun(t, env, "", "users", "list")
	mustRun(t, env, "", "migration", "status")
	mustRun(t, ts.operatorEnv(), "", "backup", writeFile(t, "b", nil))
	rotated := mustRun(t, ts.operatorEnv(), "", "tenant", "rotate-key", "acme", "--json")
	var rk struct {
		APIKey string `json:"api_key"`
	}
	_ = json.Unmarshal([]byte(rotated.stdout), &rk)
	secrets["rotated api key"] = rk.APIKey
	aliceRefresh, _ := aliceTokens["refresh_token"].(string)
	aliceAccess, _ := aliceTokens["access_token"].(string)
	for name, v := range map[string]string{"refresh token": refresh1, "rotated refresh token": refresh2, "access token": access1, "refreshed access token": access2, "alice's refresh token": aliceRefresh, "alice's access token": aliceAccess} {
		if v == "" {
			t.Fatalf("no %s to look for", name)
		}
		secrets[name] = v
	}
	// The JWT's signature part alone is enough to leak.
	secrets["access token signature"] = access1[strings.LastIndex(access1, ".")+1:]
	ts.Stop()

	logs, errs := logBuf.String(), stderr.String()
	if logs == "" {
		t.Fatal("the server logged nothing")
	}
	for name, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the %s", name)
		}
		if strings.Contains(errs, secret) {
			t.Errorf("stderr holds the %s", name)
		}
	}

	// Every log line is JSON, and every request line has a request id.
	requests := 0
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("a log line is not JSON: %q", sc.Text())
		}
		if line["msg"] == "http request" {
			requests++
			if id, _ := line["request_id"].(string); id == "" {
				t.Errorf("a request line without request_id: %s", sc.Text())
			}
		}
	}
	if requests < 20 {
		t.Errorf("only %d request lines were logged", requests)
	}
}

// TestRequestIDInLogs checks that the id the client sees in X-Request-Id is
// the one in the log of an internal error's request.
func TestRequestIDInLogs(t *testing.T) {
	var logBuf syncBuffer
	log := slog.New(slog.NewJSONHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := startServer(t, "", log, nil)
	req, _ := http.NewRequest("POST", ts.Base+"/t/nobody/login", bytes.NewReader([]byte(`{"identifier":"a","password":"b"}`)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("X-Request-Id")
	if id == "" || resp.StatusCode != 404 {
		t.Fatalf("status %d, X-Request-Id %q", resp.StatusCode, id)
	}
	ts.Stop()
	if !strings.Contains(logBuf.String(), `"request_id":"`+id+`"`) {
		t.Errorf("the log has no line with request_id %s:\n%s", id, logBuf.String())
	}
}
