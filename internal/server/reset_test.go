package server_test

import (
	"context"
	"crypto/sha256"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// resetLink finds the reset link of a mail, checking its two parts.
func resetLink(t *testing.T, m testserver.Received, base, tenant string) string {
	t.Helper()
	h, text, html, err := m.Parts()
	if err != nil {
		t.Fatalf("reading the mail: %v", err)
	}
	re := regexp.MustCompile(regexp.QuoteMeta(base+"/t/"+tenant+"/password/reset?token=") + `[A-Za-z0-9_-]{43}`)
	link := re.FindString(text)
	if link == "" || !strings.Contains(html, `href="`+link+`"`) {
		t.Fatalf("no reset link in the mail: text %q html %q", text, html)
	}
	if !strings.Contains(h.Get("From"), "<auth@example.com>") {
		t.Fatalf("From: %q", h.Get("From"))
	}
	return link
}

func forgot(ts *testserver.Server, tenant, identifier string) *testserver.Response {
	ts.T.Helper()
	return ts.Do("POST", "/t/"+tenant+"/password/forgot", "", map[string]any{"identifier": identifier})
}

func reset(ts *testserver.Server, tenant, tok, pw string) *testserver.Response {
	ts.T.Helper()
	return ts.Do("POST", "/t/"+tenant+"/password/reset", "", map[string]any{"token": tok, "new_password": pw})
}

// TestPasswordReset walks the contract's reset over HTTP with a real SMTP
// server: a user only the legacy database has (created locally at reset,
// its legacy password refused afterwards), an unknown identifier (202,
// no mail), a weak new password, used, expired and made-up tokens, and
// the sessions of a local user ending.
func TestPasswordReset(t *testing.T) {
	ms := testserver.StartSMTP(t, testserver.SMTPOptions{})
	ts := testserver.Start(t, server.Config{SMTP: "smtp://" + ms.Addr, MailFrom: "auth@example.com"})
	const tenant = "reset"
	ts.CreateTenant(tenant)
	l := ts.LegacyDB(t, "sqlite", tenant)
	setUpMigration(t, ts, tenant, l)
	svc := ts.Srv.Service()

	// The same answer for nobody and for bob, who is only in the legacy
	// database; the unknown identifier gets no mail (mails go out in
	// order, so bob's is the first).
	r1 := ts.Must(forgot(ts, tenant, "nobody@example.com"), 202, "forgot, unknown identifier")
	r2 := ts.Must(forgot(ts, tenant, "bob@example.com"), 202, "forgot, legacy-only user")
	if string(r1.Body) != string(r2.Body) {
		t.Fatalf("different answers: %s / %s", r1.Body, r2.Body)
	}
	m := ms.Wait(t, 1)[0]
	if len(m.To) != 1 || m.To[0] != "bob@example.com" {
		t.Fatalf("first mail went to %v", m.To)
	}
	link := resetLink(t, m, ts.Base, tenant)
	tok := link[strings.Index(link, "token=")+len("token="):]

	// The link opens the hosted page.
	page := ts.Must(ts.Do("GET", strings.TrimPrefix(link, ts.Base), "", nil), 200, "the reset page")
	if !strings.Contains(string(page.Body), `name="new_password"`) || !strings.Contains(string(page.Body), tok) {
		t.Fatalf("reset page: %s", page.Body)
	}

	// A weak password is refused and the token stays valid.
	if r := ts.Must(reset(ts, tenant, tok, "password"), 422, "weak new password"); r.ProblemCode() != "weak_password" {
		t.Fatalf("weak: %s", r)
	}
	ts.Must(reset(ts, tenant, tok, "bob's new pass 1"), 204, "reset")
	if r := ts.Must(reset(ts, tenant, tok, "bob's new pass 2"), 400, "the token again"); r.ProblemCode() != "invalid_token" {
		t.Fatalf("used token: %s", r)
	}
	if r := ts.Must(reset(ts, tenant, "made-up-token", "bob's new pass 2"), 400, "made-up token"); r.ProblemCode() != "invalid_token" {
		t.Fatalf("made-up token: %s", r)
	}
	// Bob is local now; the legacy password is refused.
	ts.Must(ts.Login(tenant, "bob@example.com", testserver.SeedPassword("bob")), 401, "bob's legacy password")
	r := ts.Must(ts.Login(tenant, "bob", "bob's new pass 1"), 200, "bob's new password")
	if u := r.Obj("user"); u["source"] != "legacy" || u["legacy_id"] != "2" {
		t.Fatalf("bob: %v", u)
	}

	// An expired token (stored as a reset would store it).
	expired := "an-expired-token-0123456789-0123456789-0123"
	h := sha256.Sum256([]byte(expired))
	u, err := ts.Srv.Store().FindUser(context.Background(), tenant, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Srv.Store().PutResetToken(context.Background(), &auth.ResetToken{Tenant: tenant, Hash: h[:], Subject: "user:" + u.ID, UserID: u.ID,
		CreatedAt: time.Now().Add(-time.Hour), ExpiresAt: time.Now().Add(-30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if r := ts.Must(reset(ts, tenant, expired, "bob's new pass 3"), 400, "expired token"); r.ProblemCode() != "invalid_token" {
		t.Fatalf("expired token: %s", r)
	}

	// A local user: a second request replaces the first link, and the
	// reset ends every session.
	ts.Must(ts.Register(tenant, "zoe@example.com", "zoe's first password"), 201, "register zoe")
	sess := ts.Must(ts.Login(tenant, "zoe@example.com", "zoe's first password"), 200, "zoe logs in")
	ts.Must(forgot(ts, tenant, "zoe@example.com"), 202, "forgot, zoe")
	ts.Must(forgot(ts, tenant, "ZOE@example.com"), 202, "forgot, zoe again")
	mails := ms.Wait(t, 3)
	first := resetLink(t, mails[1], ts.Base, tenant)
	second := resetLink(t, mails[2], ts.Base, tenant)
	tokOf := func(link string) string { return link[strings.Index(link, "token=")+len("token="):] }
	ts.Must(reset(ts, tenant, tokOf(first), "zoe's new password"), 400, "the replaced link")
	ts.Must(reset(ts, tenant, tokOf(second), "zoe's new password"), 204, "zoe's reset")
	ts.Must(refresh(ts, tenant, sess.Str("refresh_token")), 400, "zoe's old refresh token")
	ts.Must(ts.Do("GET", "/t/"+tenant+"/userinfo", sess.Str("access_token"), nil), 401, "zoe's old access token")
	ts.Must(ts.Login(tenant, "zoe@example.com", "zoe's first password"), 401, "zoe's old password")
	ts.Must(ts.Login(tenant, "zoe@example.com", "zoe's new password"), 200, "zoe's new password")

	// A user without an email (erin, legacy) and nobody got no mail.
	ts.Must(forgot(ts, tenant, "erin"), 202, "forgot, user without email")
	svc.WaitForgotten()
	if n := len(ms.Mails()); n != 3 {
		t.Fatalf("%d mails, want 3", n)
	}
	audit := string(ts.Must(ts.Do("GET", "/admin/v1/tenants/"+tenant+"/audit", testserver.OperatorToken, nil), 200, "audit").Body)
	if strings.Count(audit, `"type":"password_reset"`) != 2 {
		t.Fatalf("audit: %s", audit)
	}
}

// TestPasswordResetLimits: forgot is limited per identifier and address,
// and wrong tokens per address, with 429 and Retry-After.
func TestPasswordResetLimits(t *testing.T) {
	ts := testserver.Start(t, server.Config{LoginFailures: 3})
	const tenant = "rlim"
	ts.CreateTenant(tenant)
	for i := range 3 {
		ts.Must(forgot(ts, tenant, "someone@example.com"), 202, "forgot "+string(rune('1'+i)))
	}
	r := ts.Must(forgot(ts, tenant, "someone@example.com"), 429, "forgot, one too many")
	if r.ProblemCode() != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("429: %s %v", r, r.Header)
	}
	for range 40 {
		if r = reset(ts, tenant, "made-up", "a fine new password"); r.Status == 429 {
			break
		}
	}
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("wrong tokens: %s", r)
	}
	ts.Must(ts.Do("POST", "/t/nope/password/forgot", "", map[string]any{"identifier": "x"}), 404, "unknown tenant")
}

// TestResetMailSurvivesRestart: a mail queued while the SMTP server is
// down stays in the outbox, and the next start delivers it.
func TestResetMailSurvivesRestart(t *testing.T) {
	// A port with nothing listening: the SMTP server is down.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ts := testserver.Start(t, server.Config{SMTP: "smtp://" + addr, MailFrom: "auth@example.com"})
	const tenant = "outbox"
	ts.CreateTenant(tenant)
	ts.Must(ts.Register(tenant, "yan@example.com", "yan's first password"), 201, "register")
	ts.Must(forgot(ts, tenant, "yan@example.com"), 202, "forgot")
	ts.Srv.Service().WaitForgotten()
	// Wait for the sender's failed try.
	deadline := time.Now().Add(60 * time.Second)
	for {
		due, err := ts.Srv.Store().DueMail(context.Background(), time.Now().Add(48*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) == 1 && due[0].Attempts >= 1 && due[0].LastError != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox: %+v", due)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Stop()
	up := testserver.StartSMTP(t, testserver.SMTPOptions{Addr: addr})
	base := ts.Base // the link was made with the first server's base URL
	ts = ts.Restart()
	link := resetLink(t, up.Wait(t, 1)[0], base, tenant)
	ts.Must(reset(ts, tenant, link[strings.Index(link, "token=")+len("token="):], "yan's new password"), 204, "reset after the restart")
}
