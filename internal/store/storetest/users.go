package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
)

func testUsers(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "acme")
	alice := mustUser(t, s, newUser("acme", "u-alice", "alice@example.com", "alice"))
	bobU := legacyUser("acme", "u-bob", "bob@example.com", "legacy-42", at(5))
	bobU.PasswordChangeRequired = true
	bob := mustUser(t, s, bobU)
	carol := mustUser(t, s, newUser("acme", "u-carol", "", "carol"))

	t.Run("Get", func(t *testing.T) {
		for _, want := range []*auth.User{alice, bob, carol} {
			got, err := s.GetUser(ctx, "acme", want.ID)
			if err != nil {
				t.Fatalf("GetUser(%s): %v", want.ID, err)
			}
			same(t, "GetUser", got, want)
		}
	})

	lookups := []struct {
		name  string
		find  func() (*auth.User, error)
		want  *auth.User
		noErr bool
	}{
		{"FindUser by email", func() (*auth.User, error) { return s.FindUser(ctx, "acme", "alice@example.com") }, alice, true},
		{"FindUser by username", func() (*auth.User, error) { return s.FindUser(ctx, "acme", "alice") }, alice, true},
		{"FindUser username only", func() (*auth.User, error) { return s.FindUser(ctx, "acme", "carol") }, carol, true},
		{"FindUser legacy by email", func() (*auth.User, error) { return s.FindUser(ctx, "acme", "bob@example.com") }, bob, true},
		{"FindUserByLegacyID", func() (*auth.User, error) { return s.FindUserByLegacyID(ctx, "acme", "legacy-42") }, bob, true},
		{"FindUser unknown", func() (*auth.User, error) { return s.FindUser(ctx, "acme", "dave@example.com") }, nil, false},
		{"FindUser empty", func() (*auth.User, error) { return s.FindUser(ctx, "acme", "") }, nil, false},
		{"FindUser legacy id is not an identifier", func() (*auth.User, error) { return s.FindUser(ctx, "acme", "legacy-42") }, nil, false},
		{"FindUserByLegacyID unknown", func() (*auth.User, error) { return s.FindUserByLegacyID(ctx, "acme", "legacy-43") }, nil, false},
		{"FindUserByLegacyID empty", func() (*auth.User, error) { return s.FindUserByLegacyID(ctx, "acme", "") }, nil, false},
		{"GetUser unknown", func() (*auth.User, error) { return s.GetUser(ctx, "acme", "u-dave") }, nil, false},
		{"GetUser unknown tenant", func() (*auth.User, error) { return s.GetUser(ctx, "nope", "u-alice") }, nil, false},
		{"FindUser unknown tenant", func() (*auth.User, error) { return s.FindUser(ctx, "nope", "alice") }, nil, false},
	}
	for _, tc := range lookups {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.find()
			if !tc.noErr {
				wantErr(t, tc.name, err, auth.ErrNotFound)
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			same(t, tc.name, got, tc.want)
		})
	}

	t.Run("UnknownTenant", func(t *testing.T) {
		wantErr(t, "CreateUser", s.CreateUser(ctx, newUser("nope", "u-x", "x@example.com", "")), auth.ErrNotFound)
	})

	t.Run("UpdateMovesIndexes", func(t *testing.T) {
		upd, err := s.UpdateUser(ctx, "acme", "u-alice", func(u *auth.User) error {
			u.Email = "alice@new.example.com"
			u.Username = ""
			u.Name = "Alice Liddell"
			u.EmailVerified = true
			u.UpdatedAt = at(10)
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		got, err := s.GetUser(ctx, "acme", "u-alice")
		if err != nil {
			t.Fatal(err)
		}
		same(t, "updated user", got, upd)
		if got.Name != "Alice Liddell" || !got.EmailVerified || got.Username != "" {
			t.Fatalf("update not stored: %+v", got)
		}
		for _, old := range []string{"alice@example.com", "alice"} {
			_, err := s.FindUser(ctx, "acme", old)
			wantErr(t, "FindUser old identifier "+old, err, auth.ErrNotFound)
		}
		if u, err := s.FindUser(ctx, "acme", "alice@new.example.com"); err != nil || u.ID != "u-alice" {
			t.Fatalf("FindUser new email = %v, %v", u, err)
		}
		// The freed identifiers can be taken by someone else.
		mustUser(t, s, newUser("acme", "u-alice2", "alice@example.com", "alice"))
	})

	updates := []struct {
		name string
		fn   func(*auth.User) error
		want error
	}{
		{"to a taken email", func(u *auth.User) error { u.Email = "bob@example.com"; return nil }, auth.ErrEmailTaken},
		{"to a taken username", func(u *auth.User) error { u.Username = "carol"; return nil }, auth.ErrUsernameTaken},
		{"to a taken legacy id", func(u *auth.User) error { u.LegacyID = "legacy-42"; return nil }, auth.ErrLegacyIDTaken},
	}
	for _, tc := range updates {
		t.Run("Update "+tc.name, func(t *testing.T) {
			before, _ := s.GetUser(ctx, "acme", "u-alice")
			_, err := s.UpdateUser(ctx, "acme", "u-alice", tc.fn)
			wantErr(t, "UpdateUser", err, tc.want)
			after, _ := s.GetUser(ctx, "acme", "u-alice")
			same(t, "user after failed update", after, before)
		})
	}
	t.Run("UpdateFnError", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := s.UpdateUser(ctx, "acme", "u-carol", func(u *auth.User) error { u.Name = "x"; return boom })
		if err != boom {
			t.Fatalf("UpdateUser error = %v, want fn's error as is", err)
		}
	})
	t.Run("UpdateMissing", func(t *testing.T) {
		_, err := s.UpdateUser(ctx, "acme", "u-dave", func(*auth.User) error { return nil })
		wantErr(t, "UpdateUser missing", err, auth.ErrNotFound)
	})
	t.Run("UpdateKeepsOwnIdentifiers", func(t *testing.T) {
		_, err := s.UpdateUser(ctx, "acme", "u-bob", func(u *auth.User) error {
			u.PasswordHash = "$argon2id$new"
			return nil
		})
		wantErr(t, "UpdateUser same identifiers", err, nil)
	})
	t.Run("Delete", func(t *testing.T) {
		wantErr(t, "DeleteUser", s.DeleteUser(ctx, "acme", "u-carol"), nil)
		_, err := s.GetUser(ctx, "acme", "u-carol")
		wantErr(t, "GetUser deleted", err, auth.ErrNotFound)
		_, err = s.FindUser(ctx, "acme", "carol")
		wantErr(t, "FindUser deleted", err, auth.ErrNotFound)
		wantErr(t, "DeleteUser again", s.DeleteUser(ctx, "acme", "u-carol"), auth.ErrNotFound)
		mustUser(t, s, newUser("acme", "u-carol2", "", "carol"))
	})
}

func testUniqueness(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "acme")
	mustTenant(t, s, "other")
	mustUser(t, s, newUser("acme", "u-1", "ann@example.com", "ann"))
	mustUser(t, s, legacyUser("acme", "u-2", "leg@example.com", "L-1", at(1)))

	cases := []struct {
		name string
		user *auth.User
		want error
	}{
		{"same email", newUser("acme", "u-3", "ann@example.com", "ann2"), auth.ErrEmailTaken},
		{"same username", newUser("acme", "u-3", "ann2@example.com", "ann"), auth.ErrUsernameTaken},
		{"same email and username", newUser("acme", "u-3", "ann@example.com", "ann"), auth.ErrEmailTaken},
		{"same legacy id", legacyUser("acme", "u-3", "leg2@example.com", "L-1", at(2)), auth.ErrLegacyIDTaken},
		{"same legacy user again", legacyUser("acme", "u-3", "leg@example.com", "L-1", at(2)), auth.ErrLegacyIDTaken},
		{"email equal to another's username", newUser("acme", "u-4", "ann", "annie"), nil},
		{"same email in another tenant", newUser("other", "u-1", "ann@example.com", "ann"), nil},
		{"same legacy id in another tenant", legacyUser("other", "u-2", "leg@example.com", "L-1", at(2)), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, "CreateUser", s.CreateUser(ctx, tc.user), tc.want)
		})
	}
	st := stats(t, s, "acme")
	if st.UsersRegistered != 2 || st.UsersMigrated != 1 {
		t.Fatalf("failed creates were counted: %+v", st)
	}
}

func testConcurrentUniqueness(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "acme")
	const n = 20
	cases := []struct {
		name  string
		user  func(i int) *auth.User
		taken error
	}{
		{"email", func(i int) *auth.User {
			return newUser("acme", fmt.Sprintf("e-%d", i), "same@example.com", fmt.Sprintf("e-user-%d", i))
		}, auth.ErrEmailTaken},
		{"username", func(i int) *auth.User {
			return newUser("acme", fmt.Sprintf("n-%d", i), fmt.Sprintf("n%d@example.com", i), "same")
		}, auth.ErrUsernameTaken},
		{"legacy id", func(i int) *auth.User {
			return legacyUser("acme", fmt.Sprintf("l-%d", i), fmt.Sprintf("l%d@example.com", i), "L-same", at(i))
		}, auth.ErrLegacyIDTaken},
		// Two first logins of one legacy user: the loser must learn that
		// the user was copied (legacy id), not that its email is taken.
		{"legacy user", func(i int) *auth.User {
			return legacyUser("acme", fmt.Sprintf("lu-%d", i), "legacy@example.com", "L-user", at(i))
		}, auth.ErrLegacyIDTaken},
	}
	registered := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := runConcurrently(n, func(i int) error { return s.CreateUser(ctx, tc.user(i)) })
			ok, taken := count(errs, nil), count(errs, tc.taken)
			if ok != 1 || taken != n-1 {
				t.Fatalf("%d concurrent CreateUser with one %s: %d succeeded, %d got %v; errors: %v",
					n, tc.name, ok, taken, tc.taken, errs)
			}
			registered++
		})
	}
	page, _, err := s.ListUsers(ctx, "acme", auth.UserQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != registered {
		t.Fatalf("ListUsers after races: %d users %v, want %d", len(page), ids(page), registered)
	}
}

func testListUsers(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "acme")
	mustTenant(t, s, "empty")
	// Ids sort against creation order, so only an order index gives it.
	var all, local, legacy []string
	for i := range 11 {
		id := fmt.Sprintf("u-%02d", 20-i)
		var u *auth.User
		if i%3 == 0 {
			u = legacyUser("acme", id, id+"@example.com", "L"+id, at(i))
			legacy = append(legacy, id)
		} else {
			u = newUser("acme", id, id+"@example.com", "")
			u.CreatedAt = at(i)
			local = append(local, id)
		}
		mustUser(t, s, u)
		all = append(all, id)
	}
	// Two users created at the same instant come in a stable order.
	mustUser(t, s, &auth.User{ID: "tie-b", Tenant: "acme", Email: "tb@example.com", CreatedAt: at(11), Source: auth.SourceLocal})
	mustUser(t, s, &auth.User{ID: "tie-a", Tenant: "acme", Email: "ta@example.com", CreatedAt: at(11), Source: auth.SourceLocal})

	pages := func(t *testing.T, q auth.UserQuery) ([]string, int) {
		t.Helper()
		var got []string
		n := 0
		for {
			page, next, err := s.ListUsers(ctx, "acme", q)
			if err != nil {
				t.Fatalf("ListUsers(%+v): %v", q, err)
			}
			n++
			if q.Limit > 0 && len(page) > q.Limit {
				t.Fatalf("page of %d users, limit %d", len(page), q.Limit)
			}
			got = append(got, ids(page)...)
			if next == "" {
				return got, n
			}
			if n > 100 {
				t.Fatal("ListUsers does not end")
			}
			q.Cursor = next
		}
	}
	cases := []struct {
		name  string
		q     auth.UserQuery
		want  []string
		pages int
	}{
		{"all in one page", auth.UserQuery{}, nil, 1},
		{"pages of 4", auth.UserQuery{Limit: 4}, nil, 4},
		{"pages of 1", auth.UserQuery{Limit: 1}, nil, 13},
		{"local", auth.UserQuery{Source: auth.SourceLocal, Limit: 3}, append(slices.Clone(local), "tie-a", "tie-b"), 3},
		{"legacy", auth.UserQuery{Source: auth.SourceLegacy, Limit: 2}, legacy, 2},
		{"exact last page", auth.UserQuery{Limit: 13}, nil, 1},
	}
	full := append(slices.Clone(all), "tie-a", "tie-b")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == nil {
				want = full
			}
			got, n := pages(t, tc.q)
			if !slices.Equal(got, want) {
				t.Fatalf("ListUsers(%+v) = %v, want %v", tc.q, got, want)
			}
			if n != tc.pages {
				t.Fatalf("ListUsers(%+v) took %d pages, want %d", tc.q, n, tc.pages)
			}
		})
	}
	t.Run("DefaultLimit", func(t *testing.T) {
		mustTenant(t, s, "many")
		for i := range 60 {
			u := newUser("many", fmt.Sprintf("m-%03d", i), fmt.Sprintf("m%d@example.com", i), "")
			u.CreatedAt = at(i)
			mustUser(t, s, u)
		}
		page, next, err := s.ListUsers(ctx, "many", auth.UserQuery{})
		if err != nil || len(page) != 50 || next == "" {
			t.Fatalf("ListUsers without limit: %d users, next %q, %v; want 50 and a cursor", len(page), next, err)
		}
		rest, next, err := s.ListUsers(ctx, "many", auth.UserQuery{Cursor: next})
		if err != nil || len(rest) != 10 || next != "" || rest[0].ID != "m-050" {
			t.Fatalf("second page: %v, next %q, %v", ids(rest), next, err)
		}
	})
	t.Run("DeletedDuringPaging", func(t *testing.T) {
		page, next, err := s.ListUsers(ctx, "acme", auth.UserQuery{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		// Delete the cursor's own user: the next page still follows it.
		if err := s.DeleteUser(ctx, "acme", page[1].ID); err != nil {
			t.Fatal(err)
		}
		rest, _, err := s.ListUsers(ctx, "acme", auth.UserQuery{Limit: 2, Cursor: next})
		if err != nil {
			t.Fatal(err)
		}
		if want := full[2:4]; !slices.Equal(ids(rest), want) {
			t.Fatalf("page after deleting the cursor's user = %v, want %v", ids(rest), want)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		page, next, err := s.ListUsers(ctx, "empty", auth.UserQuery{})
		if err != nil || len(page) != 0 || next != "" {
			t.Fatalf("ListUsers of an empty tenant = %v, %q, %v", ids(page), next, err)
		}
	})
	t.Run("UnknownTenant", func(t *testing.T) {
		_, _, err := s.ListUsers(ctx, "nope", auth.UserQuery{})
		wantErr(t, "ListUsers", err, auth.ErrNotFound)
	})
	for _, c := range []string{"!!!", "not base64 *"} {
		t.Run("BadCursor "+c, func(t *testing.T) {
			_, _, err := s.ListUsers(ctx, "acme", auth.UserQuery{Cursor: c})
			if err == nil {
				t.Fatalf("ListUsers with cursor %q: no error", c)
			}
			if code := auth.ErrorCode(err); code != auth.CodeInvalidRequest {
				t.Fatalf("ListUsers with cursor %q: code %q, want %q", c, code, auth.CodeInvalidRequest)
			}
		})
	}
	t.Run("BadSource", func(t *testing.T) {
		_, _, err := s.ListUsers(ctx, "acme", auth.UserQuery{Source: "ldap"})
		if code := auth.ErrorCode(err); code != auth.CodeInvalidRequest {
			t.Fatalf("ListUsers with source ldap: %v (code %q), want %q", err, code, auth.CodeInvalidRequest)
		}
	})
}
