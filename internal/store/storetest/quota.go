package storetest

import (
	"bytes"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// addModule stores module as the tenant's next version and returns it.
func addModule(t *testing.T, s auth.Store, tenant string, module []byte, activate bool, q auth.ScriptQuota) (int, error) {
	t.Helper()
	sc := &auth.Script{Tenant: tenant, Exports: []string{"get_user", "login"}}
	err := s.AddScript(t.Context(), sc, module, activate, q)
	return sc.Version, err
}

func versions(t *testing.T, s auth.Store, tenant string) []int {
	t.Helper()
	list, err := s.ListScripts(t.Context(), tenant)
	if err != nil {
		t.Fatalf("ListScripts: %v", err)
	}
	out := make([]int, len(list))
	for i, sc := range list {
		out[i] = sc.Version
	}
	return out
}

func testScriptQuota(t *testing.T, newStore NewStore) {
	t.Run("Versions", func(t *testing.T) {
		s := newStore(t)
		mustTenant(t, s, "acme")
		mustTenant(t, s, "other")
		q := auth.ScriptQuota{Versions: 3}
		for i := range 3 {
			if _, err := addModule(t, s, "acme", []byte{byte(i)}, true, q); err != nil {
				t.Fatalf("upload %d within the quota: %v", i+1, err)
			}
		}
		_, err := addModule(t, s, "acme", []byte("four"), false, q)
		wantErr(t, "fourth upload", err, auth.ErrQuotaExceeded)
		if got := versions(t, s, "acme"); len(got) != 3 {
			t.Fatalf("versions after a refused upload: %v", got)
		}
		// The quota is per tenant.
		if _, err := addModule(t, s, "other", []byte("x"), true, q); err != nil {
			t.Fatalf("another tenant's upload: %v", err)
		}
		// Deleting a version frees its place; the number is not reused.
		if err := s.DeleteScript(t.Context(), "acme", 1); err != nil {
			t.Fatalf("DeleteScript: %v", err)
		}
		v, err := addModule(t, s, "acme", []byte("four"), false, q)
		if err != nil || v != 4 {
			t.Fatalf("upload after a delete: version %d, %v; want 4", v, err)
		}
	})
	t.Run("Bytes", func(t *testing.T) {
		s := newStore(t)
		mustTenant(t, s, "acme")
		q := auth.ScriptQuota{Bytes: 1000}
		if _, err := addModule(t, s, "acme", make([]byte, 600), true, q); err != nil {
			t.Fatal(err)
		}
		_, err := addModule(t, s, "acme", make([]byte, 401), false, q)
		wantErr(t, "upload over the byte quota", err, auth.ErrQuotaExceeded)
		if _, err := addModule(t, s, "acme", make([]byte, 400), false, q); err != nil {
			t.Fatalf("upload up to the byte quota: %v", err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		s := newStore(t)
		mustTenant(t, s, "acme")
		q := auth.ScriptQuota{Versions: 5}
		const n = 12
		errs := runConcurrently(n, func(i int) error {
			_, err := addModule(t, s, "acme", []byte{byte(i)}, i == 0, q)
			return err
		})
		if ok, refused := count(errs, nil), count(errs, auth.ErrQuotaExceeded); ok != 5 || refused != n-5 {
			t.Fatalf("%d concurrent uploads with a quota of 5: %d stored, %d refused, errors %v", n, ok, refused, errs)
		}
		if got := versions(t, s, "acme"); len(got) != 5 {
			t.Fatalf("stored versions %v, want 5", got)
		}
	})
}

func testDeleteScript(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "acme")
	mustTenant(t, s, "other")
	big := bytes.Repeat([]byte{0xcd}, 1300<<10) // several chunks in a chunked backend
	for i, m := range [][]byte{[]byte("one"), big, []byte("three")} {
		if _, err := addModule(t, s, "acme", m, i == 2, auth.ScriptQuota{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := addModule(t, s, "other", []byte("theirs"), false, auth.ScriptQuota{}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		tenant  string
		version int
		want    error
	}{
		{"active version", "acme", 3, auth.ErrScriptActive},
		{"unknown version", "acme", 9, auth.ErrNotFound},
		{"version zero", "acme", 0, auth.ErrNotFound},
		{"unknown tenant", "nope", 1, auth.ErrNotFound},
		{"inactive version", "acme", 2, nil},
		{"deleted version", "acme", 2, auth.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, "DeleteScript", s.DeleteScript(ctx, tc.tenant, tc.version), tc.want)
		})
	}
	if got := versions(t, s, "acme"); len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("versions after deleting 2: %v, want [1 3]", got)
	}
	_, _, err := s.GetScript(ctx, "acme", 2)
	wantErr(t, "GetScript of the deleted version", err, auth.ErrNotFound)
	if _, m, err := s.GetScript(ctx, "acme", 1); err != nil || string(m) != "one" {
		t.Fatalf("GetScript(1) after deleting 2: %q, %v", m, err)
	}
	if got := versions(t, s, "other"); len(got) != 1 {
		t.Fatalf("the other tenant's versions: %v", got)
	}
	_, err = s.UpdateTenant(ctx, "acme", func(tn *auth.Tenant) error {
		tn.ActiveScript = 2
		return nil
	})
	wantErr(t, "activating the deleted version", err, auth.ErrNotFound)

	t.Run("ConcurrentActivate", func(t *testing.T) {
		// Deleting a version while it is made active: either the delete
		// wins and the activation finds no version, or the activation wins
		// and the delete is refused. Never an active version that is gone.
		for round := range 20 {
			v, err := addModule(t, s, "acme", []byte{byte(round)}, false, auth.ScriptQuota{})
			if err != nil {
				t.Fatal(err)
			}
			errs := runConcurrently(2, func(i int) error {
				if i == 0 {
					return s.DeleteScript(ctx, "acme", v)
				}
				_, err := s.UpdateTenant(ctx, "acme", func(tn *auth.Tenant) error {
					tn.ActiveScript = v
					return nil
				})
				return err
			})
			tn, err := s.GetTenant(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			_, _, gerr := s.GetScript(ctx, "acme", tn.ActiveScript)
			if gerr != nil {
				t.Fatalf("round %d: active version %d is not stored (delete: %v, activate: %v)", round, tn.ActiveScript, errs[0], errs[1])
			}
			deleted, activated := errs[0] == nil, errs[1] == nil
			if deleted == activated {
				t.Fatalf("round %d: delete %v and activate %v; want exactly one to succeed", round, errs[0], errs[1])
			}
		}
	})
}
