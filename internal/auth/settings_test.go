package auth_test

import (
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/store/badgerstore"
	"github.com/wasmauth/wasmauth/internal/token"
)

func TestCheckTokenSettings(t *testing.T) {
	tests := []struct {
		name            string
		access, session time.Duration
		alg             string
		ok              bool
	}{
		{"defaults", 0, 0, "", true},
		{"EdDSA and short lifetimes", time.Minute, time.Hour, token.EdDSA, true},
		{"access as long as the session", time.Hour, time.Hour, "", true},
		{"access beyond the default session", 31 * 24 * time.Hour, 0, "", false},
		{"negative", -time.Second, 0, "", false},
		{"RS256 signs ID tokens only", 0, 0, token.RS256, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := auth.CheckTokenSettings(tt.access, tt.session, tt.alg); (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// TestTokenSettingsApply: the configured lifetimes and algorithm are the
// ones tokens and new tenants' keys get.
func TestTokenSettingsApply(t *testing.T) {
	st, err := badgerstore.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := auth.NewService(auth.Config{BaseURL: "http://auth.test", AccessTTL: 5 * time.Minute, SessionTTL: time.Hour, SigningAlgorithm: token.EdDSA},
		auth.Deps{Store: st, Hasher: password.NewHasher(password.Config{Params: cheapHash})})
	t.Cleanup(func() { svc.Close() })
	ctx := t.Context()
	tn, _, err := svc.CreateTenant(ctx, "acme", "Acme", auth.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if tn.SigningKeys[0].Algorithm != token.EdDSA {
		t.Fatalf("the new tenant's access token key is %s, want EdDSA", tn.SigningKeys[0].Algorithm)
	}
	if _, err := svc.Register(ctx, "acme", auth.RegisterInput{Email: "ann@example.com", Password: localPW}, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	ts, err := svc.Login(ctx, "acme", "ann@example.com", localPW, auth.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if ts.ExpiresIn != 300 || svc.AccessTTL() != 5*time.Minute {
		t.Fatalf("expires_in %d, AccessTTL %v; want 300 and 5m", ts.ExpiresIn, svc.AccessTTL())
	}
	a, err := svc.Authorize(ctx, "acme", ts.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if sess := a.Session; sess.ExpiresAt.Sub(sess.CreatedAt) != time.Hour {
		t.Fatalf("session %+v; want one hour long", sess)
	}
}
