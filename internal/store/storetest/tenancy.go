package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// populate gives tenant one of every record kind: two users (one migrated),
// a session, two scripts, audit events, log lines and legacy outcomes.
func populate(t *testing.T, s auth.Store, tenant string, now time.Time) {
	t.Helper()
	ctx := t.Context()
	mustTenant(t, s, tenant)
	mustUser(t, s, newUser(tenant, "u-1", "one@example.com", "one"))
	mustUser(t, s, legacyUser(tenant, "u-2", "two@example.com", "L-2", at(1)))
	mustSession(t, s, tenant, "s-1", "u-1", now, tenant+"-t0")
	for i, m := range []string{"first module", "second module"} {
		if err := s.AddScript(ctx, &auth.Script{Tenant: tenant, Exports: []string{"login"}, UploadedAt: at(i)}, []byte(m), i == 1, auth.ScriptQuota{}); err != nil {
			t.Fatalf("AddScript: %v", err)
		}
	}
	for i := range 3 {
		e := &auth.AuditEvent{Tenant: tenant, Time: at(i), Type: "login_succeeded", Actor: "u-1", Subject: "u-1", IP: "192.0.2.1", Detail: map[string]any{"n": fmt.Sprint(i)}}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
	logs := []auth.LogEntry{{Time: now, Level: "info", Op: "login", Message: tenant + " says hi"}}
	if err := s.AppendLogs(ctx, tenant, logs); err != nil {
		t.Fatalf("AppendLogs: %v", err)
	}
	if err := s.CountLegacyOutcome(ctx, tenant, auth.LegacyOK); err != nil {
		t.Fatalf("CountLegacyOutcome: %v", err)
	}
}

// checkPopulated fails unless tenant holds what populate stored.
func checkPopulated(t *testing.T, s auth.Store, tenant string, now time.Time) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.GetTenant(ctx, tenant); err != nil {
		t.Fatalf("GetTenant(%s): %v", tenant, err)
	}
	for _, ident := range []string{"one@example.com", "one", "two@example.com"} {
		if _, err := s.FindUser(ctx, tenant, ident); err != nil {
			t.Fatalf("FindUser(%s, %s): %v", tenant, ident, err)
		}
	}
	if u, err := s.FindUserByLegacyID(ctx, tenant, "L-2"); err != nil || u.ID != "u-2" {
		t.Fatalf("FindUserByLegacyID(%s): %v, %v", tenant, u, err)
	}
	users, _, err := s.ListUsers(ctx, tenant, auth.UserQuery{})
	if err != nil || len(users) != 2 {
		t.Fatalf("ListUsers(%s): %v, %v", tenant, ids(users), err)
	}
	if sess := sessionState(t, s, tenant, "s-1"); !sess.Active(now) {
		t.Fatalf("session of %s not active: %+v", tenant, sess)
	}
	scripts, err := s.ListScripts(ctx, tenant)
	if err != nil || len(scripts) != 2 {
		t.Fatalf("ListScripts(%s): %v, %v", tenant, scripts, err)
	}
	if _, m, err := s.GetScript(ctx, tenant, 2); err != nil || !bytes.Equal(m, []byte("second module")) {
		t.Fatalf("GetScript(%s, 2): %q, %v", tenant, m, err)
	}
	if tn, _ := s.GetTenant(ctx, tenant); tn.ActiveScript != 2 {
		t.Fatalf("active script of %s = %d", tenant, tn.ActiveScript)
	}
	events, _, err := s.ListAudit(ctx, tenant, 10, "")
	if err != nil || len(events) != 3 {
		t.Fatalf("ListAudit(%s): %d events, %v", tenant, len(events), err)
	}
	logs, err := s.ListLogs(ctx, tenant, 10)
	if err != nil || len(logs) != 1 || logs[0].Message != tenant+" says hi" {
		t.Fatalf("ListLogs(%s): %+v, %v", tenant, logs, err)
	}
	want := auth.MigrationStats{UsersMigrated: 1, UsersRegistered: 1, LastMigratedAt: at(1), LegacyLoginsOK: 1}
	same(t, "stats of "+tenant, ptr(stats(t, s, tenant)), &want)
}

func testTenantIsolation(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	now := sessionClock()
	populate(t, s, "a", now)
	// "a-b" has "a" as a prefix: it must not see or touch a's records.
	for _, other := range []string{"b", "a-b"} {
		mustTenant(t, s, other)
	}
	for _, b := range []string{"b", "a-b"} {
		nf := []struct {
			name string
			err  func() error
		}{
			{"GetUser", func() error { _, err := s.GetUser(ctx, b, "u-1"); return err }},
			{"FindUser", func() error { _, err := s.FindUser(ctx, b, "one@example.com"); return err }},
			{"FindUserByLegacyID", func() error { _, err := s.FindUserByLegacyID(ctx, b, "L-2"); return err }},
			{"UpdateUser", func() error {
				_, err := s.UpdateUser(ctx, b, "u-1", func(u *auth.User) error { u.Name = "hijacked"; return nil })
				return err
			}},
			{"DeleteUser", func() error { return s.DeleteUser(ctx, b, "u-1") }},
			{"GetSession", func() error { _, err := s.GetSession(ctx, b, "s-1"); return err }},
			{"RevokeSession", func() error { return s.RevokeSession(ctx, b, "s-1", now) }},
			{"RotateRefreshToken", func() error {
				_, err := s.RotateRefreshToken(ctx, b, hash("a-t0"), hash("stolen"), now)
				return err
			}},
			{"GetScript", func() error { _, _, err := s.GetScript(ctx, b, 1); return err }},
			{"CreateSession for a's user", func() error {
				return s.CreateSession(ctx, &auth.Session{ID: "s-evil", Tenant: b, UserID: "u-1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, hash("evil"))
			}},
		}
		for _, tc := range nf {
			t.Run(b+"/"+tc.name, func(t *testing.T) {
				wantErr(t, tc.name, tc.err(), auth.ErrNotFound)
			})
		}
		t.Run(b+"/harmless", func(t *testing.T) {
			wantErr(t, "RevokeRefreshToken", s.RevokeRefreshToken(ctx, b, hash("a-t0"), now), nil)
			wantErr(t, "RevokeUserSessions", s.RevokeUserSessions(ctx, b, "u-1", "", now), nil)
			users, _, err := s.ListUsers(ctx, b, auth.UserQuery{})
			if err != nil || len(users) != 0 {
				t.Fatalf("ListUsers: %v, %v", ids(users), err)
			}
			scripts, err := s.ListScripts(ctx, b)
			if err != nil || len(scripts) != 0 {
				t.Fatalf("ListScripts: %v, %v", scripts, err)
			}
			events, _, err := s.ListAudit(ctx, b, 10, "")
			if err != nil || len(events) != 0 {
				t.Fatalf("ListAudit: %v, %v", events, err)
			}
			logs, err := s.ListLogs(ctx, b, 10)
			if err != nil || len(logs) != 0 {
				t.Fatalf("ListLogs: %v, %v", logs, err)
			}
			if st := stats(t, s, b); st != (auth.MigrationStats{}) {
				t.Fatalf("stats: %+v", st)
			}
		})
		t.Run(b+"/same identifiers", func(t *testing.T) {
			mustUser(t, s, newUser(b, "u-1", "one@example.com", "one"))
			mustUser(t, s, legacyUser(b, "u-2", "two@example.com", "L-2", at(1)))
		})
	}
	checkPopulated(t, s, "a", now)
	if u, _ := s.GetUser(ctx, "a", "u-1"); u.Name == "hijacked" {
		t.Fatal("another tenant changed a's user")
	}
}

func testDeleteTenant(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	now := sessionClock()
	populate(t, s, "gone", now)
	populate(t, s, "gone-2", now)
	populate(t, s, "stay", now)
	wantErr(t, "DeleteTenant", s.DeleteTenant(ctx, "gone"), nil)
	wantErr(t, "DeleteTenant again", s.DeleteTenant(ctx, "gone"), auth.ErrNotFound)

	_, err := s.GetTenant(ctx, "gone")
	wantErr(t, "GetTenant", err, auth.ErrNotFound)
	list, err := s.ListTenants(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListTenants after delete: %d tenants, %v", len(list), err)
	}
	checkPopulated(t, s, "stay", now)
	checkPopulated(t, s, "gone-2", now)

	// Recreate the id: nothing of the old tenant may come back.
	mustTenant(t, s, "gone")
	checks := []struct {
		name string
		err  func() error
	}{
		{"GetUser", func() error { _, err := s.GetUser(ctx, "gone", "u-1"); return err }},
		{"FindUser", func() error { _, err := s.FindUser(ctx, "gone", "one"); return err }},
		{"FindUserByLegacyID", func() error { _, err := s.FindUserByLegacyID(ctx, "gone", "L-2"); return err }},
		{"GetSession", func() error { _, err := s.GetSession(ctx, "gone", "s-1"); return err }},
		{"RotateRefreshToken", func() error {
			_, err := s.RotateRefreshToken(ctx, "gone", hash("gone-t0"), hash("x"), now)
			return err
		}},
		{"GetScript", func() error { _, _, err := s.GetScript(ctx, "gone", 1); return err }},
	}
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.name, tc.err(), auth.ErrNotFound) })
	}
	t.Run("Empty", func(t *testing.T) {
		users, _, err := s.ListUsers(ctx, "gone", auth.UserQuery{})
		if err != nil || len(users) != 0 {
			t.Fatalf("ListUsers: %v, %v", ids(users), err)
		}
		scripts, err := s.ListScripts(ctx, "gone")
		if err != nil || len(scripts) != 0 {
			t.Fatalf("ListScripts: %v, %v", scripts, err)
		}
		events, _, err := s.ListAudit(ctx, "gone", 10, "")
		if err != nil || len(events) != 0 {
			t.Fatalf("ListAudit: %v, %v", events, err)
		}
		logs, err := s.ListLogs(ctx, "gone", 10)
		if err != nil || len(logs) != 0 {
			t.Fatalf("ListLogs: %v, %v", logs, err)
		}
		if st := stats(t, s, "gone"); st != (auth.MigrationStats{}) {
			t.Fatalf("stats: %+v", st)
		}
		sc := &auth.Script{Tenant: "gone"}
		if err := s.AddScript(ctx, sc, []byte("new"), false, auth.ScriptQuota{}); err != nil || sc.Version != 1 {
			t.Fatalf("AddScript after recreate: version %d, %v; want 1", sc.Version, err)
		}
		mustUser(t, s, newUser("gone", "u-1", "one@example.com", "one"))
	})
}

func testDeleteUser(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	now := sessionClock()
	mustTenant(t, s, "acme")
	mustUser(t, s, legacyUser("acme", "u-1", "one@example.com", "L-1", at(1)))
	mustUser(t, s, newUser("acme", "u-2", "two@example.com", ""))
	mustSession(t, s, "acme", "s-1", "u-1", now, "t1")
	mustSession(t, s, "acme", "s-2", "u-1", now, "t2")
	mustSession(t, s, "acme", "s-3", "u-2", now, "t3")
	if _, err := s.RotateRefreshToken(ctx, "acme", hash("t1"), hash("t1b"), now); err != nil {
		t.Fatal(err)
	}

	wantErr(t, "DeleteUser", s.DeleteUser(ctx, "acme", "u-1"), nil)
	gone := []struct {
		name string
		err  func() error
	}{
		{"GetUser", func() error { _, err := s.GetUser(ctx, "acme", "u-1"); return err }},
		{"FindUser", func() error { _, err := s.FindUser(ctx, "acme", "one@example.com"); return err }},
		{"FindUserByLegacyID", func() error { _, err := s.FindUserByLegacyID(ctx, "acme", "L-1"); return err }},
		{"GetSession s-1", func() error { _, err := s.GetSession(ctx, "acme", "s-1"); return err }},
		{"GetSession s-2", func() error { _, err := s.GetSession(ctx, "acme", "s-2"); return err }},
		{"rotate current token", func() error {
			_, err := s.RotateRefreshToken(ctx, "acme", hash("t1b"), hash("t1c"), now)
			return err
		}},
		{"rotate old token", func() error {
			_, err := s.RotateRefreshToken(ctx, "acme", hash("t1"), hash("t1d"), now)
			return err
		}},
		{"rotate other session", func() error {
			_, err := s.RotateRefreshToken(ctx, "acme", hash("t2"), hash("t2b"), now)
			return err
		}},
	}
	for _, tc := range gone {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.name, tc.err(), auth.ErrNotFound) })
	}
	if !sessionState(t, s, "acme", "s-3").Active(now) {
		t.Fatal("another user's session was touched")
	}
	same(t, "stats", ptr(stats(t, s, "acme")), &auth.MigrationStats{UsersRegistered: 1, LastMigratedAt: at(1)})
	users, _, err := s.ListUsers(ctx, "acme", auth.UserQuery{})
	if err != nil || len(users) != 1 || users[0].ID != "u-2" {
		t.Fatalf("ListUsers after delete: %v, %v", ids(users), err)
	}
	// The id, identifiers and legacy id are free again.
	mustUser(t, s, legacyUser("acme", "u-1", "one@example.com", "L-1", at(2)))
}
