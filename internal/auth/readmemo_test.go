package auth_test

import (
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Under a read memo a tenant, client and user are read from the store once
// per context: a change made meanwhile is not seen there, and is seen
// without the memo; a copy handed out changes nothing in the memo; the ID
// token keys the service makes on first use are seen at once.
func TestReadMemo(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	c, _, err := e.svc.CreateClient(ctx, "acme", auth.ClientInput{
		Name: "App", Type: auth.ClientConfidential, RedirectURIs: []string{"https://app.example.com/cb"},
	}, auth.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	memo := auth.WithReadMemo(ctx)

	tn, err := e.svc.Tenant(memo, "acme")
	if err != nil {
		t.Fatal(err)
	}
	tn.Name = "changed by a caller"
	if _, err := e.store.UpdateTenant(ctx, "acme", func(t *auth.Tenant) error { t.Name = "Renamed"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.Tenant(memo, "acme"); got == nil || got.Name != "Acme" {
		t.Fatalf("the memo's tenant: %+v, want the first read (Acme)", got)
	}
	if got, _ := e.svc.Tenant(auth.SameReadMemo(ctx, memo), "acme"); got == nil || got.Name != "Acme" {
		t.Fatalf("the tenant through SameReadMemo: %+v, want the memo's (Acme)", got)
	}
	if got, _ := e.svc.Tenant(ctx, "acme"); got == nil || got.Name != "Renamed" {
		t.Fatalf("the tenant without a memo: %+v, want Renamed", got)
	}

	if _, err := e.svc.Client(memo, "acme", c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.UpdateClient(ctx, "acme", c.ID, func(c *auth.Client) error { c.Name = "Renamed"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.Client(memo, "acme", c.ID); got == nil || got.Name != "App" {
		t.Fatalf("the memo's client: %+v, want App", got)
	}
	if got, _ := e.svc.Client(ctx, "acme", c.ID); got == nil || got.Name != "Renamed" {
		t.Fatalf("the client without a memo: %+v, want Renamed", got)
	}

	// An unknown record is read again, not remembered as missing.
	if _, err := e.svc.Client(memo, "acme", "later"); auth.ErrorCode(err) != auth.CodeNotFound {
		t.Fatalf("an unknown client: %v", err)
	}

	keys, err := e.svc.IDTokenKeys(memo, "acme")
	if err != nil || len(keys) == 0 {
		t.Fatalf("ID token keys: %v, %v", keys, err)
	}
	got, err := e.svc.Tenant(memo, "acme")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range got.SigningKeys {
		if k.SignsIDTokens() {
			n++
		}
	}
	if n != len(keys) {
		t.Fatalf("the memo's tenant has %d ID token keys after IDTokenKeys made %d", n, len(keys))
	}
}
