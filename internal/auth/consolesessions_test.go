package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/password"
)

// TestConsoleSessionLifetime: a console session lives while in use, up to
// ConsoleMaxLifetime, ends after ConsoleIdleTimeout unused, at sign-out,
// and when the key it was signed in with stops working.
func TestConsoleSessionLifetime(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	gone := func(what string, cs *auth.ConsoleSession, err error) {
		t.Helper()
		if !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("%s: %+v, %v; want ErrNotFound", what, cs, err)
		}
	}
	acme := auth.Principal{Tenant: "acme"}
	key, err := e.svc.RotateAPIKey(ctx, "acme", auth.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	id, started, err := e.svc.StartConsoleSession(ctx, acme, auth.HashSecret(key), now)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := e.svc.ConsoleSession(ctx, id, now)
	if err != nil || cs.Principal != acme || cs.CSRF != started.CSRF || cs.CSRF == "" {
		t.Fatalf("ConsoleSession: %+v, %v", cs, err)
	}
	cs, err = e.svc.ConsoleSession(ctx, id+"x", now)
	gone("a wrong id", cs, err)
	cs, err = e.svc.ConsoleSession(ctx, "", now)
	gone("no id", cs, err)

	// Each request keeps it alive, up to ConsoleMaxLifetime.
	at := now
	for at.Sub(now) < auth.ConsoleMaxLifetime-auth.ConsoleIdleTimeout {
		at = at.Add(auth.ConsoleIdleTimeout - time.Minute)
		if _, err := e.svc.ConsoleSession(ctx, id, at); err != nil {
			t.Fatalf("session ended %v after its start, while in use: %v", at.Sub(now), err)
		}
	}
	cs, err = e.svc.ConsoleSession(ctx, id, now.Add(auth.ConsoleMaxLifetime))
	gone("past ConsoleMaxLifetime", cs, err)

	// Unused for ConsoleIdleTimeout.
	id, _, _ = e.svc.StartConsoleSession(ctx, acme, auth.HashSecret(key), now)
	cs, err = e.svc.ConsoleSession(ctx, id, now.Add(auth.ConsoleIdleTimeout))
	gone("past ConsoleIdleTimeout", cs, err)

	// Signed out.
	id, _, _ = e.svc.StartConsoleSession(ctx, acme, auth.HashSecret(key), now)
	if err := e.svc.EndConsoleSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	cs, err = e.svc.ConsoleSession(ctx, id, now)
	gone("after sign-out", cs, err)

	// The tenant's key rotated.
	id, _, _ = e.svc.StartConsoleSession(ctx, acme, auth.HashSecret(key), now)
	if _, err := e.svc.RotateAPIKey(ctx, "acme", auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	cs, err = e.svc.ConsoleSession(ctx, id, now)
	gone("after the key's rotation", cs, err)

	// Another operator token after a restart.
	op := func(token string) *auth.Service {
		svc := auth.NewService(auth.Config{BaseURL: "http://auth.test", OperatorTokenHash: auth.HashSecret(token)}, auth.Deps{
			Store: e.store, Hasher: password.NewHasher(password.Config{Params: cheapHash}), Limiter: newLimiter(),
		})
		t.Cleanup(func() { svc.Close() })
		return svc
	}
	svc := op("first-operator-token")
	id, _, _ = svc.StartConsoleSession(ctx, auth.Principal{Operator: true}, auth.HashSecret("first-operator-token"), now)
	if _, err := op("first-operator-token").ConsoleSession(ctx, id, now); err != nil {
		t.Fatalf("the operator's session on another node: %v", err)
	}
	cs, err = op("second-operator-token").ConsoleSession(ctx, id, now)
	gone("after the operator token changed", cs, err)
}
