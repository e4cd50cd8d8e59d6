package badgerstore

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

func TestTimeEncodingsSort(t *testing.T) {
	times := []time.Time{
		time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Unix(0, 0),
		time.Unix(0, 1),
		time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC),
		time.Date(2025, 3, 14, 15, 9, 26, 1, time.UTC),
		time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for i := 1; i < len(times); i++ {
		a, b := times[i-1], times[i]
		if bytes.Compare(sortableTime(a), sortableTime(b)) >= 0 {
			t.Errorf("sortableTime(%v) >= sortableTime(%v)", a, b)
		}
		if bytes.Compare(newestFirstTime(a), newestFirstTime(b)) <= 0 {
			t.Errorf("newestFirstTime(%v) <= newestFirstTime(%v)", a, b)
		}
	}
}

func TestKeysArePrefixFree(t *testing.T) {
	kinds := []string{
		kindUser, kindEmail, kindUsername, kindLegacyID, kindOrder, kindSourceOrder, kindStats,
		kindScriptSeq, kindScriptMeta, kindScriptModule, kindSession, kindUserSession,
		kindRefresh, kindSessionTokens, kindAudit, kindLog,
		kindLoginTiming,
	}
	seen := map[string]bool{}
	for _, a := range kinds {
		if seen[a] {
			t.Fatalf("kind %q used twice", a)
		}
		seen[a] = true
		for _, b := range kinds {
			if a != b && bytes.HasPrefix(prefix("acme", b), prefix("acme", a)) {
				t.Errorf("scan prefix of kind %q contains kind %q", a, b)
			}
		}
	}
	if bytes.HasPrefix(tenantPrefix("acme-2"), tenantPrefix("acme")) {
		t.Error("tenant prefix of acme contains acme-2")
	}
	if bytes.HasPrefix(tenantKey("acme"), tenantPrefix("acme")) || bytes.HasPrefix(tenantPrefix("acme"), tenantRecordPrefix) {
		t.Error("tenant records and tenant data overlap")
	}
}

func TestValidID(t *testing.T) {
	cases := []struct {
		id   string
		want bool
	}{
		{"acme", true},
		{"0196a7e2-7c1e-7d2a-9b0e-3f2d1c0b9a87", true},
		{"", false},
		{"a\x00b", false},
		{strings.Repeat("x", 512), true},
		{strings.Repeat("x", 513), false},
	}
	for _, tc := range cases {
		if got := validID(tc.id); got != tc.want {
			t.Errorf("validID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

// TestBadgerInfoIsQuiet checks that Badger's chatter on open and close stays
// below the info level while its warnings would get through.
func TestBadgerInfoIsQuiet(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := Open(t.TempDir(), Options{Logger: logger, MemTableSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("Badger logged at info level or above on a clean open and close:\n%s", buf.String())
	}
	slogLogger{logger}.Warningf("disk %s\n", "slow")
	if !strings.Contains(buf.String(), "level=WARN msg=\"disk slow\"") {
		t.Fatalf("warning not routed to slog: %q", buf.String())
	}
}

func TestClosedStore(t *testing.T) {
	s, err := OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := context.Background()
	calls := []struct {
		name string
		err  error
	}{
		{"Ping", s.Ping(ctx)},
		{"CreateTenant", s.CreateTenant(ctx, &auth.Tenant{ID: "acme"})},
		{"DeleteTenant", s.DeleteTenant(ctx, "acme")},
	}
	for _, c := range calls {
		if c.err != errClosed {
			t.Errorf("%s on a closed store: %v, want %v", c.name, c.err, errClosed)
		}
	}
	if _, err := s.ListTenants(ctx); err != errClosed {
		t.Errorf("ListTenants on a closed store: %v", err)
	}
}

// FuzzListCursor feeds arbitrary cursors (they come from query strings) to
// ListUsers and ListAudit: each returns a page or invalid_request, and never
// another tenant's records.
func FuzzListCursor(f *testing.F) {
	s, err := OpenInMemory()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	ctx := context.Background()
	for _, id := range []string{"acme", "other"} {
		if err := s.CreateTenant(ctx, &auth.Tenant{ID: id}); err != nil {
			f.Fatal(err)
		}
		for _, u := range []string{"u-1", "u-2", "u-3"} {
			if err := s.CreateUser(ctx, &auth.User{ID: u, Tenant: id, Email: u + "@example.com"}); err != nil {
				f.Fatal(err)
			}
			if err := s.AppendAudit(ctx, &auth.AuditEvent{Tenant: id, Type: "x"}); err != nil {
				f.Fatal(err)
			}
		}
	}
	_, next, err := s.ListUsers(ctx, "acme", auth.UserQuery{Limit: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(next)
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("__________________________")
	f.Fuzz(func(t *testing.T, cursor string) {
		users, _, err := s.ListUsers(ctx, "acme", auth.UserQuery{Cursor: cursor, Limit: 2})
		if err != nil && auth.ErrorCode(err) != auth.CodeInvalidRequest {
			t.Fatalf("ListUsers(cursor %q): %v", cursor, err)
		}
		for _, u := range users {
			if u.Tenant != "acme" {
				t.Fatalf("ListUsers returned a user of %q", u.Tenant)
			}
		}
		events, _, err := s.ListAudit(ctx, "acme", 2, cursor)
		if err != nil && auth.ErrorCode(err) != auth.CodeInvalidRequest {
			t.Fatalf("ListAudit(cursor %q): %v", cursor, err)
		}
		if len(events) > 2 {
			t.Fatalf("ListAudit returned %d events for limit 2", len(events))
		}
	})
}
