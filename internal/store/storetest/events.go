package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

func testAudit(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "acme")
	mustTenant(t, s, "other")
	// Appended out of time order; listed newest first by time.
	order := []int{3, 0, 6, 1, 5, 2, 4}
	for _, i := range order {
		e := &auth.AuditEvent{
			Tenant: "acme", Time: at(i), Type: fmt.Sprintf("event_%d", i),
			Actor: "admin", Subject: "u-1", IP: "198.51.100.7", Detail: map[string]any{"i": float64(i)},
		}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		if e.ID == "" {
			t.Fatal("AppendAudit did not set the id")
		}
	}
	if err := s.AppendAudit(ctx, &auth.AuditEvent{Tenant: "other", Time: at(9), Type: "other_event"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"event_6", "event_5", "event_4", "event_3", "event_2", "event_1", "event_0"}
	cases := []struct {
		name  string
		limit int
		pages int
	}{
		{"default limit", 0, 1},
		{"pages of 3", 3, 3},
		{"pages of 1", 1, 7},
		{"exact page", 7, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			cursor, pages := "", 0
			for {
				events, next, err := s.ListAudit(ctx, "acme", tc.limit, cursor)
				if err != nil {
					t.Fatalf("ListAudit: %v", err)
				}
				pages++
				for _, e := range events {
					got = append(got, e.Type)
					if e.Tenant != "acme" || e.Actor != "admin" || e.IP != "198.51.100.7" || e.Detail["i"] == nil {
						t.Fatalf("event fields lost: %+v", e)
					}
				}
				if next == "" || pages > 20 {
					break
				}
				cursor = next
			}
			if !slices.Equal(got, want) || pages != tc.pages {
				t.Fatalf("ListAudit pages of %d = %v in %d pages, want %v in %d", tc.limit, got, pages, want, tc.pages)
			}
		})
	}
	t.Run("RoundTrip", func(t *testing.T) {
		e := &auth.AuditEvent{ID: "fixed-id", Tenant: "other", Time: at(10), Type: "script_uploaded",
			Actor: "operator", Subject: "v3", IP: "2001:db8::1", Detail: map[string]any{"version": float64(3), "sha256": "ab"}}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		events, _, err := s.ListAudit(ctx, "other", 1, "")
		if err != nil || len(events) != 1 {
			t.Fatalf("ListAudit: %v, %v", events, err)
		}
		same(t, "audit event", events[0], e)
	})
	t.Run("UnknownTenant", func(t *testing.T) {
		_, _, err := s.ListAudit(ctx, "nope", 10, "")
		wantErr(t, "ListAudit", err, auth.ErrNotFound)
		wantErr(t, "AppendAudit", s.AppendAudit(ctx, &auth.AuditEvent{Tenant: "nope", Type: "x"}), auth.ErrNotFound)
	})
	t.Run("Batch", func(t *testing.T) {
		a := &auth.AuditEvent{Tenant: "other", Time: at(20), Type: "batch_a"}
		lost := &auth.AuditEvent{Tenant: "nope", Time: at(21), Type: "batch_lost"}
		b := &auth.AuditEvent{Tenant: "other", Time: at(22), Type: "batch_b"}
		wantErr(t, "AppendAudit with an unknown tenant in the batch", s.AppendAudit(ctx, a, lost, b), auth.ErrNotFound)
		events, _, err := s.ListAudit(ctx, "other", 2, "")
		if err != nil || len(events) != 2 || events[0].Type != "batch_b" || events[1].Type != "batch_a" {
			t.Fatalf("the batch's other events were not stored: %v, %v", events, err)
		}
	})
	t.Run("BadCursor", func(t *testing.T) {
		_, _, err := s.ListAudit(ctx, "acme", 10, "!!!")
		if code := auth.ErrorCode(err); code != auth.CodeInvalidRequest {
			t.Fatalf("ListAudit with a bad cursor: %v (code %q)", err, code)
		}
	})
}

func testLogs(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "acme")
	mustTenant(t, s, "other")
	now := sessionClock()
	var batch []auth.LogEntry
	for i := range 5 {
		batch = append(batch, auth.LogEntry{Time: now.Add(time.Duration(i) * time.Second), Level: "info", Op: "login", Message: fmt.Sprintf("line %d", i)})
	}
	if err := s.AppendLogs(ctx, "acme", batch); err != nil {
		t.Fatalf("AppendLogs: %v", err)
	}
	// Lines with the same time keep their order: the later one is newer.
	same1 := now.Add(10 * time.Second)
	if err := s.AppendLogs(ctx, "acme", []auth.LogEntry{
		{Time: same1, Level: "warn", Op: "host", Message: "line 5"},
		{Time: same1, Level: "error", Op: "host", Message: "line 6"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendLogs(ctx, "other", []auth.LogEntry{{Time: now, Level: "debug", Op: "get_user", Message: "other line"}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		limit int
		want  []string
	}{
		{0, []string{"line 6", "line 5", "line 4", "line 3", "line 2", "line 1", "line 0"}},
		{3, []string{"line 6", "line 5", "line 4"}},
		{1, []string{"line 6"}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("limit %d", tc.limit), func(t *testing.T) {
			logs, err := s.ListLogs(ctx, "acme", tc.limit)
			if err != nil {
				t.Fatalf("ListLogs: %v", err)
			}
			var got []string
			for _, l := range logs {
				got = append(got, l.Message)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("ListLogs(%d) = %v, want %v", tc.limit, got, tc.want)
			}
		})
	}
	logs, err := s.ListLogs(ctx, "acme", 1)
	if err != nil || len(logs) != 1 {
		t.Fatal(err)
	}
	if l := logs[0]; l.Level != "error" || l.Op != "host" || !l.Time.Equal(same1) {
		t.Fatalf("log fields lost: %+v", l)
	}
	t.Run("UnknownTenant", func(t *testing.T) {
		_, err := s.ListLogs(ctx, "nope", 10)
		wantErr(t, "ListLogs", err, auth.ErrNotFound)
		wantErr(t, "AppendLogs", s.AppendLogs(ctx, "nope", batch[:1]), auth.ErrNotFound)
	})
	t.Run("Empty append", func(t *testing.T) {
		wantErr(t, "AppendLogs(nil)", s.AppendLogs(ctx, "acme", nil), nil)
	})
}
