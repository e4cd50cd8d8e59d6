package cli_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/cli"
)

func TestHelp(t *testing.T) {
	commands := [][]string{
		{"tenant"}, {"tenant", "create"}, {"tenant", "list"}, {"tenant", "get"}, {"tenant", "delete"}, {"tenant", "rotate-key"},
		{"script"}, {"script", "push"}, {"script", "list"}, {"script", "activate"}, {"script", "delete"}, {"script", "test"},
		{"connection"}, {"connection", "set"}, {"connection", "get"}, {"connection", "delete"},
		{"migration"}, {"migration", "status"}, {"migration", "enable"}, {"migration", "disable"},
		{"users"}, {"users", "list"}, {"users", "get"}, {"users", "delete"},
		{"backup"}, {"restore"},
	}
	for _, cmd := range commands {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			r := runCLI(t, nil, "", append(cmd, "--help")...)
			if r.code != 0 {
				t.Fatalf("--help: %s", r)
			}
			if !strings.HasPrefix(r.stdout, "Usage: wasmauth "+strings.Join(cmd, " ")) {
				t.Errorf("--help printed:\n%s", r.stdout)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"group without subcommand", []string{"tenant"}, "Usage: wasmauth tenant <subcommand>"},
		{"unknown subcommand", []string{"users", "frobnicate"}, `unknown subcommand "frobnicate"`},
		{"missing argument", []string{"tenant", "create"}, "missing argument"},
		{"extra argument", []string{"tenant", "get", "a", "b"}, `unexpected argument "b"`},
		{"missing --tenant", []string{"users", "list"}, "--tenant is required"},
		{"bad --op", []string{"script", "test", "--tenant", "acme", "--identifier", "x", "--op", "delete"}, "--op must be login or get_user"},
		{"bad --source", []string{"users", "list", "--tenant", "acme", "--source", "ldap"}, "--source must be legacy or local"},
		{"unknown flag", []string{"tenant", "list", "--frob"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, "", tt.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2: %s", r.code, r)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
		})
	}
}

func TestClientErrors(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		stderr string
	}{
		{"no token", map[string]string{"WASMAUTH_URL": ts.Base}, []string{"tenant", "list"}, "no token"},
		{"wrong token", map[string]string{"WASMAUTH_URL": ts.Base, "WASMAUTH_ADMIN_TOKEN": "nope"}, []string{"tenant", "list"}, "unauthorized:"},
		{"--token wins over the environment", ts.operatorEnv(), []string{"tenant", "list", "--token", "nope"}, "unauthorized:"},
		{"bad url", nil, []string{"tenant", "list", "--url", "ftp://x", "--token", "t"}, "not an http(s) URL"},
		{"unreachable server", nil, []string{"tenant", "list", "--url", "http://127.0.0.1:1", "--token", "t"}, "GET http://127.0.0.1:1/admin/v1/tenants"},
		{"problem code and detail", ts.operatorEnv(), []string{"tenant", "create", "Not_Valid"}, "invalid_tenant_id: "},
		{"unknown tenant", ts.operatorEnv(), []string{"users", "list", "--tenant", "nobody"}, "tenant_not_found: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, "", tt.args...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1: %s", r.code, r)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
		})
	}
}

func TestTenantCommands(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	env := ts.operatorEnv()

	r := mustRun(t, env, "", "tenant", "create", "acme", "--name", "Acme Inc")
	key := regexp.MustCompile(`(?m)^\s+(\S+)\s*$`).FindStringSubmatch(r.stdout)
	if !strings.Contains(r.stdout, "Created tenant acme (Acme Inc).") || key == nil {
		t.Fatalf("tenant create printed:\n%s", r.stdout)
	}
	oldKey := key[1]
	ts.createTenant(t, "globex")

	if r := runCLI(t, env, "", "tenant", "create", "acme"); r.code != 1 || !strings.Contains(r.stderr, "tenant_exists") {
		t.Errorf("second create: %s", r)
	}
	r = mustRun(t, env, "", "tenant", "list")
	if !regexp.MustCompile(`(?m)^ID\s+NAME\s+CREATED$`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^acme\s+Acme Inc\s+\d{4}-`).MatchString(r.stdout) ||
		!strings.Contains(r.stdout, "globex") {
		t.Errorf("tenant list printed:\n%s", r.stdout)
	}
	r = mustRun(t, env, "", "tenant", "list", "--json")
	var list struct {
		Tenants []struct{ ID string } `json:"tenants"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Tenants) != 2 {
		t.Errorf("tenant list --json printed %q (%v)", r.stdout, err)
	}
	r = mustRun(t, env, "", "tenant", "get", "acme")
	if !regexp.MustCompile(`(?m)^Name\s+Acme Inc$`).MatchString(r.stdout) {
		t.Errorf("tenant get printed:\n%s", r.stdout)
	}

	// The tenant key works on its own tenant only, and not on operator routes.
	mustRun(t, ts.tenantEnv(oldKey), "", "users", "list", "--tenant", "acme")
	if r := runCLI(t, ts.tenantEnv(oldKey), "", "users", "list", "--tenant", "globex"); r.code != 1 || !strings.Contains(r.stderr, "forbidden") {
		t.Errorf("acme's key on globex: %s", r)
	}
	if r := runCLI(t, ts.tenantEnv(oldKey), "", "tenant", "list"); r.code != 1 || !strings.Contains(r.stderr, "forbidden") {
		t.Errorf("tenant key on the operator API: %s", r)
	}

	r = mustRun(t, env, "", "tenant", "rotate-key", "acme", "--json")
	var rotated struct {
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rotated); err != nil || rotated.APIKey == "" || rotated.APIKey == oldKey {
		t.Fatalf("rotate-key printed %q", r.stdout)
	}
	if r := runCLI(t, ts.tenantEnv(oldKey), "", "users", "list", "--tenant", "acme"); r.code != 1 || !strings.Contains(r.stderr, "unauthorized") {
		t.Errorf("the old key after rotation: %s", r)
	}
	mustRun(t, ts.tenantEnv(rotated.APIKey), "", "users", "list", "--tenant", "acme")

	r = mustRun(t, env, "", "tenant", "delete", "acme")
	if !strings.Contains(r.stdout, "Deleted tenant acme.") {
		t.Errorf("tenant delete printed %q", r.stdout)
	}
	if r := runCLI(t, env, "", "tenant", "get", "acme"); r.code != 1 || !strings.Contains(r.stderr, "tenant_not_found") {
		t.Errorf("get after delete: %s", r)
	}
}

// legacyTenant creates a tenant whose legacy database is the examples'
// SQLite file and returns its API key.
func legacyTenant(t *testing.T, ts *testServer, id string) string {
	t.Helper()
	key := ts.createTenant(t, id)
	ts.With(t).CopyLegacySQLite(id)
	return key
}

func TestScriptConnectionMigrationUsers(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	key := legacyTenant(t, ts, "acme")
	env := ts.tenantEnv(key)
	env["WASMAUTH_TENANT"] = "acme"
	module := writeFile(t, "legacy.wasm", examples.WATLegacy)
	alice := examples.SeedUsers()[0]

	// Script: push, stage, list, activate, test.
	r := mustRun(t, env, "", "script", "push", module)
	if !strings.Contains(r.stdout, "Uploaded version 1 of acme") || !strings.Contains(r.stdout, "; active.") {
		t.Errorf("script push printed %q", r.stdout)
	}
	r = mustRun(t, env, "", "script", "push", module, "--activate=false", "--json")
	var staged struct {
		Version int  `json:"version"`
		Active  bool `json:"active"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &staged); err != nil || staged.Version != 2 || staged.Active {
		t.Errorf("staged push printed %q", r.stdout)
	}
	r = mustRun(t, env, "", "script", "list")
	if !regexp.MustCompile(`(?m)^1\s+\*\s+\d+\s+[0-9a-f]{64}\s+get_user,list_users,login,verify_hash`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^2\s+-\s+\d+`).MatchString(r.stdout) {
		t.Errorf("script list printed:\n%s", r.stdout)
	}
	mustRun(t, env, "", "script", "activate", "2")
	if r := mustRun(t, env, "", "script", "list", "--json"); !strings.Contains(r.stdout, `"active_version": 2`) {
		t.Errorf("after activate 2: %s", r.stdout)
	}
	if r := runCLI(t, env, "", "script", "activate", "9"); r.code != 1 || !strings.Contains(r.stderr, "not_found") {
		t.Errorf("activate 9: %s", r)
	}
	if r := runCLI(t, env, "", "script", "delete", "2"); r.code != 1 || !strings.Contains(r.stderr, "script_active") {
		t.Errorf("delete of the active version: %s", r)
	}
	if r := mustRun(t, env, "", "script", "delete", "1"); r.stdout != "Deleted version 1 of acme.\n" {
		t.Errorf("script delete printed %q", r.stdout)
	}
	r = mustRun(t, env, "", "script", "list", "--json")
	var listed struct {
		Versions []struct {
			Version int `json:"version"`
		} `json:"versions"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &listed); err != nil || len(listed.Versions) != 1 || listed.Versions[0].Version != 2 {
		t.Errorf("script list after deleting version 1: %s", r.stdout)
	}
	if r := runCLI(t, env, "", "script", "push", writeFile(t, "bad.wasm", []byte("not wasm"))); r.code != 1 || !strings.Contains(r.stderr, "invalid_module") {
		t.Errorf("push of a non-module: %s", r)
	}

	// Connection.
	mustRun(t, env, "", "connection", "set", "--driver", "sqlite", "--dsn", "legacy.db", "--config", "dialect=sqlite", "--config", "table=users", "--max-rows", "10", slowMachine)
	r = mustRun(t, env, "", "connection", "get")
	for _, want := range []string{"Driver", "sqlite", "DSN set", "true", `"table":"users"`, "max_rows=10"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("connection get lacks %q:\n%s", want, r.stdout)
		}
	}
	r = mustRun(t, env, alice.Password+"\n", "script", "test", "--op", "login", "--identifier", alice.Email, "--password-stdin")
	if !strings.HasPrefix(r.stdout, "ok: login") || !strings.Contains(r.stdout, "fuel:") {
		t.Errorf("script test printed:\n%s", r.stdout)
	}
	r = mustRun(t, env, "", "script", "test", "--op", "get_user", "--identifier", alice.Email, "--json")
	var tested struct {
		OK       bool  `json:"ok"`
		FuelUsed int64 `json:"fuel_used"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &tested); err != nil || !tested.OK || tested.FuelUsed <= 0 {
		t.Errorf("script test --json printed %q", r.stdout)
	}

	// Migration: nothing until a first login.
	r = mustRun(t, env, "", "migration", "enable")
	if !regexp.MustCompile(`(?m)^Migration\s+on$`).MatchString(r.stdout) {
		t.Errorf("migration enable printed:\n%s", r.stdout)
	}
	ts.login(t, "acme", alice.Email, alice.Password, 200)
	localID := ts.register(t, "acme", "zoe@example.com", "a-long-local-password")
	r = mustRun(t, env, "", "migration", "status")
	for _, re := range []string{`(?m)^Users\s+2$`, `(?m)^\s+migrated\s+1$`, `(?m)^\s+registered\s+1$`, `(?m)^Progress\s+\[#{15}-{15}\] 50\.0% of local users$`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("migration status does not match %s:\n%s", re, r.stdout)
		}
	}
	r = mustRun(t, env, "", "migration", "status", "--legacy-users", "8")
	if !regexp.MustCompile(`(?m)^Progress\s+\[#{3}-{27}\] 12\.5% of legacy users$`).MatchString(r.stdout) {
		t.Errorf("migration status --legacy-users 8:\n%s", r.stdout)
	}
	if !regexp.MustCompile(`(?m)^Conflicts\s+0$`).MatchString(r.stdout) {
		t.Errorf("migration status without conflicts:\n%s", r.stdout)
	}

	// Users.
	r = mustRun(t, env, "", "users", "list", "--source", "legacy")
	if !strings.Contains(r.stdout, alice.Email) || strings.Contains(r.stdout, "zoe@example.com") {
		t.Errorf("users list --source legacy printed:\n%s", r.stdout)
	}
	r = mustRun(t, env, "", "users", "list", "--limit", "1")
	if !strings.Contains(r.stdout, "More users: --cursor ") {
		t.Errorf("a first page of one lacks the cursor:\n%s", r.stdout)
	}
	r = mustRun(t, env, "", "users", "list", "--limit", "1", "--all", "--json")
	var all struct {
		Users []struct {
			ID     string `json:"id"`
			Source string `json:"source"`
		} `json:"users"`
		NextCursor *string `json:"next_cursor"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &all); err != nil || len(all.Users) != 2 || all.NextCursor != nil {
		t.Fatalf("users list --all --json printed %q (%v)", r.stdout, err)
	}
	r = mustRun(t, env, "", "users", "get", localID)
	if !regexp.MustCompile(`(?m)^Source\s+local$`).MatchString(r.stdout) || !strings.Contains(r.stdout, "zoe@example.com") {
		t.Errorf("users get printed:\n%s", r.stdout)
	}
	mustRun(t, env, "", "users", "delete", localID)
	if r := runCLI(t, env, "", "users", "get", localID); r.code != 1 || !strings.Contains(r.stderr, "not_found") {
		t.Errorf("get after delete: %s", r)
	}

	// Closing the connection switches migration off.
	mustRun(t, env, "", "connection", "delete")
	r = mustRun(t, env, "", "migration", "status", "--json")
	var st struct {
		Enabled       bool  `json:"enabled"`
		UsersMigrated int64 `json:"users_migrated"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Enabled || st.UsersMigrated != 1 {
		t.Errorf("status after connection delete: %q", r.stdout)
	}
	if r := runCLI(t, env, "", "migration", "enable"); r.code != 1 || !strings.Contains(r.stderr, "migration_not_ready") {
		t.Errorf("enable without a connection: %s", r)
	}
}

func TestScriptTestFailedCall(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	key := legacyTenant(t, ts, "acme")
	env := ts.tenantEnv(key)
	mustRun(t, env, "", "script", "push", writeFile(t, "legacy.wasm", examples.WATLegacy), "--tenant", "acme")
	// No connection: the module's database query fails.
	r := runCLI(t, env, "", "script", "test", "--tenant", "acme", "--op", "get_user", "--identifier", "alice@example.com")
	if r.code != 1 || !strings.HasPrefix(r.stdout, "failed: ") || !strings.Contains(r.stderr, "the call failed") {
		t.Errorf("a failing call: %s", r)
	}
}

func TestMigrationWatch(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	key := legacyTenant(t, ts, "acme")
	env := ts.tenantEnv(key)
	env["WASMAUTH_TENANT"] = "acme"
	mustRun(t, env, "", "script", "push", writeFile(t, "legacy.wasm", examples.WATLegacy))
	mustRun(t, env, "", "connection", "set", "--driver", "sqlite", "--dsn", "legacy.db", "--config", "dialect=sqlite", "--config", "table=users", slowMachine)
	mustRun(t, env, "", "migration", "enable")
	ts.register(t, "acme", "zoe@example.com", "a-long-local-password")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"migration", "status", "--watch", "--interval", "25ms"},
			func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	}()
	waitFor := func(what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), what) {
			if time.Now().After(deadline) {
				t.Fatalf("the watch never showed %q:\n%s\nstderr:\n%s", what, out.String(), errOut.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("[------------------------------]   0.0%  migrated 0 of 1 local users (registered 1)")
	alice := examples.SeedUsers()[0]
	ts.login(t, "acme", alice.Email, alice.Password, 200)
	waitFor("[###############---------------]  50.0%  migrated 1 of 2 local users (registered 1)  legacy: 1 ok")
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("watch exit %d: %s", code, errOut.String())
	}
	// Not a terminal: one line per change, no carriage returns.
	if strings.Contains(out.String(), "\r") {
		t.Errorf("the watch drew in place on a non-terminal:\n%q", out.String())
	}
	// One line per change: the two states, and at most one in between (the
	// user is counted before the legacy outcome is, and a poll can land
	// between the two); never the same line twice in a row.
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) < 2 || len(lines) > 3 {
		t.Errorf("the watch printed %d lines for two states:\n%s", len(lines), out.String())
	}
	for i := 1; i < len(lines); i++ {
		if lines[i] == lines[i-1] {
			t.Errorf("the watch printed an unchanged status again:\n%s", out.String())
		}
	}
}
