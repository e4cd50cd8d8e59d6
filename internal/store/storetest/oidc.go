package storetest

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// RunOIDC runs the conformance tests of the OpenID Provider's records
// (clients) against stores made by newStore.
func RunOIDC(t *testing.T, newStore func(t *testing.T) auth.Store) {
	groups := []struct {
		name string
		run  func(*testing.T, NewStore)
	}{
		{"Clients", testClients},
		{"ClientIsolation", testClientIsolation},
		{"ConcurrentClientUpdates", testConcurrentClientUpdates},
		{"ClientBackup", testClientBackup},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, newStore) })
	}
}

func newClient(tenant, id string, minutes int) *auth.Client {
	return &auth.Client{
		ID:                     id,
		Tenant:                 tenant,
		Name:                   "App " + id,
		Type:                   auth.ClientConfidential,
		SecretHash:             auth.HashSecret("secret of " + id),
		RedirectURIs:           []string{"https://app.example/cb", "http://127.0.0.1/cb"},
		PostLogoutRedirectURIs: []string{"https://app.example/bye"},
		GrantTypes:             []string{auth.GrantAuthorizationCode, auth.GrantRefreshToken},
		IDTokenAlg:             "RS256",
		CreatedAt:              at(minutes),
		UpdatedAt:              at(minutes),
	}
}

func clientIDs(list []*auth.Client) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = c.ID
	}
	return out
}

func testClients(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "a")

	wantErr(t, "CreateClient of an unknown tenant", s.CreateClient(ctx, newClient("nope", "c-0", 0)), auth.ErrNotFound)
	// Stored out of creation order: the list follows CreatedAt.
	c2, c1 := newClient("a", "c-2", 2), newClient("a", "c-1", 1)
	for _, c := range []*auth.Client{c2, c1} {
		if err := s.CreateClient(ctx, c); err != nil {
			t.Fatalf("CreateClient(%s): %v", c.ID, err)
		}
	}
	if err := s.CreateClient(ctx, newClient("a", "c-1", 5)); err == nil {
		t.Fatal("CreateClient with a taken id succeeded")
	}
	got, err := s.GetClient(ctx, "a", "c-1")
	wantErr(t, "GetClient", err, nil)
	same(t, "GetClient", got, c1)
	_, err = s.GetClient(ctx, "a", "missing")
	wantErr(t, "GetClient(missing)", err, auth.ErrNotFound)

	list, err := s.ListClients(ctx, "a")
	wantErr(t, "ListClients", err, nil)
	if ids := clientIDs(list); len(ids) != 2 || ids[0] != "c-1" || ids[1] != "c-2" {
		t.Fatalf("ListClients = %v, want [c-1 c-2]", ids)
	}
	if list, err := s.ListClients(ctx, "nope"); err != nil || len(list) != 0 {
		t.Fatalf("ListClients(unknown tenant) = %v, %v; want empty", list, err)
	}

	up, err := s.UpdateClient(ctx, "a", "c-1", func(c *auth.Client) error {
		c.Name = "Renamed"
		c.RedirectURIs = []string{"https://other.example/cb"}
		c.ID = "hijack" // ignored: the id is not the caller's to change
		return nil
	})
	wantErr(t, "UpdateClient", err, nil)
	if up.ID != "c-1" || up.Name != "Renamed" {
		t.Fatalf("UpdateClient returned %+v", up)
	}
	got, _ = s.GetClient(ctx, "a", "c-1")
	same(t, "client after update", got, up)
	boom := errors.New("boom")
	_, err = s.UpdateClient(ctx, "a", "c-1", func(c *auth.Client) error { c.Name = "lost"; return boom })
	wantErr(t, "UpdateClient with failing fn", err, boom)
	if got, _ := s.GetClient(ctx, "a", "c-1"); got.Name != "Renamed" {
		t.Fatalf("a failed update was stored: %q", got.Name)
	}
	_, err = s.UpdateClient(ctx, "a", "missing", func(*auth.Client) error { return nil })
	wantErr(t, "UpdateClient(missing)", err, auth.ErrNotFound)

	wantErr(t, "DeleteClient", s.DeleteClient(ctx, "a", "c-1"), nil)
	wantErr(t, "DeleteClient again", s.DeleteClient(ctx, "a", "c-1"), auth.ErrNotFound)
	_, err = s.GetClient(ctx, "a", "c-1")
	wantErr(t, "GetClient after delete", err, auth.ErrNotFound)
	if list, _ := s.ListClients(ctx, "a"); len(list) != 1 || list[0].ID != "c-2" {
		t.Fatalf("ListClients after delete = %v", clientIDs(list))
	}
}

func testClientIsolation(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "a")
	mustTenant(t, s, "b")
	if err := s.CreateClient(ctx, newClient("a", "c-1", 1)); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetClient(ctx, "b", "c-1")
	wantErr(t, "GetClient from another tenant", err, auth.ErrNotFound)
	_, err = s.UpdateClient(ctx, "b", "c-1", func(*auth.Client) error { return nil })
	wantErr(t, "UpdateClient from another tenant", err, auth.ErrNotFound)
	wantErr(t, "DeleteClient from another tenant", s.DeleteClient(ctx, "b", "c-1"), auth.ErrNotFound)
	if list, _ := s.ListClients(ctx, "b"); len(list) != 0 {
		t.Fatalf("tenant b lists a's clients: %v", clientIDs(list))
	}
	wantErr(t, "DeleteTenant", s.DeleteTenant(ctx, "a"), nil)
	mustTenant(t, s, "a")
	_, err = s.GetClient(ctx, "a", "c-1")
	wantErr(t, "GetClient after the tenant was deleted and made again", err, auth.ErrNotFound)
}

func testConcurrentClientUpdates(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "a")
	c := newClient("a", "c-1", 1)
	c.RedirectURIs = nil
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	const n = 16
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := s.UpdateClient(ctx, "a", "c-1", func(c *auth.Client) error {
				c.RedirectURIs = append(c.RedirectURIs, "https://app.example/"+string(rune('a'+i)))
				return nil
			})
			if err != nil {
				t.Errorf("UpdateClient: %v", err)
			}
		})
	}
	wg.Wait()
	got, _ := s.GetClient(ctx, "a", "c-1")
	if len(got.RedirectURIs) != n {
		t.Fatalf("%d concurrent appends left %d URIs: updates were lost", n, len(got.RedirectURIs))
	}
}

func testClientBackup(t *testing.T, newStore NewStore) {
	src := newStore(t)
	ctx := t.Context()
	mustTenant(t, src, "a")
	want := newClient("a", "c-1", 1)
	if err := src.CreateClient(ctx, want); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := src.Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	dst := newStore(t)
	if err := dst.Restore(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	got, err := dst.GetClient(ctx, "a", "c-1")
	wantErr(t, "GetClient after restore", err, nil)
	same(t, "restored client", got, want)
}
