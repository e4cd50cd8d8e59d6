package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

func testTenants(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	full := &auth.Tenant{
		ID:         "acme",
		Name:       "Acme",
		CreatedAt:  base,
		APIKeyHash: bytes.Repeat([]byte{7}, 32),
		SigningKeys: []auth.SigningKey{
			{ID: "k2", Algorithm: "EdDSA", Private: []byte{1, 2, 3}, CreatedAt: at(2)},
			{ID: "k1", Algorithm: "ES256", Private: []byte{4, 5, 6}, CreatedAt: at(1)},
			{ID: "k0", Algorithm: "ES256", Private: []byte{7, 8}, CreatedAt: at(1), Use: auth.KeyUseIDToken},
		},
		ActiveScript: 0,
		Connection: &auth.Connection{
			Driver: "postgres",
			DSN:    "postgres://u:p@localhost/db",
			Config: map[string]any{"table": "users", "nested": map[string]any{"a": "b"}},
			Limits: auth.Limits{TimeoutMS: 500, MemoryMB: 16, Fuel: 1e9, MaxQueries: 4, MaxRows: 10, Instances: 2},
		},
		MigrationEnabled:    true,
		WeakLegacyPasswords: auth.WeakFlag,
		Settings:            auth.Settings{BrowserSessionTTL: 2 * time.Hour},
	}
	if err := s.CreateTenant(ctx, full); err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	got, err := s.GetTenant(ctx, "acme")
	if err != nil {
		t.Fatalf("GetTenant: %v", err)
	}
	same(t, "tenant round trip", got, full)
	for i, k := range got.SigningKeys {
		if !k.CreatedAt.Equal(full.SigningKeys[i].CreatedAt) || k.ID != full.SigningKeys[i].ID || k.Use != full.SigningKeys[i].Use {
			t.Fatalf("signing key %d: got %+v", i, k)
		}
	}

	wantErr(t, "CreateTenant duplicate", s.CreateTenant(ctx, &auth.Tenant{ID: "acme"}), auth.ErrTenantExists)
	_, err = s.GetTenant(ctx, "nope")
	wantErr(t, "GetTenant missing", err, auth.ErrNotFound)

	// "acme-2" and "acm" must not be confused with "acme" by prefix.
	for _, id := range []string{"zeta", "acme-2", "acm", "beta"} {
		mustTenant(t, s, id)
	}
	list, err := s.ListTenants(ctx)
	if err != nil {
		t.Fatalf("ListTenants: %v", err)
	}
	var listed []string
	for _, tn := range list {
		listed = append(listed, tn.ID)
	}
	if want := []string{"acm", "acme", "acme-2", "beta", "zeta"}; !slices.Equal(listed, want) {
		t.Fatalf("ListTenants = %v, want %v", listed, want)
	}

	t.Run("Update", func(t *testing.T) {
		upd, err := s.UpdateTenant(ctx, "acme", func(tn *auth.Tenant) error {
			tn.Name = "Acme Corp"
			tn.Connection = nil
			tn.MigrationEnabled = false
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateTenant: %v", err)
		}
		got, err := s.GetTenant(ctx, "acme")
		if err != nil {
			t.Fatalf("GetTenant: %v", err)
		}
		same(t, "updated tenant", got, upd)
		if got.Name != "Acme Corp" || got.Connection != nil || got.MigrationEnabled {
			t.Fatalf("update not stored: %+v", got)
		}
	})
	t.Run("UpdateFnError", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := s.UpdateTenant(ctx, "acme", func(tn *auth.Tenant) error {
			tn.Name = "changed"
			return boom
		})
		if err != boom {
			t.Fatalf("UpdateTenant error = %v, want fn's error as is", err)
		}
		got, _ := s.GetTenant(ctx, "acme")
		if got.Name == "changed" {
			t.Fatal("aborted update was stored")
		}
	})
	t.Run("UpdateMissing", func(t *testing.T) {
		_, err := s.UpdateTenant(ctx, "nope", func(*auth.Tenant) error { return nil })
		wantErr(t, "UpdateTenant missing", err, auth.ErrNotFound)
	})
	t.Run("DeleteMissing", func(t *testing.T) {
		wantErr(t, "DeleteTenant missing", s.DeleteTenant(ctx, "nope"), auth.ErrNotFound)
	})
	t.Run("ConcurrentCreate", func(t *testing.T) {
		errs := runConcurrently(10, func(int) error {
			return s.CreateTenant(ctx, &auth.Tenant{ID: "race", CreatedAt: base})
		})
		if ok, taken := count(errs, nil), count(errs, auth.ErrTenantExists); ok != 1 || taken != 9 {
			t.Fatalf("10 concurrent CreateTenant: %d ok, %d taken, errors %v", ok, taken, errs)
		}
	})
	t.Run("Ping", func(t *testing.T) {
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}

func testScripts(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "acme")

	type upload struct {
		module   []byte
		activate bool
		active   int // the tenant's active version after the upload
	}
	uploads := []upload{
		{[]byte("\x00asm\x01\x00\x00\x00one"), true, 1},
		{[]byte("\x00asm\x01\x00\x00\x00two"), false, 1},
		{bytes.Repeat([]byte{0xab}, 200<<10), true, 3},
	}
	for i, u := range uploads {
		sc := &auth.Script{Tenant: "acme", Exports: []string{"get_user", "login"}, UploadedAt: at(i)}
		if err := s.AddScript(ctx, sc, u.module, u.activate, auth.ScriptQuota{}); err != nil {
			t.Fatalf("AddScript %d: %v", i, err)
		}
		if sc.Version != i+1 {
			t.Fatalf("AddScript %d: version %d, want %d", i, sc.Version, i+1)
		}
		tn, err := s.GetTenant(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if tn.ActiveScript != u.active {
			t.Fatalf("after upload %d: active script %d, want %d", i, tn.ActiveScript, u.active)
		}
	}
	list, err := s.ListScripts(ctx, "acme")
	if err != nil {
		t.Fatalf("ListScripts: %v", err)
	}
	if len(list) != len(uploads) {
		t.Fatalf("ListScripts: %d scripts, want %d", len(list), len(uploads))
	}
	for i, sc := range list {
		sum := sha256.Sum256(uploads[i].module)
		want := &auth.Script{
			Tenant: "acme", Version: i + 1, SHA256: hex.EncodeToString(sum[:]),
			Size: len(uploads[i].module), Exports: []string{"get_user", "login"}, UploadedAt: at(i),
		}
		same(t, fmt.Sprintf("script %d", i+1), sc, want)
		got, module, err := s.GetScript(ctx, "acme", i+1)
		if err != nil {
			t.Fatalf("GetScript %d: %v", i+1, err)
		}
		same(t, "GetScript metadata", got, want)
		if !bytes.Equal(module, uploads[i].module) {
			t.Fatalf("GetScript %d: module differs", i+1)
		}
	}

	notFound := []struct {
		name    string
		tenant  string
		version int
	}{
		{"missing version", "acme", 9},
		{"version zero", "acme", 0},
		{"unknown tenant", "nope", 1},
	}
	for _, tc := range notFound {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.GetScript(ctx, tc.tenant, tc.version)
			wantErr(t, "GetScript", err, auth.ErrNotFound)
		})
	}
	t.Run("UnknownTenant", func(t *testing.T) {
		err := s.AddScript(ctx, &auth.Script{Tenant: "nope"}, []byte("x"), true, auth.ScriptQuota{})
		wantErr(t, "AddScript", err, auth.ErrNotFound)
		_, err = s.ListScripts(ctx, "nope")
		wantErr(t, "ListScripts", err, auth.ErrNotFound)
	})
	t.Run("LargestModule", func(t *testing.T) {
		module := make([]byte, 16<<20)
		for i := range module {
			module[i] = byte(i * 7)
		}
		sc := &auth.Script{Tenant: "acme", Exports: []string{"login"}}
		if err := s.AddScript(ctx, sc, module, true, auth.ScriptQuota{}); err != nil {
			t.Fatalf("AddScript 16 MiB: %v", err)
		}
		_, got, err := s.GetScript(ctx, "acme", sc.Version)
		if err != nil {
			t.Fatalf("GetScript: %v", err)
		}
		if !bytes.Equal(got, module) {
			t.Fatal("16 MiB module differs after reading it back")
		}
	})
	t.Run("ConcurrentVersions", func(t *testing.T) {
		mustTenant(t, s, "race")
		const n = 8
		versions := make([]int, n)
		errs := runConcurrently(n, func(i int) error {
			sc := &auth.Script{Tenant: "race"}
			err := s.AddScript(ctx, sc, []byte{byte(i)}, i%2 == 0, auth.ScriptQuota{})
			versions[i] = sc.Version
			return err
		})
		for _, err := range errs {
			if err != nil {
				t.Fatalf("concurrent AddScript: %v", err)
			}
		}
		sort.Ints(versions)
		for i, v := range versions {
			if v != i+1 {
				t.Fatalf("concurrent versions %v, want 1..%d each once", versions, n)
			}
		}
		for _, v := range versions {
			sc, module, err := s.GetScript(ctx, "race", v)
			if err != nil || len(module) != 1 || sc.Version != v {
				t.Fatalf("GetScript(%d) = %+v, %v, %v", v, sc, module, err)
			}
		}
	})
}
