package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/auth/mock"
	"github.com/wasmauth/wasmauth/internal/password"
)

// TestRegisterRefusesWeakPasswords: the password policy's refusals are
// CodeWeakPassword with a message that says which rule.
func TestRegisterRefusesWeakPasswords(t *testing.T) {
	e := newEnv(t, nil)
	for i, tc := range []struct{ pw, says string }{
		{"short1", "at least 8"},
		{strings.Repeat("long", 65) + "x", "at most 256"},
		{"password123", "too common"},
	} {
		_, err := e.register(t, "192.0.2."+string(rune('1'+i)), auth.RegisterInput{Email: "weak@example.com", Password: tc.pw})
		if auth.ErrorCode(err) != auth.CodeWeakPassword || !strings.Contains(auth.ErrorMessage(err), tc.says) {
			t.Fatalf("password %q: %v, want weak_password saying %q", tc.pw, err, tc.says)
		}
	}
}

// TestLoginRehashes: a password stored under older hash parameters is
// stored again under the current ones at its next login.
func TestLoginRehashes(t *testing.T) {
	e := newEnv(t, nil)
	u, err := e.register(t, realUser, auth.RegisterInput{Email: "gil@example.com", Password: localPW})
	if err != nil {
		t.Fatal(err)
	}
	stronger := cheapHash
	stronger.Iterations++
	e.svc.Close()
	e.svc = auth.NewService(auth.Config{BaseURL: "http://auth.test"}, auth.Deps{
		Store: e.store, Hasher: password.NewHasher(password.Config{Params: stronger}), Limiter: newLimiter(),
	})
	t.Cleanup(func() { e.svc.Close() })
	mustLogin(t, e, "gil@example.com", localPW)
	after, err := e.store.GetUser(t.Context(), "acme", u.ID)
	if err != nil || after.PasswordHash == u.PasswordHash {
		t.Fatalf("the hash was not replaced: %v", err)
	}
	mustLogin(t, e, "gil@example.com", localPW)
}

// TestSessions: refresh rotates the token, a reused one revokes the
// session, revoke ends it, and a deleted user's tokens stop working.
func TestSessions(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	if _, err := e.register(t, realUser, auth.RegisterInput{Email: "hal@example.com", Username: "hal", Password: localPW}); err != nil {
		t.Fatal(err)
	}
	first := mustLogin(t, e, "hal", localPW)
	claims, err := e.svc.UserInfo(ctx, "acme", first.AccessToken)
	if err != nil || claims["email"] != "hal@example.com" || claims["preferred_username"] != "hal" || claims["sub"] != first.User.ID {
		t.Fatalf("userinfo: %v, %v", claims, err)
	}
	second, err := e.svc.Refresh(ctx, "acme", first.RefreshToken, auth.Meta{})
	if err != nil || second.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh: %v", err)
	}
	// The old refresh token again: the whole session ends.
	if _, err := e.svc.Refresh(ctx, "acme", first.RefreshToken, auth.Meta{}); auth.ErrorCode(err) != auth.CodeInvalidGrant {
		t.Fatalf("a reused refresh token: %v, want invalid_grant", err)
	}
	if _, err := e.svc.Refresh(ctx, "acme", second.RefreshToken, auth.Meta{}); auth.ErrorCode(err) != auth.CodeInvalidGrant {
		t.Fatalf("the session's current token after a reuse: %v, want invalid_grant", err)
	}
	if _, err := e.svc.Authorize(ctx, "acme", second.AccessToken); auth.ErrorCode(err) != auth.CodeUnauthorized {
		t.Fatalf("an access token of the revoked session: %v, want unauthorized", err)
	}

	third := mustLogin(t, e, "hal", localPW)
	if err := e.svc.Revoke(ctx, "acme", third.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Refresh(ctx, "acme", third.RefreshToken, auth.Meta{}); auth.ErrorCode(err) != auth.CodeInvalidGrant {
		t.Fatalf("refresh after revoking by access token: %v", err)
	}
	if err := e.svc.Revoke(ctx, "acme", "not-a-token"); err != nil {
		t.Fatalf("revoking an unknown token: %v", err)
	}

	fourth := mustLogin(t, e, "hal", localPW)
	if err := e.svc.DeleteUser(ctx, "acme", fourth.User.ID, auth.Meta{Actor: "operator"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authorize(ctx, "acme", fourth.AccessToken); auth.ErrorCode(err) != auth.CodeUnauthorized {
		t.Fatalf("a deleted user's access token: %v", err)
	}
	if _, err := e.svc.Refresh(ctx, "acme", fourth.RefreshToken, auth.Meta{}); auth.ErrorCode(err) != auth.CodeInvalidGrant {
		t.Fatalf("a deleted user's refresh token: %v", err)
	}
	if _, err := e.svc.FindUser(ctx, "acme", "hal"); auth.ErrorCode(err) != auth.CodeNotFound {
		t.Fatalf("finding a deleted user: %v", err)
	}
}

// TestLoginShedsBeforeLookingUp: while the hasher would refuse the tenant's
// next hash, a login is answered overloaded, with a Retry-After, before the
// user is looked up — for a local user and for one only the legacy database
// might know alike, whose module is not called — and once a slot is free
// the same logins go on as before.
func TestLoginShedsBeforeLookingUp(t *testing.T) {
	var calls atomic.Int32
	scripts := &mock.Scripts{CallFn: func(context.Context, auth.ScriptCall) (*auth.ScriptResult, error) {
		calls.Add(1)
		return &auth.ScriptResult{Reason: "wrong_password"}, nil
	}}
	e := newEnv(t, scripts)
	// One slot, and no wait for it: while it is held, every hash is refused.
	h := password.NewHasher(password.Config{Params: cheapHash, MaxConcurrent: 1, MaxWait: time.Nanosecond})
	e.svc.Close()
	e.svc = auth.NewService(auth.Config{BaseURL: "http://auth.test"}, auth.Deps{
		Store: e.store, Hasher: h, Limiter: newLimiter(), Scripts: scripts,
		LegacyCeiling: func() time.Duration { return time.Millisecond },
	})
	t.Cleanup(func() { e.svc.Close() })
	if _, err := e.register(t, realUser, auth.RegisterInput{Email: "jo@example.com", Password: localPW}); err != nil {
		t.Fatal(err)
	}
	calls.Store(0) // registration asked the module whether the user exists

	hold, err := h.Acquire(password.WithTenant(t.Context(), "acme"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"jo@example.com", "legacy-only@example.com"} {
		_, err := e.svc.Login(t.Context(), "acme", id, localPW, auth.Meta{IP: realUser})
		var ae *auth.Error
		if auth.ErrorCode(err) != auth.CodeOverloaded || !errors.As(err, &ae) || ae.RetryAfter <= 0 {
			t.Fatalf("login of %s with the hasher full: %v, want overloaded with a Retry-After", id, err)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("the module was called %d times while the hasher was full, want 0: the login was not shed before the lookup", n)
	}

	hold()
	mustLogin(t, e, "jo@example.com", localPW)
	if code := e.login(t, realUser, "legacy-only@example.com", localPW); code != auth.CodeInvalidCredentials {
		t.Fatalf("login of a user the module rejects: %v, want invalid_credentials", code)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the module was called %d times after the slot was free, want 1", n)
	}
}

// gatedStore is the real store whose FindUser, for one tenant, says it has
// been reached and, the first time, then waits for the gate to open.
type gatedStore struct {
	auth.Store
	tenant  string
	reached chan string
	gate    chan struct{}
	waited  atomic.Bool
}

func (g *gatedStore) FindUser(ctx context.Context, tenant, identifier string) (*auth.User, error) {
	if tenant == g.tenant {
		g.reached <- identifier
		if g.waited.CompareAndSwap(false, true) {
			<-g.gate
		}
	}
	return g.Store.FindUser(ctx, tenant, identifier)
}

// TestLoginAdmissionCountsLoginsOnTheirWay: a login admitted while the
// hasher's one slot is free, and still looking its user up, has that slot
// promised: the tenant's next login is shed before its own lookup, while
// another tenant, with nothing promised, is admitted and logs in; once the
// first login has its user, it logs in too.
func TestLoginAdmissionCountsLoginsOnTheirWay(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	if _, _, err := e.svc.CreateTenant(ctx, "beta", "Beta", auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"acme", "beta"} {
		if _, err := e.svc.Register(ctx, tenant, auth.RegisterInput{Email: "kit@example.com", Password: localPW}, auth.Meta{IP: realUser}); err != nil {
			t.Fatal(err)
		}
	}
	g := &gatedStore{Store: e.store, tenant: "acme", reached: make(chan string, 3), gate: make(chan struct{})}
	// One slot, and no wait for it: a login that cannot have it at once is shed.
	e.svc.Close()
	e.svc = auth.NewService(auth.Config{BaseURL: "http://auth.test"}, auth.Deps{
		Store: g, Hasher: password.NewHasher(password.Config{Params: cheapHash, MaxConcurrent: 1, MaxWait: time.Nanosecond}), Limiter: newLimiter(),
	})
	t.Cleanup(func() { e.svc.Close() })

	first := make(chan error, 1)
	go func() {
		_, err := e.svc.Login(ctx, "acme", "kit@example.com", localPW, auth.Meta{IP: realUser})
		first <- err
	}()
	<-g.reached // the first login is looking its user up
	_, err := e.svc.Login(ctx, "acme", "kit@example.com", localPW, auth.Meta{IP: realUser})
	if auth.ErrorCode(err) != auth.CodeOverloaded {
		t.Fatalf("acme's second login while the first is on its way to the one slot: %v, want overloaded", err)
	}
	if _, err := e.svc.Login(ctx, "beta", "kit@example.com", localPW, auth.Meta{IP: realUser}); err != nil {
		t.Fatalf("beta's login while acme's is on its way: %v, want a session", err)
	}
	close(g.gate)
	if err := <-first; err != nil {
		t.Fatalf("acme's first login: %v, want a session", err)
	}
	select {
	case id := <-g.reached:
		t.Fatalf("a shed login looked %s up", id)
	default:
	}
}
