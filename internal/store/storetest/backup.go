package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// populateEverything stores at least one record of every kind of
// auth.BackupRecord, with every optional field set somewhere: two tenants
// from populate, one with a connection, keys, branding, a confidential and a
// public OpenID Connect client, a client's session, rotated and revoked sessions
// and log lines of one instant; a module of several hundred KiB beside a
// deleted version; a rate limiter state.
func populateEverything(t *testing.T, s auth.Store, now time.Time) {
	t.Helper()
	ctx := t.Context()
	populate(t, s, "a", now)
	populate(t, s, "b", now)
	_, err := s.UpdateTenant(ctx, "a", func(tn *auth.Tenant) error {
		tn.APIKeyHash = hash("api key")
		tn.SigningKeys = []auth.SigningKey{
			{ID: "k2", Algorithm: "EdDSA", Private: []byte("private 2"), CreatedAt: at(2)},
			{ID: "k1", Algorithm: "ES256", Private: []byte("private 1"), CreatedAt: at(1)},
			{ID: "k0", Algorithm: "ES256", Private: []byte("private 0"), CreatedAt: at(1), Use: auth.KeyUseIDToken},
		}
		tn.Settings = auth.Settings{BrowserSessionTTL: 90 * time.Minute}
		tn.Connection = &auth.Connection{
			Driver: "postgres", DSN: "postgres://reader:secret@db.example.com/legacy",
			Config: map[string]any{"table": "members", "n": 2.5, "nested": map[string]any{"on": true}},
			Limits: auth.Limits{TimeoutMS: 2000, MemoryMB: 64, Fuel: 1e9, MaxQueries: 3, MaxRows: 10, Instances: 2},
		}
		tn.MigrationEnabled = true
		tn.Branding = &auth.Branding{DisplayName: "Acme", LogoURL: "https://cdn.example/logo.png", AccentColor: "#aa3300"}
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateTenant: %v", err)
	}
	for i, c := range []*auth.Client{newClient("a", "c-1", 1), newClient("a", "c-2", 2)} {
		if i == 1 {
			c.Type, c.SecretHash, c.PostLogoutRedirectURIs = auth.ClientPublic, nil, nil
		}
		if err := s.CreateClient(ctx, c); err != nil {
			t.Fatalf("CreateClient: %v", err)
		}
	}
	u := newUser("a", "u-3", "three@example.com", "three")
	u.EmailVerified = true
	u.CreatedAt, u.UpdatedAt = at(3), at(4)
	mustUser(t, s, u)
	// An imported user keeps its legacy hash, and counts as imported.
	if _, err := s.ImportUsers(ctx, "a", []*auth.User{importedUser("a", "u-imported", "L4", "imported@example.com", "$2a$10$hash")}, false, nil); err != nil {
		t.Fatalf("ImportUsers: %v", err)
	}
	// s-1 of a: rotated twice. s-2: revoked.
	for i, h := range []string{"a-t0", "a-t1"} {
		if _, err := s.RotateRefreshToken(ctx, "a", hash(h), hash(fmt.Sprintf("a-t%d", i+1)), now); err != nil {
			t.Fatalf("RotateRefreshToken: %v", err)
		}
	}
	mustSession(t, s, "a", "s-2", "u-3", now, "a-s2")
	cs := &auth.Session{ID: "s-3", Tenant: "a", UserID: "u-3", CreatedAt: now, ExpiresAt: now.Add(time.Hour),
		ClientID: "c-1", Scopes: []string{"openid", "offline_access"}, AuthTime: now.Add(-time.Minute)}
	if err := s.CreateSession(ctx, cs, hash("a-c0")); err != nil {
		t.Fatalf("CreateSession(s-3): %v", err)
	}
	if err := s.RevokeSession(ctx, "a", "s-2", now.Add(time.Minute)); err != nil {
		t.Fatalf("RevokeSession: %v", err)
	}
	instant := []auth.LogEntry{
		{Time: now, Level: "warn", Op: "get_user", Message: "first of one instant"},
		{Time: now, Level: "error", Op: "host", Message: "second of one instant"},
	}
	if err := s.AppendLogs(ctx, "a", instant); err != nil {
		t.Fatalf("AppendLogs: %v", err)
	}
	for _, o := range []auth.LegacyOutcome{auth.LegacyRejected, auth.LegacyError, auth.LegacyError, auth.LegacyInactive, auth.LegacyLocked, auth.LegacyLocked, auth.LegacyConflict} {
		if err := s.CountLegacyOutcome(ctx, "a", o); err != nil {
			t.Fatalf("CountLegacyOutcome: %v", err)
		}
	}

	mustTenant(t, s, "big")
	module := bytes.Repeat([]byte("big module "), 100<<10) // 1.1 MB: several pieces
	for i, m := range [][]byte{module, []byte("v2"), []byte("v3")} {
		if err := s.AddScript(ctx, &auth.Script{Tenant: "big", UploadedAt: at(i)}, m, i == 1, auth.ScriptQuota{}); err != nil {
			t.Fatalf("AddScript: %v", err)
		}
	}
	if err := s.DeleteScript(ctx, "big", 3); err != nil {
		t.Fatalf("DeleteScript: %v", err)
	}
	err = s.SaveRateLimits(ctx, []auth.RateLimitState{{Key: "idip:a:192.0.2.1:one@example.com", Until: now.Add(time.Hour)}})
	if err != nil {
		t.Fatalf("SaveRateLimits: %v", err)
	}
}

// export returns every record s exports.
func export(t *testing.T, s auth.Store) []*auth.BackupRecord {
	t.Helper()
	var out []*auth.BackupRecord
	if err := s.Export(t.Context(), func(r *auth.BackupRecord) error { out = append(out, r); return nil }); err != nil {
		t.Fatalf("Export: %v", err)
	}
	return out
}

// backupLines returns the lines of a backup of s after the header, which
// holds the time.
func backupLines(t *testing.T, s auth.Store) ([]byte, []string) {
	t.Helper()
	var buf bytes.Buffer
	if err := auth.WriteBackup(t.Context(), s, &buf, time.Now()); err != nil {
		t.Fatalf("WriteBackup: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	return buf.Bytes(), lines[1:]
}

func testExportImport(t *testing.T, newStore NewStore) { RoundTrip(t, newStore, newStore) }

// RoundTrip backs up a store made by from that holds every kind of record,
// restores the backup into a store made by to, and checks that the second
// store backs up to the same lines and works on as the first would. Run
// calls it with one backend twice; a backend's tests call it with another
// backend too, so that each restores the others' backups.
func RoundTrip(t *testing.T, from, to NewStore) {
	ctx := t.Context()
	now := sessionClock()
	src := from(t)
	populateEverything(t, src, now)

	// Every kind is exported, so the comparison below covers every kind;
	// a kind added to BackupRecord fails here until populateEverything
	// stores one.
	kinds := reflect.TypeFor[auth.BackupRecord]()
	seen := make([]bool, kinds.NumField())
	for _, r := range export(t, src) {
		v := reflect.ValueOf(r).Elem()
		n := 0
		for i := range seen {
			if !v.Field(i).IsNil() {
				seen[i] = true
				n++
			}
		}
		if n != 1 {
			t.Fatalf("an exported record of %d kinds: %+v", n, r)
		}
	}
	for i, ok := range seen {
		if !ok {
			t.Errorf("no %s record exported", kinds.Field(i).Name)
		}
	}

	file, want := backupLines(t, src)
	dst := to(t)
	if err := auth.RestoreBackup(ctx, dst, bytes.NewReader(file)); err != nil {
		t.Fatalf("RestoreBackup: %v", err)
	}
	// The restored store exports exactly what the original did.
	_, got := backupLines(t, dst)
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) || got[i] != want[i] {
			g, w := "(none)", "(none)"
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			t.Fatalf("line %d of the backups differs:\n got  %.600s\n want %.600s", i+2, g, w)
		}
	}

	// The restored store works on as the original would.
	checkPopulated(t, dst, "b", now)
	_, err := dst.RotateRefreshToken(ctx, "a", hash("a-t1"), hash("a-t9"), now)
	wantErr(t, "reuse of a token rotated before the backup", err, auth.ErrRefreshReused)
	if _, err := dst.RotateRefreshToken(ctx, "b", hash("b-t0"), hash("b-t1"), now); err != nil {
		t.Fatalf("rotation after restore: %v", err)
	}
	_, err = dst.RotateRefreshToken(ctx, "a", hash("a-s2"), hash("a-s3"), now)
	wantErr(t, "rotation in a revoked session", err, auth.ErrSessionEnded)
	wantErr(t, "duplicate after restore", dst.CreateUser(ctx, newUser("a", "u-9", "one@example.com", "")), auth.ErrEmailTaken)
	if u, err := dst.FindUser(ctx, "a", "three"); err != nil || u.ID != "u-3" {
		t.Fatalf("FindUser by username after restore: %v, %v", u, err)
	}
	u4 := newUser("a", "u-4", "four@example.com", "")
	u4.CreatedAt = at(5)
	mustUser(t, dst, u4)
	if st := stats(t, dst, "a"); st.UsersRegistered != 3 || st.LegacyErrors != 2 || st.LegacyRejected != 4 || st.LegacyInactive != 1 || st.LegacyLocked != 2 || st.LegacyConflicts != 1 {
		t.Fatalf("stats after restore and one registration: %+v", st)
	}
	users, _, err := dst.ListUsers(ctx, "a", auth.UserQuery{Source: auth.SourceLocal})
	if err != nil || !slices.Equal(ids(users), []string{"u-1", "u-3", "u-4"}) {
		t.Fatalf("ListUsers after restore: %v, %v", ids(users), err)
	}
	sc := &auth.Script{Tenant: "big"}
	if err := dst.AddScript(ctx, sc, []byte("v4"), false, auth.ScriptQuota{}); err != nil || sc.Version != 4 {
		t.Fatalf("AddScript after restore: version %d, %v; want 4 (3 was deleted, not to be given out again)", sc.Version, err)
	}
	if states, err := dst.LoadRateLimits(ctx, now); err != nil || len(states) != 1 {
		t.Fatalf("LoadRateLimits after restore: %v, %v", states, err)
	}
	logs, err := dst.ListLogs(ctx, "a", 2)
	if err != nil || len(logs) != 2 || logs[0].Message != "second of one instant" {
		t.Fatalf("newest logs after restore: %+v, %v", logs, err)
	}

	t.Run("NotEmpty", func(t *testing.T) {
		err := auth.RestoreBackup(ctx, dst, bytes.NewReader(file))
		wantErr(t, "RestoreBackup into a store with data", err, auth.ErrStoreNotEmpty)
	})
}

// records yields recs, then err if it is not nil.
func records(err error, recs ...*auth.BackupRecord) iter.Seq2[*auth.BackupRecord, error] {
	return func(yield func(*auth.BackupRecord, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
		if err != nil {
			yield(nil, err)
		}
	}
}

func testImportRefusals(t *testing.T, newStore NewStore) {
	tenant := &auth.BackupRecord{Tenant: &auth.Tenant{ID: "acme", CreatedAt: base}}
	user := func(id, email string) *auth.BackupRecord {
		return &auth.BackupRecord{User: newUser("acme", id, email, "")}
	}
	session := func(user string) *auth.BackupRecord {
		s := auth.Session{ID: "s-1", Tenant: "acme", UserID: user, CreatedAt: base, ExpiresAt: time.Now().Add(time.Hour)}
		return &auth.BackupRecord{Session: &auth.SessionBackup{Session: s, RefreshTokens: []auth.RefreshToken{{Hash: hash("t")}}}}
	}
	broken := errors.New("the reader broke")
	tests := []struct {
		name string
		recs iter.Seq2[*auth.BackupRecord, error]
		want error // nil: any error
	}{
		{"a tenant twice", records(nil, tenant, tenant), nil},
		{"a user of an unknown tenant", records(nil, user("u-1", "one@example.com")), nil},
		{"a user id twice", records(nil, tenant, user("u-1", "one@example.com"), user("u-1", "two@example.com")), nil},
		{"an email twice", records(nil, tenant, user("u-1", "one@example.com"), user("u-2", "one@example.com")), auth.ErrEmailTaken},
		{"a session of an unknown user", records(nil, tenant, session("u-1")), nil},
		{"the reader's error", records(broken, tenant), broken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := newStore(t).Import(t.Context(), tt.recs)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Import: %v, want %v", err, tt.want)
			}
		})
	}
}
