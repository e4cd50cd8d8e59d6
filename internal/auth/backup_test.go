package auth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/store/badgerstore"
)

// sinkStore is an auth.Store that imports records into a slice and exports
// them from it; every other method is left out.
type sinkStore struct {
	auth.Store
	records []*auth.BackupRecord
}

func (s *sinkStore) Import(_ context.Context, recs iter.Seq2[*auth.BackupRecord, error]) error {
	for r, err := range recs {
		if err != nil {
			return err
		}
		s.records = append(s.records, r)
	}
	return nil
}

func (s *sinkStore) Export(_ context.Context, emit func(*auth.BackupRecord) error) error {
	for _, r := range s.records {
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

var backupTime = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)

// sampleRecords has one record of every kind.
func sampleRecords() []*auth.BackupRecord {
	module := []byte("\x00asm\x01\x00\x00\x00")
	sum := sha256.Sum256(module)
	t := backupTime
	return []*auth.BackupRecord{
		{Tenant: &auth.Tenant{ID: "acme", Name: "Acme <&>", CreatedAt: t, APIKeyHash: []byte{1, 2, 3}, ActiveScript: 1,
			SigningKeys: []auth.SigningKey{{ID: "k1", Algorithm: "ES256", Private: []byte{4, 5}, CreatedAt: t}},
			Connection:  &auth.Connection{Driver: "sqlite", DSN: "legacy.db", Config: map[string]any{"t": "users"}, Limits: auth.Limits{Fuel: 7}},
			Branding:    &auth.Branding{DisplayName: "Acme", LogoURL: "https://acme.example/logo.png", AccentColor: "#112233"}}},
		{Counters: &auth.TenantCounters{Tenant: "acme", Stats: auth.MigrationStats{UsersMigrated: 1, LegacyErrors: 2, LastMigratedAt: t}, LastScriptVersion: 3}},
		{Script: &auth.ScriptVersion{Script: auth.Script{Tenant: "acme", Version: 1, SHA256: hex.EncodeToString(sum[:]), Size: len(module), Exports: []string{"login"}, UploadedAt: t}, Module: module}},
		{Client: &auth.Client{ID: "c-1", Tenant: "acme", Name: "App", Type: auth.ClientConfidential, SecretHash: []byte{6, 7},
			RedirectURIs: []string{"https://app.example/cb"}, PostLogoutRedirectURIs: []string{"https://app.example/"},
			GrantTypes: []string{auth.GrantAuthorizationCode, auth.GrantRefreshToken}, IDTokenAlg: "RS256", CreatedAt: t, UpdatedAt: t}},
		{User: &auth.User{ID: "u-1", Tenant: "acme", Email: "ann@example.com", Profile: map[string]any{"n": 1.5}, PasswordHash: "$argon2id$x", CreatedAt: t, Source: auth.SourceLegacy, LegacyID: "7", MigratedAt: t}},
		{Session: &auth.SessionBackup{Session: auth.Session{ID: "s-1", Tenant: "acme", UserID: "u-1", CreatedAt: t, ExpiresAt: t.Add(time.Hour),
			ClientID: "c-1", Scopes: []string{"openid", "offline_access"}, AuthTime: t},
			RefreshTokens: []auth.RefreshToken{{Hash: []byte("h0"), Rotated: true}, {Hash: []byte("h1")}}}},
		{Audit: &auth.AuditEvent{ID: "e-1", Tenant: "acme", Time: t, Type: "login_succeeded", Detail: map[string]any{"ok": true}}},
		{Log: &auth.TenantLogEntry{Tenant: "acme", LogEntry: auth.LogEntry{Time: t, Level: "info", Op: "login", Message: "hi\nthere"}}},
		{RateLimit: &auth.RateLimitState{Key: "ip:acme:192.0.2.1", Until: t.Add(time.Minute)}},
	}
}

// backupOf returns a backup of recs.
func backupOf(t testing.TB, recs []*auth.BackupRecord) string {
	t.Helper()
	var buf bytes.Buffer
	if err := auth.WriteBackup(context.Background(), &sinkStore{records: recs}, &buf, backupTime); err != nil {
		t.Fatalf("WriteBackup: %v", err)
	}
	return buf.String()
}

func TestBackupFormat(t *testing.T) {
	file := backupOf(t, sampleRecords())
	lines := strings.Split(strings.TrimSuffix(file, "\n"), "\n")
	wantKinds := []string{"tenant", "counters", "script", "client", "user", "session", "audit", "log", "rate_limit"}
	if len(lines) != len(wantKinds)+2 {
		t.Fatalf("%d lines:\n%s", len(lines), file)
	}
	if lines[0] != `{"format":"wasmauth-backup","version":1,"created_at":"2026-12-03T07:00:00Z"}` {
		t.Errorf("header %s", lines[0])
	}
	for i, k := range wantKinds {
		if !strings.HasPrefix(lines[i+1], `{"kind":"`+k+`",`) {
			t.Errorf("line %d: %.60s, want kind %s", i+2, lines[i+1], k)
		}
	}
	if lines[len(lines)-1] != `{"kind":"end","records":9}` {
		t.Errorf("end line %s", lines[len(lines)-1])
	}
	if strings.Contains(strings.ToLower(file), "badger") {
		t.Error("the backup names a backend")
	}
	// Read back, every record comes out as it went in.
	sink := &sinkStore{}
	if err := auth.RestoreBackup(t.Context(), sink, strings.NewReader(file)); err != nil {
		t.Fatalf("RestoreBackup: %v", err)
	}
	if again := backupOf(t, sink.records); again != file {
		t.Fatalf("a second backup differs:\n%s\nwant\n%s", again, file)
	}
}

func TestRestoreBackupRefuses(t *testing.T) {
	valid := strings.Split(strings.TrimSuffix(backupOf(t, sampleRecords()), "\n"), "\n")
	header, tenant, user, end := valid[0], valid[1], valid[5], valid[len(valid)-1]
	file := func(lines ...string) string { return strings.Join(lines, "\n") + "\n" }
	noActive := strings.Replace(tenant, `"active_script":1,`, ``, 1)
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "the backup is empty"},
		{"a Badger backup", "\x2a\x00\x00\x00\x00\x00\x00\x00\x0a\x28\x0a\x05", "line 1: not a wasmauth backup"},
		{"another format", file(`{"format":"other","version":1}`), "line 1: not a wasmauth backup"},
		{"a newer version", file(`{"format":"wasmauth-backup","version":2}`), "line 1: backup format version 2; this wasmauth reads version 1"},
		{"cut short", file(header, tenant), "the backup ends after line 2 without its end line: it is cut short"},
		{"an empty line", file(header, "", end), "line 2: not a JSON object"},
		{"not JSON", file(header, `{"kind":"tenant",`, end), "line 2: not a JSON object"},
		{"an unknown kind", file(header, noActive, `{"kind":"usr","tenant":"acme"}`, end), `line 3: unknown kind "usr"`},
		{"an unknown field", file(header, noActive, strings.Replace(user, `"email"`, `"emial"`, 1), end), `line 3: user record: json: unknown field "emial"`},
		{"a wrong type", file(header, strings.Replace(tenant, `"active_script":1`, `"active_script":"1"`, 1), end), "line 2: tenant record: json: cannot unmarshal string"},
		{"bad base64", file(header, strings.Replace(tenant, `"api_key_hash":"AQID"`, `"api_key_hash":"@@"`, 1), end), "line 2: tenant record: illegal base64"},
		{"data after the object", file(header, noActive+` {}`, end), "line 2: not a JSON object: invalid character '{' after top-level value"},
		{"a record before its tenant", file(header, user, end), `line 2: user record of tenant "acme" before the tenant's own record`},
		{"a tenant twice", file(header, noActive, noActive, end), `line 3: tenant "acme" appears twice`},
		{"a module that does not match", file(header, noActive, strings.Replace(valid[3], `"size":8`, `"size":9`, 1), end), "line 3: script record: size 9, but the module has 8 bytes"},
		{"a confidential client without secret", file(header, noActive, strings.Replace(valid[4], `"secret_hash":"Bgc=",`, ``, 1), end), "line 3: client record: a confidential client without secret_hash"},
		{"a session without tokens", file(header, noActive, `{"kind":"session","tenant":"acme","id":"s","user_id":"u","expires_at":"2026-12-03T07:00:00Z","refresh_tokens":[]}`, end), "line 3: session record: no refresh tokens"},
		{"a wrong count", file(header, noActive, end), "line 3: the end line counts 9 records, the backup holds 1"},
		{"data after the end", file(header, noActive, `{"kind":"end","records":1}`, "{}"), "line 4: data after the end line"},
		{"an active script missing", file(header, tenant, `{"kind":"end","records":1}`), `the active script version 1 of tenant "acme" is not in the backup`},
		{"a line too long", file(header, `{"kind":"tenant","id":"`+strings.Repeat("a", 32<<20)+`"}`), "line 2: longer than 33554432 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := auth.RestoreBackup(t.Context(), &sinkStore{}, strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("RestoreBackup: %v\nwant an error with %q", err, tt.want)
			}
		})
	}
}

// TestRestoreBackupNamesTheLine checks that a record the store refuses is
// reported with its line, and that a store with data is refused whole.
func TestRestoreBackupNamesTheLine(t *testing.T) {
	open := func() auth.Store {
		st, err := badgerstore.OpenInMemory()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	recs := sampleRecords()
	twin := *recs[4].User
	twin.ID, twin.LegacyID = "u-2", "8"
	recs = append(recs[:5], append([]*auth.BackupRecord{{User: &twin}}, recs[5:]...)...)
	err := auth.RestoreBackup(t.Context(), open(), strings.NewReader(backupOf(t, recs)))
	if !errors.Is(err, auth.ErrEmailTaken) || !strings.HasPrefix(err.Error(), "line 7: ") {
		t.Fatalf("a second user with one email: %v", err)
	}
	st := open()
	file := backupOf(t, sampleRecords())
	if err := auth.RestoreBackup(t.Context(), st, strings.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	err = auth.RestoreBackup(t.Context(), st, strings.NewReader(file))
	if !errors.Is(err, auth.ErrStoreNotEmpty) || strings.HasPrefix(err.Error(), "line") {
		t.Fatalf("a store with data: %v", err)
	}
}

// FuzzRestoreBackup feeds the backup reader untrusted bytes: it must not
// panic, and whatever it accepts must come out of a second backup and
// restore unchanged, so that nothing it was given is lost on the way.
func FuzzRestoreBackup(f *testing.F) {
	valid := backupOf(f, sampleRecords())
	f.Add([]byte(valid))
	f.Add([]byte(valid[:len(valid)/2]))
	f.Add([]byte(backupOf(f, nil)))
	f.Add([]byte(`{"format":"wasmauth-backup","version":1}` + "\n" + `{"kind":"rate_limit","key":"k","until":"2026-01-01T00:00:00+02:00"}` + "\n" + `{"kind":"end","records":1}`))
	f.Add([]byte("\x2a\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		first := &sinkStore{}
		if err := auth.RestoreBackup(t.Context(), first, bytes.NewReader(in)); err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		out := backupOf(t, first.records)
		second := &sinkStore{}
		if err := auth.RestoreBackup(t.Context(), second, strings.NewReader(out)); err != nil {
			t.Fatalf("the backup of an accepted backup is refused: %v\n%s", err, out)
		}
		if again := backupOf(t, second.records); again != out {
			t.Fatalf("a record changed on the way:\n%s\nthen\n%s", out, again)
		}
	})
}
