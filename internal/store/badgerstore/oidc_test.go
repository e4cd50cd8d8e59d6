package badgerstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/store/badgerstore"
	"github.com/wasmauth/wasmauth/internal/store/storetest"
)

func TestOIDCConformance(t *testing.T) {
	t.Run("InMemory", func(t *testing.T) {
		storetest.RunOIDC(t, func(t *testing.T) auth.Store { return openInMemory(t) })
	})
	t.Run("OnDisk", func(t *testing.T) {
		storetest.RunOIDC(t, func(t *testing.T) auth.Store { return openOnDisk(t, t.TempDir(), testOptions()) })
	})
}

// Pending authorization requests live in memory: a restart and a tenant's
// deletion forget them (docs/API.md), and nothing else.
func TestAuthRequestsForgotten(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s, err := badgerstore.Open(dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, id := range []string{"a", "b"} {
		if err := s.CreateTenant(ctx, &auth.Tenant{ID: id, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAuthRequest(ctx, &auth.AuthRequest{ID: "ar-" + id, Tenant: id, ClientID: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteTenant(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTenant(ctx, &auth.Tenant{ID: "a", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAuthRequest(ctx, "a", "ar-a"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("a deleted tenant's request: %v, want ErrNotFound", err)
	}
	if _, err := s.GetAuthRequest(ctx, "b", "ar-b"); err != nil {
		t.Fatalf("another tenant's request after a deletion: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openOnDisk(t, dir, testOptions())
	if _, err := s.GetTenant(ctx, "b"); err != nil {
		t.Fatalf("the tenant after a restart: %v", err)
	}
	if _, err := s.GetAuthRequest(ctx, "b", "ar-b"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("a request after a restart: %v, want ErrNotFound", err)
	}
}
