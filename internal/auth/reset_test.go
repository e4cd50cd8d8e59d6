package auth_test

import (
	"context"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/auth/mock"
	"github.com/wasmauth/wasmauth/internal/password"
)

// legacyLee is a module whose get_user knows lee (legacy id "7"); it
// counts its calls and, while gate is set, waits for it.
type legacyLee struct {
	mock.Scripts
	calls atomic.Int32
	gate  chan struct{}
}

func newLegacyLee() *legacyLee {
	f := &legacyLee{}
	f.CallFn = func(ctx context.Context, c auth.ScriptCall) (*auth.ScriptResult, error) {
		if c.Op != auth.OpGetUser {
			return &auth.ScriptResult{}, nil
		}
		f.calls.Add(1)
		if f.gate != nil {
			<-f.gate
		}
		if c.Identifier == "lee@example.com" || c.Identifier == "lee" {
			return &auth.ScriptResult{User: &auth.LegacyUser{ID: "7", Email: "Lee@Example.com", Username: "lee", Name: "Lee"}}, nil
		}
		return &auth.ScriptResult{}, nil
	}
	return f
}

var tokenInMail = regexp.MustCompile(`/t/acme/password/reset\?token=([A-Za-z0-9_-]{43})`)

// outbox returns the queued mails and the token of each.
func outbox(t *testing.T, e *env) ([]*auth.Mail, []string) {
	t.Helper()
	e.svc.WaitForgotten()
	mails, err := e.store.DueMail(t.Context(), time.Now().Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	var toks []string
	for _, m := range mails {
		toks = append(toks, tokenInMail.FindStringSubmatch(m.Text)[1])
	}
	return mails, toks
}

// TestForgotAnswersBeforeLookup: the answer does not wait for the module's
// get_user (nor for anything about the identifier), known or not.
func TestForgotAnswersBeforeLookup(t *testing.T) {
	lee := newLegacyLee()
	lee.gate = make(chan struct{})
	e := newEnv(t, lee)
	for _, id := range []string{"lee@example.com", "nobody@example.com"} {
		if err := e.svc.ForgotPassword(t.Context(), "acme", id, auth.Meta{IP: realUser}); err != nil {
			t.Fatalf("ForgotPassword(%s): %v", id, err)
		}
	}
	close(lee.gate) // only now can the lookups finish
	mails, _ := outbox(t, e)
	if len(mails) != 1 || mails[0].To != "lee@example.com" || mails[0].FromName != "Acme" || mails[0].HTML == "" {
		t.Fatalf("outbox: %+v", mails)
	}
	if lee.calls.Load() != 2 {
		t.Fatalf("get_user calls: %d", lee.calls.Load())
	}
	if code := auth.ErrorCode(e.svc.ForgotPassword(t.Context(), "acme", "  ", auth.Meta{})); code != auth.CodeInvalidRequest {
		t.Fatalf("empty identifier: %s", code)
	}
	if code := auth.ErrorCode(e.svc.ForgotPassword(t.Context(), "ghost", "lee", auth.Meta{})); code != auth.CodeTenantNotFound {
		t.Fatalf("unknown tenant: %s", code)
	}
}

// TestResetLegacyUser: a user only the module knows is created at reset,
// with its legacy id and the new password; a weak password keeps the
// token; a token works once.
func TestResetLegacyUser(t *testing.T) {
	e := newEnv(t, newLegacyLee())
	ctx := t.Context()
	if err := e.svc.ForgotPassword(ctx, "acme", "lee", auth.Meta{IP: realUser}); err != nil {
		t.Fatal(err)
	}
	_, toks := outbox(t, e)
	if len(toks) != 1 {
		t.Fatalf("tokens: %v", toks)
	}
	tok := toks[0]
	if code := auth.ErrorCode(e.svc.ResetPassword(ctx, "acme", tok, "password", auth.Meta{IP: realUser})); code != auth.CodeWeakPassword {
		t.Fatalf("weak password: %s", code)
	}
	if _, err := e.store.FindUserByLegacyID(ctx, "acme", "7"); err == nil {
		t.Fatal("lee was created by a refused reset")
	}
	if err := e.svc.ResetPassword(ctx, "acme", tok, "lee's new password", auth.Meta{IP: realUser}); err != nil {
		t.Fatalf("reset: %v", err)
	}
	u, err := e.store.FindUserByLegacyID(ctx, "acme", "7")
	if err != nil || u.Source != auth.SourceLegacy || u.Email != "lee@example.com" || u.Username != "lee" || u.MigratedAt.IsZero() {
		t.Fatalf("lee: %+v, %v", u, err)
	}
	if code := e.login(t, realUser, "lee", "lee's new password"); code != "" {
		t.Fatalf("login with the new password: %s", code)
	}
	if code := auth.ErrorCode(e.svc.ResetPassword(ctx, "acme", tok, "lee's other password", auth.Meta{IP: realUser})); code != auth.CodeInvalidToken {
		t.Fatalf("second use: %s", code)
	}
	// Lee is local now: the next link is a local user's.
	if err := e.svc.ForgotPassword(ctx, "acme", "lee@example.com", auth.Meta{IP: realUser}); err != nil {
		t.Fatal(err)
	}
	_, toks = outbox(t, e)
	if err := e.svc.ResetPassword(ctx, "acme", toks[len(toks)-1], "lee's third password", auth.Meta{IP: realUser}); err != nil {
		t.Fatalf("reset of the local lee: %v", err)
	}
	if code := e.login(t, realUser, "lee", "lee's third password"); code != "" {
		t.Fatalf("login: %s", code)
	}
}

// TestResetRules: no module call with migration off, an expired token, an
// imported user without a usable hash gets its first password, and the
// user's refresh tokens end.
func TestResetRules(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, nil)
	e.svc.Close()
	e.svc = auth.NewService(auth.Config{BaseURL: "http://auth.test"}, auth.Deps{
		Store: e.store, Hasher: password.NewHasher(password.Config{Params: cheapHash}), Limiter: newLimiter(), Now: clock,
	})
	t.Cleanup(func() { e.svc.Close() })
	ctx := t.Context()

	// An imported user without a hash anyone can verify.
	imp := &auth.User{ID: "u-imp", Tenant: "acme", Email: "imp@example.com", Source: auth.SourceLegacy, LegacyID: "9", Imported: true, CreatedAt: now, UpdatedAt: now}
	if _, err := e.store.ImportUsers(ctx, "acme", []*auth.User{imp}, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ForgotPassword(ctx, "acme", "imp@example.com", auth.Meta{IP: realUser}); err != nil {
		t.Fatal(err)
	}
	_, toks := outbox(t, e)
	// 31 minutes later the link has expired.
	mu.Lock()
	now = now.Add(auth.ResetTokenTTL + time.Minute)
	mu.Unlock()
	if code := auth.ErrorCode(e.svc.ResetPassword(ctx, "acme", toks[0], "imp's new password", auth.Meta{IP: realUser})); code != auth.CodeInvalidToken {
		t.Fatalf("expired token: %s", code)
	}
	if err := e.svc.ForgotPassword(ctx, "acme", "imp@example.com", auth.Meta{IP: realUser}); err != nil {
		t.Fatal(err)
	}
	_, toks = outbox(t, e)
	if err := e.svc.ResetPassword(ctx, "acme", toks[len(toks)-1], "imp's new password", auth.Meta{IP: realUser}); err != nil {
		t.Fatalf("reset: %v", err)
	}
	u, err := e.store.GetUser(ctx, "acme", "u-imp")
	if err != nil || u.Imported || u.LegacyHash != "" || u.PasswordHash == "" {
		t.Fatalf("imported user after reset: %+v, %v", u, err)
	}
	set, err := e.svc.Login(ctx, "acme", "imp@example.com", "imp's new password", auth.Meta{IP: realUser})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	// Another reset ends that session.
	if err := e.svc.ForgotPassword(ctx, "acme", "imp@example.com", auth.Meta{IP: realUser}); err != nil {
		t.Fatal(err)
	}
	_, toks = outbox(t, e)
	if err := e.svc.ResetPassword(ctx, "acme", toks[len(toks)-1], "imp's newer password", auth.Meta{IP: realUser}); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if _, err := e.svc.Refresh(ctx, "acme", set.RefreshToken, auth.Meta{IP: realUser}); err == nil {
		t.Fatal("a refresh token outlived the reset")
	}
	for _, tok := range []string{"", "made-up", string(make([]byte, 300))} {
		if code := auth.ErrorCode(e.svc.ResetPassword(ctx, "acme", tok, "a fine password", auth.Meta{IP: realUser})); code != auth.CodeInvalidToken {
			t.Fatalf("token %q: %s", tok, code)
		}
	}
}
