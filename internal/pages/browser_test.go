package pages_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// browser starts a headless chromium with a new profile, or skips the
// test without chromium (fails it under CI=true).
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed (apt-get install chromium)")
		}
		t.Skip("chromium is not installed; apt-get install chromium to run the browser tests")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(420, 760),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// TestPasswordPagesInBrowser: in a real browser, a user only the legacy
// database has asks for a link on the "forgot password" page, opens the
// mailed link, is told a weak password is too weak, and sets a new one.
func TestPasswordPagesInBrowser(t *testing.T) {
	ctx := browser(t)
	ms := testserver.StartSMTP(t, testserver.SMTPOptions{})
	ts := testserver.Start(t, server.Config{SMTP: "smtp://" + ms.Addr, MailFrom: "auth@example.com"})
	const tenant = "pages"
	ts.CreateTenant(tenant)
	l := ts.LegacyDB(t, "sqlite", tenant)
	base := "/admin/v1/tenants/" + tenant
	ts.Must(ts.Do("PUT", base+"/script", testserver.OperatorToken, examples.CLegacy), 201, "upload script")
	ts.Must(ts.Do("PUT", base+"/connection", testserver.OperatorToken, map[string]any{"driver": l.Driver, "dsn": l.DSN, "config": l.Config}), 200, "set connection")
	ts.Must(ts.Do("PUT", base+"/migration", testserver.OperatorToken, map[string]any{"enabled": true}), 200, "enable migration")

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return s
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.Base+"/t/"+tenant+"/password/forgot"),
		chromedp.WaitVisible(chromedp.ID("identifier")),
		chromedp.SendKeys(chromedp.ID("identifier"), "carol@example.com"),
		chromedp.Submit(chromedp.ID("identifier")),
		chromedp.WaitVisible(chromedp.CSS(`p.message`)),
	)
	if err != nil {
		t.Fatalf("forgot page: %v", err)
	}
	heading, message := text("h1"), text("p.message")
	if heading != "Check your mail" {
		t.Fatalf("after the forgot form: %q %q", heading, message)
	}
	_, body, _, err := ms.Wait(t, 1)[0].Parts()
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(body, ts.Base+"/t/"+tenant+"/password/reset?token=")
	if i < 0 {
		t.Fatalf("no link in %q", body)
	}
	link := strings.Fields(body[i:])[0]

	err = chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("new_password")),
		chromedp.SendKeys(chromedp.ID("new_password"), "password"),
		chromedp.Submit(chromedp.ID("new_password")),
		chromedp.WaitVisible(chromedp.CSS(`p[role="alert"]`)),
	)
	if err != nil {
		t.Fatalf("reset page, weak password: %v", err)
	}
	if message = text("p.message"); !strings.Contains(message, "too common") {
		t.Fatalf("weak password message: %q", message)
	}
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("new_password")),
		chromedp.SendKeys(chromedp.ID("new_password"), "carol's brand new password"),
		chromedp.Submit(chromedp.ID("new_password")),
		chromedp.WaitVisible(chromedp.CSS(`p[role="status"]`)),
	)
	if err != nil {
		t.Fatalf("reset page: %v", err)
	}
	if heading = text("h1"); heading != "Password changed" {
		t.Fatalf("after the reset form: %q", heading)
	}
	ts.Must(ts.Login(tenant, "carol", testserver.SeedPassword("carol")), 401, "carol's legacy password")
	r := ts.Must(ts.Login(tenant, "carol@example.com", "carol's brand new password"), 200, "carol's new password")
	if u := r.Obj("user"); u["source"] != "legacy" || u["legacy_id"] != "3" {
		t.Fatalf("carol: %v", u)
	}
	// A form without the page's CSRF token is refused.
	ts.Must(ts.Send("POST", "/t/"+tenant+"/password/forgot", "", "application/x-www-form-urlencoded", []byte("identifier=carol")), 403, "form without CSRF")
}
