package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
)

func testRetention(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	tenants := []string{"acme", "other"}
	for _, tn := range tenants {
		mustTenant(t, s, tn)
		// Minutes -3 to 3 around base; a cut at base keeps 0 to 3. Several
		// at one instant check that the cut is exact.
		for _, m := range []int{-3, -2, -1, -1, 0, 0, 1, 2, 3} {
			e := &auth.AuditEvent{Tenant: tn, Time: at(m), Type: fmt.Sprintf("event_%d", m)}
			if err := s.AppendAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
			line := auth.LogEntry{Time: at(m), Level: "info", Op: "login", Message: fmt.Sprintf("line_%d", m)}
			if err := s.AppendLogs(ctx, tn, []auth.LogEntry{line}); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := s.DeleteAuditBefore(ctx, base)
	if err != nil || n != 2*4 {
		t.Fatalf("DeleteAuditBefore: %d removed, %v; want 8", n, err)
	}
	n, err = s.DeleteLogsBefore(ctx, at(2))
	if err != nil || n != 2*7 {
		t.Fatalf("DeleteLogsBefore: %d removed, %v; want 14", n, err)
	}
	for _, tn := range tenants {
		events, _, err := s.ListAudit(ctx, tn, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range events {
			got = append(got, e.Type)
		}
		if want := []string{"event_3", "event_2", "event_1", "event_0", "event_0"}; !slices.Equal(got, want) {
			t.Fatalf("%s: audit after the cut %v, want %v", tn, got, want)
		}
		lines, err := s.ListLogs(ctx, tn, 0)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, l := range lines {
			got = append(got, l.Message)
		}
		if want := []string{"line_3", "line_2"}; !slices.Equal(got, want) {
			t.Fatalf("%s: logs after the cut %v, want %v", tn, got, want)
		}
	}
	n, err = s.DeleteAuditBefore(ctx, base)
	if err != nil || n != 0 {
		t.Fatalf("DeleteAuditBefore again: %d removed, %v; want 0", n, err)
	}
}
