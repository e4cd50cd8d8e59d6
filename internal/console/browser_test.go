package console_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the browser test's screenshots to docs/")

// chromium finds Debian's chromium. Without it the test is skipped, or
// failed when CI=true.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is required on CI (apt-get install -y chromium)")
	}
	t.Skip("chromium not found; apt-get install -y chromium to run the browser test")
	return ""
}

// seedHistory stops ts, adds buckets to the tenant's migration history in
// its store, and starts it again on the same data.
func seedHistory(t testing.TB, ts *testserver.Server, tenant string, buckets []auth.MigrationBucket) *testserver.Server {
	t.Helper()
	ts.Stop()
	st, err := server.OpenStore(context.Background(), ts.Config)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.(auth.MigrationHistoryStore).AddMigrationHistory(context.Background(), tenant, buckets); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return testserver.Start(t, ts.Config)
}

// rampHistory is days of hourly counts that rise like a migration does
// (most users move in the first weeks), total about total.
func rampHistory(now time.Time, days int, total float64) []auth.MigrationBucket {
	hours := days * 24
	start := now.UTC().Truncate(time.Hour).Add(-time.Duration(hours-1) * time.Hour)
	out := make([]auth.MigrationBucket, 0, hours)
	var sum float64
	for i := range hours {
		// Decaying with the days, higher in the daytime.
		w := math.Exp(-float64(i)/float64(hours)*2) * (1.2 + math.Sin(float64(i%24)/24*2*math.Pi-math.Pi/2))
		out = append(out, auth.MigrationBucket{Start: start.Add(time.Duration(i) * time.Hour), Users: int64(w * 1000)})
		sum += w * 1000
	}
	for i := range out {
		out[i].Users = int64(float64(out[i].Users) * total / sum)
	}
	return out
}

// TestBrowser drives the console in headless chromium: sign in with a
// tenant key, read the numbers, upload a module and dry-run it, be refused
// another tenant's page and a change without the CSRF token, sign out. It
// takes screenshots of the tenant page and the dry run, at a desktop's and
// a phone's width.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	ts := testserver.Start(t, server.Config{})
	key := ts.CreateTenant("acme")
	ts.CreateTenant("other")
	// Thirty days of history before today's logins, for the chart.
	ts = seedHistory(t, ts, "acme", rampHistory(time.Now().Add(-time.Hour), 30, 40_000))

	l := ts.LegacyDB(t, "sqlite", "acme")
	base := "/admin/v1/tenants/acme"
	ts.Must(ts.Do("PUT", base+"/script", key, examples.GoLegacy), 201, "upload script")
	ts.Must(ts.Do("PUT", base+"/connection", key, map[string]any{"driver": l.Driver, "dsn": l.DSN, "config": l.Config}), 200, "set connection")
	// dave's email taken locally before migration: his legacy login is a conflict.
	ts.Must(ts.Register("acme", "dave@example.com", "a-long-passphrase"), 201, "register dave locally")
	ts.Must(ts.Do("PUT", base+"/migration", key, map[string]any{"enabled": true}), 200, "enable migration")
	ts.Must(ts.Login("acme", "alice@example.com", testserver.SeedPassword("alice")), 200, "first legacy login")
	ts.Must(ts.Login("acme", "bob", testserver.SeedPassword("bob")), 200, "second legacy login")
	ts.Must(ts.Login("acme", "dave", testserver.SeedPassword("dave")), 409, "conflicting legacy login")
	api := ts.Must(ts.Do("GET", base+"/migration", key, nil), 200, "GET /migration").Object(t)

	shots := t.TempDir()
	if *updateScreenshots {
		shots = filepath.Join("..", "..", "docs")
	}
	module := filepath.Join(t.TempDir(), "legacy.wasm")
	if err := os.WriteFile(module, examples.CLegacy, 0o600); err != nil {
		t.Fatal(err)
	}

	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first Run starts the browser, and must not have a deadline.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// submit clicks a submit button and waits for the next page, returning
	// its status.
	submit := func(what string, sel chromedp.CSS) int64 {
		t.Helper()
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(sel))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return resp.Status
	}
	text := func(sel chromedp.CSS) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	screenshot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	desktop := chromedp.EmulateViewport(1280, 900)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)

	// Sign in with the tenant key, typed into the password field.
	do("open the console", chromedp.Navigate(ts.Base+"/console/"), chromedp.WaitVisible(chromedp.CSS("#token")))
	do("type the key", chromedp.SendKeys(chromedp.CSS("#token"), key))
	if st := submit("sign in", "form[action='/console/signin'] button"); st != 200 {
		t.Fatalf("sign in: status %d", st)
	}
	if h := text("h1"); h != "Migration · acme" {
		t.Fatalf("after signing in: %q", h)
	}

	// The numbers are the API's.
	legacy := api["legacy"].(map[string]any)
	for id, want := range map[string]any{
		"m-users_total": api["users_total"], "m-users_migrated": api["users_migrated"], "m-users_registered": api["users_registered"],
		"m-legacy.logins_ok": legacy["logins_ok"], "m-legacy.logins_rejected": legacy["logins_rejected"], "m-legacy.errors": legacy["errors"],
		"m-legacy.conflicts": legacy["conflicts"],
	} {
		if got := text(chromedp.CSS("[id='" + id + "']")); got != jsonNumber(want) {
			t.Errorf("%s: page %q, API %v", id, got, want)
		}
	}
	if legacy["logins_ok"] != 2.0 || legacy["conflicts"] != 1.0 {
		t.Fatalf("GET /migration after two legacy logins and a conflict: %v", api)
	}
	// The share of legacy users, typed in.
	do("legacy users", chromedp.SendKeys(chromedp.CSS("#legacy_users"), "8"))
	if st := submit("show the share", "form[method=get] button"); st != 200 {
		t.Fatalf("show the share: status %d", st)
	}
	if s := text(chromedp.CSS("#m-share")); s != "25.0% (2 migrated of 8)" {
		t.Fatalf("share of 8 legacy users: %q", s)
	}
	do("desktop", desktop)
	screenshot("console-tenant.png")
	do("phone", phone)
	screenshot("console-tenant-phone.png")
	do("desktop", desktop)

	// Upload a module, then dry-run it.
	do("scripts page", chromedp.Navigate(ts.Base+"/console/tenants/acme/scripts"), chromedp.WaitVisible(chromedp.CSS("#module")))
	do("choose the module", chromedp.SetUploadFiles(chromedp.CSS("#module"), []string{module}))
	if st := submit("upload", "form[enctype] button"); st != 200 {
		t.Fatalf("upload: status %d", st)
	}
	if n := text(".notice"); n != "Module uploaded." {
		t.Fatalf("after the upload: %q", n)
	}
	do("fill the dry run",
		chromedp.SendKeys(chromedp.CSS("#identifier"), "carol@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), testserver.SeedPassword("carol")))
	if st := submit("dry run", "form[action$='/scripts/test#dryrun'] button"); st != 200 {
		t.Fatalf("dry run: status %d", st)
	}
	if a := text("#test-answer"); !strings.Contains(a, `"email": "carol@example.com"`) {
		t.Fatalf("dry run answer: %q", a)
	}
	if f := text("#test-fuel"); f == "" || f == "0" {
		t.Fatalf("dry run fuel: %q", f)
	}
	screenshot("console-dryrun.png")
	do("phone", phone)
	screenshot("console-dryrun-phone.png")
	do("desktop", desktop)

	// Another tenant's page says no more than a missing tenant's.
	do("another tenant", chromedp.Navigate(ts.Base+"/console/tenants/other"))
	other := text("main")
	do("a missing tenant", chromedp.Navigate(ts.Base+"/console/tenants/ghost"))
	if ghost := text("main"); other != ghost || !strings.Contains(other, "there is no such page") {
		t.Fatalf("another tenant's page %q, a missing one's %q", other, ghost)
	}

	// A change whose form lost its CSRF token is refused, and not made.
	do("tenant page", chromedp.Navigate(ts.Base+"/console/tenants/acme"), chromedp.WaitVisible(chromedp.CSS("#switch")))
	do("forge the form", chromedp.SetAttributeValue(chromedp.CSS("form[action$='/migration'] input[name=csrf]"), "value", "forged"))
	if st := submit("switch without the token", "form[action$='/migration'] button"); st != 403 {
		t.Fatalf("a change without the CSRF token: status %d, want 403", st)
	}
	// And one posted without any token.
	do("tenant page", chromedp.Navigate(ts.Base+"/console/tenants/acme"), chromedp.WaitVisible(chromedp.CSS("#switch")))
	do("drop the token", chromedp.SetAttributeValue(chromedp.CSS("form[action$='/migration'] input[name=csrf]"), "name", "dropped"))
	if st := submit("switch with no token", "form[action$='/migration'] button"); st != 403 {
		t.Fatalf("a change with no CSRF token: status %d, want 403", st)
	}
	if on := ts.Must(ts.Do("GET", base+"/migration", key, nil), 200, "GET /migration").Object(t)["enabled"]; on != true {
		t.Fatal("a refused change was made")
	}

	// Sign out: the tenant page asks for a key again.
	do("tenant page", chromedp.Navigate(ts.Base+"/console/tenants/acme"), chromedp.WaitVisible(chromedp.CSS("#switch")))
	if st := submit("sign out", ".signout button"); st != 200 {
		t.Fatalf("sign out: status %d", st)
	}
	do("after signing out", chromedp.Navigate(ts.Base+"/console/tenants/acme"), chromedp.WaitVisible(chromedp.CSS("#token")))
}

// jsonNumber prints a decoded JSON number as the page does.
func jsonNumber(v any) string {
	f, ok := v.(float64)
	if !ok {
		return fmt.Sprint(v)
	}
	return strconv.FormatInt(int64(f), 10)
}
