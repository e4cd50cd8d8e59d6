package storetest

import (
	"errors"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// importedUser is a user as a drain or an import stores it.
func importedUser(tenant, id, legacyID, email, hash string) *auth.User {
	u := newUser(tenant, id, email, "")
	u.PasswordHash = ""
	u.Source = auth.SourceLegacy
	u.LegacyID = legacyID
	u.MigratedAt = base
	u.Imported = true
	u.LegacyHash = hash
	return u
}

func testImportUsers(t *testing.T, newStore NewStore) {
	ctx := t.Context()
	s := newStore(t)
	mustTenant(t, s, "acme")
	local := newUser("acme", "local", "taken@example.com", "")
	if err := s.CreateUser(ctx, local); err != nil {
		t.Fatal(err)
	}
	migrated := newUser("acme", "migrated", "m@example.com", "")
	migrated.Source, migrated.LegacyID = auth.SourceLegacy, "L1"
	if err := s.CreateUser(ctx, migrated); err != nil {
		t.Fatal(err)
	}
	users := []*auth.User{
		importedUser("acme", "i2", "L2", "two@example.com", "$2a$10$hash"),
		importedUser("acme", "i1", "L1", "other@example.com", ""),
		importedUser("acme", "ic", "L9", "taken@example.com", ""),
		importedUser("acme", "i3", "L3", "three@example.com", ""),
		importedUser("acme", "i3b", "L3", "three-again@example.com", ""),
	}
	cursor := "c1"
	out, err := s.ImportUsers(ctx, "acme", users, false, func(out []auth.ImportOutcome) *auth.DrainJob {
		j := &auth.DrainJob{State: auth.DrainRunning, Pages: 1, Cursor: &cursor}
		for _, o := range out {
			if o.Status == auth.ImportStored {
				j.Counts.Imported++
			}
		}
		return j
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []auth.ImportOutcome{
		{Status: auth.ImportStored},
		{Status: auth.ImportAlreadyLocal, Holder: "migrated"},
		{Status: auth.ImportConflict, Holder: "local", Field: "email"},
		{Status: auth.ImportStored},
		{Status: auth.ImportAlreadyLocal, Holder: "i3"},
	}
	for i := range want {
		if out[i] != want[i] {
			t.Fatalf("outcome %d = %+v, want %+v", i, out[i], want[i])
		}
	}
	job, err := s.GetDrain(ctx, "acme")
	if err != nil || job.Counts.Imported != 2 || job.Cursor == nil || *job.Cursor != "c1" || job.Pages != 1 {
		t.Fatalf("GetDrain = %+v, %v", job, err)
	}
	u, err := s.FindUserByLegacyID(ctx, "acme", "L2")
	if err != nil || !u.Imported || u.LegacyHash != "$2a$10$hash" || u.ID != "i2" {
		t.Fatalf("imported user = %+v, %v", u, err)
	}
	if _, err := s.FindUser(ctx, "acme", "three-again@example.com"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("the second copy of L3 was stored: %v", err)
	}
	st, err := s.MigrationStats(ctx, "acme")
	if err != nil || st.UsersImported != 2 || st.UsersMigrated != 3 {
		t.Fatalf("stats = %+v, %v", st, err)
	}

	// A dry run writes the job only.
	out, err = s.ImportUsers(ctx, "acme", []*auth.User{importedUser("acme", "d", "L7", "dry@example.com", "")}, true,
		func([]auth.ImportOutcome) *auth.DrainJob { return &auth.DrainJob{State: auth.DrainDone, DryRun: true} })
	if err != nil || out[0].Status != auth.ImportStored {
		t.Fatalf("dry run = %+v, %v", out, err)
	}
	if _, err := s.FindUserByLegacyID(ctx, "acme", "L7"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("a dry run stored a user: %v", err)
	}
	if job, err := s.GetDrain(ctx, "acme"); err != nil || job.State != auth.DrainDone || !job.DryRun {
		t.Fatalf("job after a dry run = %+v, %v", job, err)
	}

	// The first login ends the import; a deleted imported user is uncounted.
	if _, err := s.UpdateUser(ctx, "acme", "i2", func(u *auth.User) error {
		u.Imported, u.LegacyHash, u.PasswordHash = false, "", "$argon2id$new"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "acme", "i3"); err != nil {
		t.Fatal(err)
	}
	if st, err := s.MigrationStats(ctx, "acme"); err != nil || st.UsersImported != 0 || st.UsersMigrated != 2 {
		t.Fatalf("stats after a login and a delete = %+v, %v", st, err)
	}

	// Nothing of an unknown tenant, job included.
	if _, err := s.ImportUsers(ctx, "nobody", []*auth.User{importedUser("nobody", "x", "L1", "x@example.com", "")}, false,
		func([]auth.ImportOutcome) *auth.DrainJob { return &auth.DrainJob{} }); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("ImportUsers of an unknown tenant: %v", err)
	}
	if _, err := s.GetDrain(ctx, "nobody"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("GetDrain of an unknown tenant: %v", err)
	}
}
