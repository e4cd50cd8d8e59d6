package cli_test

import (
	"strings"
	"testing"
)

// TestScriptPushPreset: script push --preset uploads a server preset with no file, and
// migration status then counts the legacy users with the preset's count_users.
func TestScriptPushPreset(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	key := legacyTenant(t, ts, "acme")
	env := ts.tenantEnv(key)
	env["WASMAUTH_TENANT"] = "acme"

	r := mustRun(t, env, "", "script", "push", "--preset", "table")
	if !strings.Contains(r.stdout, "Uploaded version 1 of acme") || !strings.Contains(r.stdout, "exports count_users, get_user, list_users, login, verify_hash; active.") {
		t.Errorf("script push --preset printed %q", r.stdout)
	}
	if r := runCLI(t, env, "", "script", "push", "--preset=rails"); r.code != 1 || !strings.Contains(r.stderr, "django") {
		t.Errorf("an unknown preset: %s", r)
	}
	if r := runCLI(t, env, "", "script", "push"); r.code != 2 {
		t.Errorf("push without a file or preset: %s", r)
	}
	mustRun(t, env, "", "connection", "set", "--driver", "sqlite", "--dsn", "legacy.db")
	r = mustRun(t, env, "", "migration", "status")
	if !strings.Contains(r.stdout, "of legacy users") || !strings.Contains(r.stdout, "Legacy users") {
		t.Errorf("migration status printed:\n%s", r.stdout)
	}
	r = mustRun(t, env, "", "migration", "set", "--weak-legacy-passwords", "flag")
	if !strings.Contains(r.stdout, "Weak legacy passwords  flag") {
		t.Errorf("migration set printed:\n%s", r.stdout)
	}
}
