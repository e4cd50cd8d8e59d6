package auth_test

import (
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/store/badgerstore"
	"github.com/wasmauth/wasmauth/internal/testclock"
)

func TestRotateKeysKeepsOldKeysUntilTheirTokensExpire(t *testing.T) {
	st, err := badgerstore.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := testclock.New(time.Now().UTC())
	svc := auth.NewService(auth.Config{BaseURL: "http://auth.test"}, auth.Deps{
		Store: st, Hasher: password.NewHasher(password.Config{Params: cheapHash}), Now: clock.Now,
	})
	t.Cleanup(func() { svc.Close() })
	ctx := t.Context()
	if _, _, err := svc.CreateTenant(ctx, "acme", "Acme", auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	algs := func(tn *auth.Tenant) (access, id int) {
		for _, k := range tn.SigningKeys {
			if k.SignsIDTokens() {
				id++
			} else {
				access++
			}
		}
		return
	}
	rotate := func() *auth.Tenant {
		t.Helper()
		tn, err := svc.RotateKeys(ctx, "acme", auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		return tn
	}
	clock.Advance(time.Minute)
	tn := rotate()
	first := tn.SigningKeys[0].ID
	if a, i := algs(tn); a != 2 || i != 3 {
		t.Fatalf("after the first rotation: %d access and %d ID token keys", a, i)
	}
	clock.Advance(30 * time.Minute)
	tn = rotate()
	if a, i := algs(tn); a != 3 || i != 6 {
		t.Fatalf("30 minutes later every key may still have live tokens: %d access, %d ID token keys", a, i)
	}
	if tn.SigningKeys[0].ID == first {
		t.Fatal("the new access key does not sign first")
	}
	clock.Advance(2 * time.Hour)
	tn = rotate()
	if a, i := algs(tn); a != 2 || i != 6 {
		t.Fatalf("two hours later only the current and the just-replaced keys stay: %d access, %d ID token keys", a, i)
	}
	if _, err := svc.RotateKeys(ctx, "ghost", auth.Meta{}); auth.ErrorCode(err) != auth.CodeTenantNotFound {
		t.Fatalf("unknown tenant: %v", err)
	}
}
