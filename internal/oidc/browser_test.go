package oidc_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// chromium returns Debian's chromium, or skips the test without it (fails
// it under CI=true, where .ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install chromium)")
	}
	t.Skip("chromium is not installed; apt-get install chromium to run the browser tests")
	return ""
}

// realBrowser starts a headless chromium with a new profile and returns
// its context; it stops when the test ends.
func realBrowser(t *testing.T) context.Context {
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(420, 760),
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

// appCallback is the relying party's redirect URI, a real server on a
// loopback port; it hands each authorization response to the test.
func appCallback(t *testing.T) (string, <-chan url.Values) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan url.Values, 4)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cb" { // the browser also asks for /favicon.ico
			http.NotFound(w, r)
			return
		}
		got <- r.URL.Query()
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!doctype html><title>App</title><p id=done>Signed in to the app.</p>"))
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String() + "/cb", got
}

// browserSignIn fills the hosted form in chromium and returns the app's
// authorization response; shot, when set, receives a screenshot of the form.
func browserSignIn(t *testing.T, ctx context.Context, authURL, identifier, pw string, got <-chan url.Values, shot *[]byte) url.Values {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(chromedp.ID("identifier")),
		chromedp.SendKeys(chromedp.ID("identifier"), identifier),
		chromedp.SendKeys(chromedp.ID("password"), pw),
	)
	if err == nil && shot != nil {
		*shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	}
	if err == nil {
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("done")))
	}
	if err != nil {
		t.Fatalf("signing in through the page: %v", err)
	}
	select {
	case q := <-got:
		return q
	case <-time.After(30 * time.Second):
		t.Fatal("the app got no authorization response")
	}
	return nil
}

func TestBrowserSignIn(t *testing.T) {
	ctx := realBrowser(t)
	e := newEnv(t)
	redirect, got := appCallback(t)
	app := newRP(t, e, e.clientID, e.secret)
	app.conf.RedirectURL = redirect
	verifier := oauth2.GenerateVerifier()

	t.Run("LocalUser", func(t *testing.T) {
		var shot []byte
		q := browserSignIn(t, ctx, app.conf.AuthCodeURL("st1", gooidc.Nonce("n1"), oauth2.S256ChallengeOption(verifier)), e.email, userPassword, got, &shot)
		if q.Get("state") != "st1" || q.Get("iss") != e.issuer {
			t.Fatalf("authorization response %v", q)
		}
		tok, err := app.conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := app.verifier.Verify(t.Context(), tok.Extra("id_token").(string)); err != nil {
			t.Fatal(err)
		}
		if os.Getenv("WASMAUTH_SCREENSHOTS") == "1" {
			if err := os.WriteFile(filepath.Join("..", "..", "docs", "hosted-login.png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// Single sign-on on the second visit: no form.
		if err := chromedp.Do(ctx, chromedp.Navigate(app.conf.AuthCodeURL("st2", oauth2.S256ChallengeOption(verifier))), chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
			t.Fatalf("single sign-on: %v", err)
		}
		if q := <-got; q.Get("state") != "st2" || q.Get("code") == "" {
			t.Fatalf("single sign-on answer %v", q)
		}
	})

	t.Run("LegacyUser", func(t *testing.T) {
		e.setUpLegacy(t, examples.GoLegacy)
		q := browserSignIn(t, ctx, app.conf.AuthCodeURL("st3", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "login")),
			"bob", testserver.SeedPassword("bob"), got, nil)
		tok, err := app.conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		info, err := app.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
		if err != nil || info.Subject == "" {
			t.Fatalf("userinfo of the migrated user: %+v %v", info, err)
		}
		users := e.ts.Must(e.ts.Do("GET", "/admin/v1/tenants/acme/users?source=legacy", e.key, nil), 200, "list users")
		if !strings.Contains(string(users.Body), `"bob"`) {
			t.Fatalf("bob was not migrated: %s", users.Body)
		}
	})
}
