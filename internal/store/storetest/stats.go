package storetest

import (
	"fmt"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
)

func testStats(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "acme")
	mustTenant(t, s, "other")

	if st := stats(t, s, "acme"); st != (auth.MigrationStats{}) {
		t.Fatalf("stats of a new tenant = %+v, want zero", st)
	}
	mustUser(t, s, newUser("acme", "r-1", "r1@example.com", ""))
	mustUser(t, s, newUser("acme", "r-2", "r2@example.com", ""))
	mustUser(t, s, legacyUser("acme", "m-1", "m1@example.com", "L1", at(30)))
	mustUser(t, s, legacyUser("acme", "m-2", "m2@example.com", "L2", at(20)))
	mustUser(t, s, newUser("other", "r-1", "r1@example.com", ""))
	outcomes := []auth.LegacyOutcome{auth.LegacyOK, auth.LegacyOK, auth.LegacyRejected, auth.LegacyError, auth.LegacyOK,
		auth.LegacyInactive, auth.LegacyLocked, auth.LegacyInactive, auth.LegacyConflict, auth.LegacyConflict}
	for _, o := range outcomes {
		if err := s.CountLegacyOutcome(ctx, "acme", o); err != nil {
			t.Fatalf("CountLegacyOutcome(%d): %v", o, err)
		}
	}
	want := auth.MigrationStats{
		UsersMigrated: 2, UsersRegistered: 2, LastMigratedAt: at(30),
		LegacyLoginsOK: 3, LegacyRejected: 4, LegacyErrors: 1, LegacyInactive: 2, LegacyLocked: 1,
		LegacyConflicts: 2,
	}
	same(t, "stats", ptr(stats(t, s, "acme")), &want)
	same(t, "other tenant's stats", ptr(stats(t, s, "other")), &auth.MigrationStats{UsersRegistered: 1})

	steps := []struct {
		name string
		do   func() error
		edit func(*auth.MigrationStats)
	}{
		{"delete registered", func() error { return s.DeleteUser(ctx, "acme", "r-1") },
			func(w *auth.MigrationStats) { w.UsersRegistered-- }},
		{"delete migrated", func() error { return s.DeleteUser(ctx, "acme", "m-2") },
			func(w *auth.MigrationStats) { w.UsersMigrated-- }},
		{"update without source change", func() error {
			_, err := s.UpdateUser(ctx, "acme", "m-1", func(u *auth.User) error { u.Name = "x"; return nil })
			return err
		}, func(*auth.MigrationStats) {}},
		{"failed create", func() error {
			if err := s.CreateUser(ctx, newUser("acme", "r-9", "r2@example.com", "")); err == nil {
				return fmt.Errorf("duplicate email accepted")
			}
			return nil
		}, func(*auth.MigrationStats) {}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			st.edit(&want)
			same(t, "stats after "+st.name, ptr(stats(t, s, "acme")), &want)
		})
	}
	t.Run("UnknownTenant", func(t *testing.T) {
		_, err := s.MigrationStats(ctx, "nope")
		wantErr(t, "MigrationStats", err, auth.ErrNotFound)
		wantErr(t, "CountLegacyOutcome", s.CountLegacyOutcome(ctx, "nope", auth.LegacyOK), auth.ErrNotFound)
	})
	t.Run("UnknownOutcome", func(t *testing.T) {
		if err := s.CountLegacyOutcome(ctx, "acme", auth.LegacyOutcome(99)); err == nil {
			t.Fatal("CountLegacyOutcome(99): no error")
		}
	})
}

func ptr[T any](v T) *T { return &v }

func testConcurrentStats(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "acme")
	const (
		migrated   = 50
		registered = 20
		perOutcome = 30
	)
	outcomes := []auth.LegacyOutcome{auth.LegacyOK, auth.LegacyRejected, auth.LegacyError, auth.LegacyInactive, auth.LegacyLocked, auth.LegacyConflict}
	total := migrated + registered + perOutcome*len(outcomes)
	errs := runConcurrently(total, func(i int) error {
		switch {
		case i < migrated:
			return s.CreateUser(ctx, legacyUser("acme", fmt.Sprintf("m-%d", i), fmt.Sprintf("m%d@example.com", i), fmt.Sprintf("L%d", i), at(i)))
		case i < migrated+registered:
			return s.CreateUser(ctx, newUser("acme", fmt.Sprintf("r-%d", i), fmt.Sprintf("r%d@example.com", i), ""))
		default:
			return s.CountLegacyOutcome(ctx, "acme", outcomes[(i-migrated-registered)%len(outcomes)])
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent call %d: %v", i, err)
		}
	}
	want := auth.MigrationStats{
		UsersMigrated: migrated, UsersRegistered: registered, LastMigratedAt: at(migrated - 1),
		LegacyLoginsOK: perOutcome, LegacyRejected: 3 * perOutcome, LegacyErrors: perOutcome,
		LegacyInactive: perOutcome, LegacyLocked: perOutcome, LegacyConflicts: perOutcome,
	}
	same(t, "stats after concurrent calls", ptr(stats(t, s, "acme")), &want)

	// Concurrent deletes of the same users: each user is uncounted once.
	errs = runConcurrently(2*10, func(i int) error {
		return s.DeleteUser(ctx, "acme", fmt.Sprintf("m-%d", i%10))
	})
	if ok, nf := count(errs, nil), count(errs, auth.ErrNotFound); ok != 10 || nf != 10 {
		t.Fatalf("20 DeleteUser of 10 users: %d ok, %d not found; %v", ok, nf, errs)
	}
	want.UsersMigrated -= 10
	same(t, "stats after concurrent deletes", ptr(stats(t, s, "acme")), &want)
}
