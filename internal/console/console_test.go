package console_test

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so that each answer can be checked.
type browser struct {
	t    testing.TB
	base string
	hc   *http.Client
}

func newBrowser(t testing.TB, base string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: base, hc: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is one answer.
type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return &page{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *browser) get(path string) *page {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) *page {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// upload posts a multipart form with one file.
func (b *browser) upload(path string, fields url.Values, file string, data []byte) *page {
	b.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	fw, err := w.CreateFormFile(file, "legacy.wasm")
	if err != nil {
		b.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = w.Close()
	req, err := http.NewRequest("POST", b.base+path, &buf)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// must fails the test unless p has status.
func (p *page) must(t testing.TB, status int, what string) *page {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, p.status, status, p.body)
	}
	return p
}

// location is a redirect's target.
func (p *page) location() string { return p.header.Get("Location") }

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the page's CSRF token.
func (p *page) csrf(t testing.TB) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", p.body)
	}
	return m[1]
}

// field returns the text of the element with id.
func (p *page) field(t testing.TB, id string) string {
	t.Helper()
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no element %q in the page:\n%s", id, p.body)
	}
	return html.UnescapeString(strings.TrimSpace(m[1]))
}

// signIn signs b in with token and returns the page it lands on.
func (b *browser) signIn(token string) *page {
	b.t.Helper()
	form := b.get("/console/").must(b.t, 200, "sign-in page")
	r := b.post("/console/signin", url.Values{"csrf": {form.csrf(b.t)}, "token": {token}})
	r.must(b.t, 303, "sign in")
	return b.follow(r)
}

// follow follows redirects from p.
func (b *browser) follow(p *page) *page {
	b.t.Helper()
	for i := 0; p.status == 303 || p.status == 301 || p.status == 302; i++ {
		if i == 5 {
			b.t.Fatalf("too many redirects")
		}
		p = b.get(p.location())
	}
	return p
}

func checkHeaders(t *testing.T, p *page, what string) {
	t.Helper()
	for k, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"Cache-Control":          "no-store",
	} {
		if got := p.header.Values(k); len(got) != 1 || got[0] != want {
			t.Errorf("%s: %s = %q, want %q once", what, k, got, want)
		}
	}
	csp := p.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("%s: Content-Security-Policy = %q", what, csp)
	}
}

func TestConsole(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	key := ts.CreateTenant("acme")
	ts.CreateTenant("other")
	b := newBrowser(t, ts.Base)

	signInPage := b.get("/console/").must(t, 200, "sign-in page")
	checkHeaders(t, signInPage, "sign-in page")
	if !strings.Contains(signInPage.body, `type="password"`) || !strings.Contains(signInPage.body, `<label for="token">`) {
		t.Fatalf("the sign-in form has no labelled password field:\n%s", signInPage.body)
	}

	t.Run("WrongKey", func(t *testing.T) {
		wb := newBrowser(t, ts.Base)
		form := wb.get("/console/")
		r := wb.post("/console/signin", url.Values{"csrf": {form.csrf(t)}, "token": {key + "x"}}).must(t, 401, "wrong key")
		if !strings.Contains(r.body, "unauthorized") {
			t.Fatalf("the wrong key's page does not say why:\n%s", r.body)
		}
		wb.get("/console/tenants/acme").must(t, 303, "tenant page after a wrong key")
		// A sign-in without the form's token is refused before the key is
		// looked at.
		wb.post("/console/signin", url.Values{"token": {key}}).must(t, 403, "sign-in without the form token")
		wb.get("/console/tenants/acme").must(t, 303, "tenant page after a sign-in without the form token")
	})

	t.Run("WrongKeysAreRateLimited", func(t *testing.T) {
		// From another address, so the other subtests keep their budget.
		wb := newBrowser(t, ts.Base)
		wb.hc.Transport = testserver.HTTPClient("127.0.0.9").Transport
		var last *page
		for i := 0; i < 40 && (last == nil || last.status != 429); i++ {
			form := wb.get("/console/")
			last = wb.post("/console/signin", url.Values{"csrf": {form.csrf(t)}, "token": {"wak_acme.wrong"}})
		}
		if last.status != 429 || last.header.Get("Retry-After") == "" {
			t.Fatalf("40 wrong keys from one address: last status %d, Retry-After %q, want 429 with one", last.status, last.header.Get("Retry-After"))
		}
		// The API shares the count: the right key is refused from there too.
		req, _ := http.NewRequest("GET", ts.Base+"/admin/v1/tenants/acme/migration", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		wb.do(req).must(t, 429, "API after the console's wrong keys")
	})

	tenantPage := b.signIn(key).must(t, 200, "landing page of a tenant key")
	checkHeaders(t, tenantPage, "tenant page")
	if !strings.Contains(tenantPage.body, "Migration · acme") {
		t.Fatalf("a tenant key lands elsewhere than its tenant:\n%s", tenantPage.body)
	}
	for _, c := range b.hc.Jar.Cookies(mustURL(t, ts.Base+"/console/")) {
		if c.Name == "wasmauth_console" && strings.Contains(key, c.Value) {
			t.Fatal("the session cookie holds the key")
		}
	}

	t.Run("SessionCookie", func(t *testing.T) {
		wb := newBrowser(t, ts.Base)
		form := wb.get("/console/")
		r := wb.post("/console/signin", url.Values{"csrf": {form.csrf(t)}, "token": {key}}).must(t, 303, "sign in")
		sc := r.header.Values("Set-Cookie")
		var found bool
		for _, c := range sc {
			if strings.HasPrefix(c, "wasmauth_console=") {
				found = true
				if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") || !strings.Contains(c, "Path=/console") {
					t.Fatalf("session cookie: %s", c)
				}
			}
		}
		if !found {
			t.Fatalf("no session cookie: %v", sc)
		}
	})

	t.Run("CSRF", func(t *testing.T) {
		csrf := b.get("/console/tenants/acme/scripts").must(t, 200, "scripts page").csrf(t)
		for _, form := range []url.Values{{}, {"csrf": {"forged"}}, {"csrf": {csrf + "x"}}} {
			b.upload("/console/tenants/acme/scripts", form, "module", examples.CLegacy).must(t, 403, "upload without the CSRF token")
			b.post("/console/tenants/acme/connection/close", form).must(t, 403, "close without the CSRF token")
		}
		// Another session's token is not this one's.
		other := newBrowser(t, ts.Base)
		other.signIn(key)
		otherCSRF := other.get("/console/tenants/acme/scripts").csrf(t)
		if otherCSRF == csrf {
			t.Fatal("two sessions share a CSRF token")
		}
		b.upload("/console/tenants/acme/scripts", url.Values{"csrf": {otherCSRF}}, "module", examples.CLegacy).must(t, 403, "upload with another session's token")
		r := ts.Must(ts.Do("GET", "/admin/v1/tenants/acme/script", key, nil), 200, "scripts")
		if r.Obj("versions") != nil || !strings.Contains(string(r.Body), `"versions":[]`) {
			t.Fatalf("a refused upload stored a module: %s", r.Body)
		}
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		for _, path := range []string{"", "/scripts", "/connection", "/users", "/logs", "/audit"} {
			other := b.get("/console/tenants/other" + path)
			ghost := b.get("/console/tenants/ghost" + path)
			other.must(t, 404, "another tenant's page"+path)
			ghost.must(t, 404, "a missing tenant's page"+path)
			if other.body != ghost.body {
				t.Fatalf("another tenant's page%s differs from a missing one's:\n%s\n---\n%s", path, other.body, ghost.body)
			}
			if strings.Contains(other.body, "other") {
				t.Fatalf("the refusal names the tenant:\n%s", other.body)
			}
		}
		csrf := b.get("/console/tenants/acme").csrf(t)
		b.post("/console/tenants/other/migration", url.Values{"csrf": {csrf}, "enabled": {"true"}}).must(t, 404, "change another tenant")
		b.get("/console/").must(t, 303, "a tenant key's home")
	})

	t.Run("MigrationNumbers", func(t *testing.T) {
		l := ts.LegacyDB(t, "sqlite", "acme")
		base := "/admin/v1/tenants/acme"
		ts.Must(ts.Do("PUT", base+"/script", key, examples.GoLegacy), 201, "upload script")
		ts.Must(ts.Do("PUT", base+"/connection", key, map[string]any{"driver": l.Driver, "dsn": l.DSN, "config": l.Config}), 200, "set connection")
		// dave's email taken locally before migration: his legacy login is a conflict.
		ts.Must(ts.Register("acme", "dave@example.com", "a-long-passphrase"), 201, "register dave locally")
		// The switch, through the console.
		csrf := b.get("/console/tenants/acme").csrf(t)
		r := b.post("/console/tenants/acme/migration", url.Values{"csrf": {csrf}, "enabled": {"true"}}).must(t, 303, "switch migration on")
		if p := b.follow(r); p.field(t, "m-enabled") != "on" || !strings.Contains(p.body, "Migration switch saved.") {
			t.Fatalf("migration switch:\n%s", p.body)
		}
		ts.Must(ts.Login("acme", "alice@example.com", testserver.SeedPassword("alice")), 200, "first legacy login")
		ts.Must(ts.Login("acme", "bob", testserver.SeedPassword("bob")), 200, "second legacy login")
		ts.Must(ts.Login("acme", "carol", "wrong-password-1"), 401, "wrong legacy password")
		ts.Must(ts.Register("acme", "new@example.com", "a-long-passphrase"), 201, "register")
		ts.Must(ts.Login("acme", "dave", testserver.SeedPassword("dave")), 409, "conflicting legacy login")
		// An imported user counts as migrated and imported, not in the chart.
		ts.Must(ts.Send("POST", base+"/users/import", key, "application/x-ndjson",
			[]byte(`{"id":"900","email":"imported@example.com","password_hash":"$2a$10$buMM6L/J/0tkVGpVO9/Dsug6dqJBdjBIvc57z.t1nTiewHsoFMxSy"}`+"\n")), 200, "import")

		api := ts.Must(ts.Do("GET", base+"/migration", key, nil), 200, "GET /migration").Object(t)
		p := b.get("/console/tenants/acme").must(t, 200, "tenant page")
		legacy := api["legacy"].(map[string]any)
		for id, want := range map[string]any{
			"m-users_total": api["users_total"], "m-users_migrated": api["users_migrated"], "m-users_registered": api["users_registered"], "m-users_imported": api["users_imported"],
			"m-legacy.logins_ok": legacy["logins_ok"], "m-legacy.logins_rejected": legacy["logins_rejected"], "m-legacy.errors": legacy["errors"],
			"m-legacy.conflicts": legacy["conflicts"],
		} {
			if got := p.field(t, id); got != fmt.Sprint(want) {
				t.Errorf("%s: page %q, API %v", id, got, want)
			}
		}
		if api["users_migrated"] != 3.0 || api["users_imported"] != 1.0 || legacy["conflicts"] != 1.0 {
			t.Fatalf("users_migrated = %v, users_imported = %v, conflicts = %v, want 3, 1 and 1", api["users_migrated"], api["users_imported"], legacy["conflicts"])
		}
		// The share of legacy users, given their number.
		if s := p.field(t, "m-share"); strings.Contains(s, "%") {
			t.Fatalf("a share without the legacy users' number: %q", s)
		}
		if s := b.get("/console/tenants/acme?legacy_users=8").must(t, 200, "tenant page with legacy users").field(t, "m-share"); s != "37.5% (3 migrated of 8)" {
			t.Fatalf("share of 8 legacy users: %q", s)
		}
		if !strings.Contains(p.body, "<dt>Drain</dt><dd>never started</dd>") {
			t.Fatalf("the page shows a drain that never ran:\n%s", p.body)
		}
		if !strings.Contains(p.body, "Migrated users per hour, today and the two days before (UTC) — 2 in all") {
			t.Fatalf("the chart does not show the two migrations:\n%s", p.body)
		}

		// Users: search, view, delete.
		u := b.get("/console/tenants/acme/users?q=ALICE@example.com").must(t, 200, "search")
		m := regexp.MustCompile(`href="/console/tenants/acme/users/([^"]+)">alice@example.com<`).FindStringSubmatch(u.body)
		if m == nil {
			t.Fatalf("search by email did not find alice:\n%s", u.body)
		}
		if s := b.get("/console/tenants/acme/users?q=bob").must(t, 200, "search"); !strings.Contains(s.body, "bob@example.com") {
			t.Fatalf("search by username did not find bob:\n%s", s.body)
		}
		view := b.get("/console/tenants/acme/users/"+m[1]).must(t, 200, "user")
		b.follow(b.post("/console/tenants/acme/users/"+m[1]+"/delete", url.Values{"csrf": {view.csrf(t)}})).must(t, 200, "delete user")
		ts.Must(ts.Do("GET", base+"/users/"+m[1], key, nil), 404, "deleted user")
		audit := b.get("/console/tenants/acme/audit").must(t, 200, "audit")
		if !strings.Contains(audit.body, "user_deleted") || !strings.Contains(audit.body, "migration_enabled") {
			t.Fatalf("audit page:\n%s", audit.body)
		}
	})

	t.Run("UploadAndDryRun", func(t *testing.T) {
		csrf := b.get("/console/tenants/acme/scripts").csrf(t)
		r := b.upload("/console/tenants/acme/scripts", url.Values{"csrf": {csrf}, "activate": {"true"}}, "module", examples.CLegacy).must(t, 303, "upload")
		p := b.follow(r)
		if !strings.Contains(p.body, "Module uploaded.") {
			t.Fatalf("upload page:\n%s", p.body)
		}
		api := ts.Must(ts.Do("GET", "/admin/v1/tenants/acme/script", key, nil), 200, "scripts").Object(t)
		if api["active_version"] != 2.0 {
			t.Fatalf("after the console's upload: %v", api)
		}
		// A module that is not one: the API's error, and its status.
		bad := b.upload("/console/tenants/acme/scripts", url.Values{"csrf": {csrf}}, "module", []byte("not wasm")).must(t, 400, "invalid module")
		if bad.field(t, "error-message") == "" || !strings.Contains(bad.body, "invalid_module") {
			t.Fatalf("invalid module page:\n%s", bad.body)
		}
		// Roll back to version 1.
		b.follow(b.post("/console/tenants/acme/scripts/1/activate", url.Values{"csrf": {csrf}}).must(t, 303, "roll back"))
		b.post("/console/tenants/acme/scripts/1/delete", url.Values{"csrf": {csrf}}).must(t, 409, "delete the active version")
		b.post("/console/tenants/acme/scripts/2/delete", url.Values{"csrf": {csrf}}).must(t, 303, "delete an inactive version")

		d := b.post("/console/tenants/acme/scripts/test", url.Values{"csrf": {csrf}, "op": {"login"}, "identifier": {"carol@example.com"},
			"password": {testserver.SeedPassword("carol")}}).must(t, 200, "dry run")
		if !strings.Contains(d.field(t, "test-answer"), `"email": "carol@example.com"`) {
			t.Fatalf("dry run answer:\n%s", d.body)
		}
		if d.field(t, "test-fuel") == "0" || !strings.HasSuffix(d.field(t, "test-time"), " ms") {
			t.Fatalf("dry run fuel and time:\n%s", d.body)
		}
		if strings.Contains(d.body, testserver.SeedPassword("carol")) {
			t.Fatal("the dry run's page shows the password")
		}
		d = b.post("/console/tenants/acme/scripts/test", url.Values{"csrf": {csrf}, "op": {"nope"}, "identifier": {"x"}}).must(t, 400, "dry run with a bad op")
		if !strings.Contains(d.body, "invalid_request") {
			t.Fatalf("bad op page:\n%s", d.body)
		}
		// A module over the server's JSON body limit (the Go example, 3 MiB)
		// uploads from a session that may upload there, and from no other.
		stranger := newBrowser(t, ts.Base)
		stranger.upload("/console/tenants/acme/scripts", url.Values{"csrf": {csrf}}, "module", examples.GoLegacy).must(t, 413, "a large upload without a session")
		b.upload("/console/tenants/other/scripts", url.Values{"csrf": {csrf}}, "module", examples.GoLegacy).must(t, 413, "a large upload to another tenant")
		b.upload("/console/tenants/acme/scripts", url.Values{"csrf": {csrf}}, "module", examples.GoLegacy).must(t, 303, "a large upload")
		if n := len(ts.Must(ts.Do("GET", "/admin/v1/tenants/acme/script", key, nil), 200, "scripts").Object(t)["versions"].([]any)); n != 2 {
			t.Fatalf("%d versions after the large upload, want 2", n)
		}

		// A failing call: its kind, and its log lines on the page and in the log.
		d = b.post("/console/tenants/acme/scripts/test", url.Values{"csrf": {csrf}, "op": {"login"}, "identifier": {"mallory@example.com"},
			"password": {"hunter2"}}).must(t, 200, "failing dry run")
		if !strings.Contains(d.body, "Failed: <code>") {
			t.Fatalf("failing dry run:\n%s", d.body)
		}
		if !strings.Contains(d.field(t, "test-logs"), "unknown hash format") {
			t.Fatalf("failing dry run's logs:\n%s", d.body)
		}
		if logs := b.get("/console/tenants/acme/logs").must(t, 200, "logs"); !strings.Contains(logs.body, `data-label="Operation">test</td>`) {
			t.Fatalf("logs page has no dry-run lines:\n%s", logs.body)
		}
	})

	t.Run("Connection", func(t *testing.T) {
		p := b.get("/console/tenants/acme/connection").must(t, 200, "connection")
		if p.field(t, "c-driver") != "sqlite" || p.field(t, "c-dsn") != "set (hidden)" || strings.Contains(p.body, "legacy.db") {
			t.Fatalf("connection page:\n%s", p.body)
		}
		csrf := p.csrf(t)
		b.follow(b.post("/console/tenants/acme/connection/test", url.Values{"csrf": {csrf}}).must(t, 303, "ping"))
		bad := b.post("/console/tenants/acme/connection", url.Values{"csrf": {csrf}, "driver": {"sqlite"}, "dsn": {"missing.db"}, "config": {"{}"}})
		apiBad := ts.Do("PUT", "/admin/v1/tenants/acme/connection", key, map[string]any{"driver": "sqlite", "dsn": "missing.db"})
		if bad.status != apiBad.Status || !strings.Contains(bad.body, apiBad.Str("code")) {
			t.Fatalf("console %d vs API %s:\n%s", bad.status, apiBad, bad.body)
		}
		if strings.Contains(bad.body, "missing.db") && !strings.Contains(apiBad.Str("detail"), "missing.db") {
			t.Fatal("the console echoes the DSN")
		}
		b.follow(b.post("/console/tenants/acme/connection/close", url.Values{"csrf": {csrf}}).must(t, 303, "close"))
		if r := ts.Must(ts.Do("GET", "/admin/v1/tenants/acme/connection", key, nil), 200, "connection").Object(t); r["dsn_set"] != false {
			t.Fatalf("after close: %v", r)
		}
	})

	t.Run("Operator", func(t *testing.T) {
		ob := newBrowser(t, ts.Base)
		home := ob.signIn(testserver.OperatorToken).must(t, 200, "operator home")
		for _, id := range []string{"acme", "other"} {
			if !strings.Contains(home.body, `href="/console/tenants/`+id+`"`) {
				t.Fatalf("the operator's list lacks %s:\n%s", id, home.body)
			}
		}
		ob.get("/console/tenants/other").must(t, 200, "another tenant, as the operator")
		ob.get("/console/tenants/ghost").must(t, 404, "a missing tenant, as the operator")
	})

	t.Run("RotatedKeyEndsSession", func(t *testing.T) {
		wb := newBrowser(t, ts.Base)
		otherKey := ts.Must(ts.Do("POST", "/admin/v1/tenants/other/api-keys", testserver.OperatorToken, nil), 201, "rotate").Str("api_key")
		wb.signIn(otherKey).must(t, 200, "sign in")
		ts.Must(ts.Do("POST", "/admin/v1/tenants/other/api-keys", testserver.OperatorToken, nil), 201, "rotate")
		wb.get("/console/tenants/other").must(t, 303, "after the key was rotated")
	})

	t.Run("Labels", func(t *testing.T) {
		checkLabels(t, signInPage, "sign-in page")
		for _, path := range []string{"", "/scripts", "/connection", "/users", "/logs", "/audit"} {
			p := b.get("/console/tenants/acme"+path).must(t, 200, "page "+path)
			checkHeaders(t, p, "page "+path)
			checkLabels(t, p, "page "+path)
			if !strings.Contains(p.body, `<meta name="viewport" content="width=device-width, initial-scale=1">`) {
				t.Errorf("page %s has no viewport", path)
			}
		}
	})

	t.Run("SignOut", func(t *testing.T) {
		cookies := b.hc.Jar.Cookies(mustURL(t, ts.Base+"/console/"))
		csrf := b.get("/console/tenants/acme").csrf(t)
		b.post("/console/signout", url.Values{"csrf": {csrf}}).must(t, 303, "sign out")
		b.get("/console/tenants/acme").must(t, 303, "after signing out")
		// The old cookie is dead on the server, not only in this jar.
		replay := newBrowser(t, ts.Base)
		replay.hc.Jar.SetCookies(mustURL(t, ts.Base+"/console/"), cookies)
		replay.get("/console/tenants/acme").must(t, 303, "the old cookie replayed")
	})
}

var (
	controlRE = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	idRE      = regexp.MustCompile(`\bid="([^"]+)"`)
)

// checkLabels fails the test unless every form control of the page but
// hidden fields has a <label for> of its id.
func checkLabels(t *testing.T, p *page, what string) {
	t.Helper()
	for _, c := range controlRE.FindAllString(p.body, -1) {
		if strings.Contains(c, `type="hidden"`) {
			continue
		}
		m := idRE.FindStringSubmatch(c)
		if m == nil || !strings.Contains(p.body, `<label for="`+m[1]+`">`) {
			t.Errorf("%s: control without a label: %s", what, c)
		}
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
