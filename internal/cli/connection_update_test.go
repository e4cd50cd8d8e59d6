package cli_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestConnectionUpdate: connection update changes config keys and limits
// through PATCH /connection and keeps the DSN; migration status shows the
// inactive and locked rejections.
func TestConnectionUpdate(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	key := legacyTenant(t, ts, "acme")
	env := ts.tenantEnv(key)
	env["WASMAUTH_TENANT"] = "acme"
	mustRun(t, env, "", "connection", "set", "--driver", "sqlite", "--dsn", "legacy.db",
		"--config", "dialect=sqlite", "--config", "table=users", "--config", "extra=x", "--max-rows", "10", slowMachine)

	r := mustRun(t, env, "", "connection", "update", "--config", "note=hi", "--unset", "extra", "--max-rows", "0", "--max-queries", "4")
	for _, want := range []string{`"note":"hi"`, `"table":"users"`, "max_queries=4", "DSN set"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("connection update lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, gone := range []string{"extra", "max_rows"} {
		if strings.Contains(r.stdout, gone) {
			t.Errorf("connection update still shows %q:\n%s", gone, r.stdout)
		}
	}
	if r := mustRun(t, env, "", "connection", "get"); !strings.Contains(r.stdout, `"note":"hi"`) || !strings.Contains(r.stdout, "sqlite") {
		t.Errorf("connection get after update:\n%s", r.stdout)
	}
	for _, args := range [][]string{
		{"connection", "update"},
		{"connection", "update", "--dsn", "other.db"},
		{"connection", "update", "--config", "a=1", "--unset", "a"},
	} {
		if r := runCLI(t, env, "", args...); r.code == 0 {
			t.Errorf("%v: exit 0:\n%s", args, r)
		}
	}

	r = mustRun(t, env, "", "migration", "status")
	for _, re := range []string{`(?m)^\s+inactive\s+0$`, `(?m)^\s+locked\s+0$`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("migration status does not match %s:\n%s", re, r.stdout)
		}
	}
}
