package server_test

import (
	"slices"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// TestRetention: audit events and module log lines older than their
// retention (the defaults, or the operator's settings) are deleted by the
// sweep a start runs; newer ones stay. The old records are written into the
// stopped server's store with past times, as if the server had run then.
func TestRetention(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name                string
		cfg                 server.Config
		auditOld, auditKept time.Duration // ages of the records written
		logOld, logKept     time.Duration
	}{
		{"defaults", server.Config{}, 91 * day, 89 * day, 8 * day, 6 * day},
		{"operator settings", server.Config{AuditRetention: 2 * day, LogRetention: time.Hour}, 3 * day, day, 2 * time.Hour, 30 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := testserver.Start(t, tt.cfg)
			ts.CreateTenant("acme")
			waitAudit(t, ts, "acme", func(types []string) bool { return slices.Contains(types, auth.EventTenantCreated) })
			ts.Stop()

			st, err := server.OpenStore(t.Context(), ts.Config)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			err = st.AppendAudit(t.Context(),
				&auth.AuditEvent{Tenant: "acme", Time: now.Add(-tt.auditOld), Type: "old_event"},
				&auth.AuditEvent{Tenant: "acme", Time: now.Add(-tt.auditKept), Type: "kept_event"})
			if err != nil {
				t.Fatal(err)
			}
			err = st.AppendLogs(t.Context(), "acme", []auth.LogEntry{
				{Time: now.Add(-tt.logOld), Level: "info", Op: "login", Message: "old line"},
				{Time: now.Add(-tt.logKept), Level: "info", Op: "login", Message: "kept line"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}

			ts = ts.Restart()
			types := waitAudit(t, ts, "acme", func(types []string) bool { return !slices.Contains(types, "old_event") })
			if !slices.Contains(types, "kept_event") || !slices.Contains(types, auth.EventTenantCreated) {
				t.Fatalf("the sweep deleted recent audit events: %v", types)
			}
			// Logs are swept after the audit: poll them too.
			deadline := time.Now().Add(10 * time.Second)
			for {
				var logs struct {
					Logs []struct {
						Message string `json:"message"`
					} `json:"logs"`
				}
				ts.Must(ts.Do("GET", "/admin/v1/tenants/acme/logs", testserver.OperatorToken, nil), 200, "logs").Decode(t, &logs)
				var lines []string
				for _, l := range logs.Logs {
					lines = append(lines, l.Message)
				}
				if slices.Equal(lines, []string{"kept line"}) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("log lines after the sweep %q, want only the kept line", lines)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
