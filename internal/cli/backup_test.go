package cli_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/internal/server"
)

func TestBackupRestore(t *testing.T) {
	// Both servers answer at one public URL, as a restored server would.
	sameURL := func(c *server.Config) { c.BaseURL = "https://auth.example.test" }
	a := startServer(t, "", nil, nil, sameURL)
	key := a.createTenant(t, "acme")
	users := map[string]string{"ann@example.com": "ann-password-1", "ben@example.com": "ben-password-2"}
	for email, pw := range users {
		a.register(t, "acme", email, pw)
	}
	tokens := a.login(t, "acme", "ann@example.com", users["ann@example.com"], 200)
	refresh, _ := tokens["refresh_token"].(string)
	if refresh == "" {
		t.Fatalf("login answered %v", tokens)
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "acme.backup")
	if r := runCLI(t, a.tenantEnv(key), "", "backup", file); r.code != 1 || !strings.Contains(r.stderr, "forbidden") {
		t.Errorf("backup with a tenant key: %s", r)
	}
	r := mustRun(t, a.operatorEnv(), "", "backup", file)
	if !strings.Contains(r.stdout, "Wrote a backup of ") {
		t.Errorf("backup printed %q", r.stdout)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %d bytes, mode %v", fi.Size(), fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the backup left files behind: %v", entries)
	}

	// Restore is offline: the running server's folder is locked.
	if r := runCLI(t, nil, "", "restore", file, "--data", a.Config.DataDir); r.code != 1 || !strings.Contains(r.stderr, "is the server stopped?") {
		t.Errorf("restore into a running server's folder: %s", r)
	}
	a.Stop()
	// A store with data is refused, even when stopped.
	if r := runCLI(t, nil, "", "restore", file, "--data", a.Config.DataDir); r.code != 1 || !strings.Contains(r.stderr, "empty store") {
		t.Errorf("restore into a store with data: %s", r)
	}
	// A broken or cut-short backup is refused, naming the line, and leaves
	// no store behind.
	whole, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(whole), "\n")
	for _, bad := range []struct{ name, content, want string }{
		{"broken", "this is not a backup at all, not even close", "line 1: not a wasmauth backup"},
		{"cut short", strings.Join(lines[:len(lines)-2], ""), "without its end line: it is cut short"},
	} {
		failed := filepath.Join(t.TempDir(), "data")
		if r := runCLI(t, nil, "", "restore", writeFile(t, "bad.backup", []byte(bad.content)), "--data", failed); r.code != 1 || !strings.Contains(r.stderr, bad.want) {
			t.Errorf("restore of a %s backup: %s", bad.name, r)
		}
		if _, err := os.Stat(filepath.Join(failed, "badger")); !os.IsNotExist(err) {
			t.Errorf("a failed restore of a %s backup left its store: %v", bad.name, err)
		}
	}

	fresh := filepath.Join(t.TempDir(), "data")
	r = mustRun(t, map[string]string{"WASMAUTH_DATA_DIR": fresh}, "", "restore", file)
	if !strings.Contains(r.stdout, "Restored 1 tenants into "+fresh) || !strings.Contains(r.stdout, "WASMAUTH_ADMIN_TOKEN") {
		t.Errorf("restore printed %q", r.stdout)
	}

	b := startServer(t, fresh, nil, nil, sameURL)
	for email, pw := range users {
		b.login(t, "acme", email, pw, 200)
	}
	b.login(t, "acme", "ann@example.com", "not-her-password", 401)
	if r := mustRun(t, b.tenantEnv(key), "", "users", "list", "--tenant", "acme"); !strings.Contains(r.stdout, "ben@example.com") {
		t.Errorf("the restored tenant key lists:\n%s", r.stdout)
	}
	// The session survived: its refresh token still works, once.
	status, body := b.postForm(t, "/t/acme/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	if status != 200 {
		t.Fatalf("refresh on the restored server: %d %v", status, body)
	}
	// Access tokens signed by A verify on B: the signing keys came along.
	access, _ := tokens["access_token"].(string)
	if status, body := b.get(t, "/t/acme/userinfo", access); status != 200 || body["email"] != "ann@example.com" {
		t.Errorf("userinfo with A's access token on B: %d %v", status, body)
	}
}

func TestBackupToStdout(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	ts.createTenant(t, "acme")
	r := mustRun(t, ts.operatorEnv(), "", "backup", "-")
	if len(r.stdout) == 0 {
		t.Fatal("backup - wrote nothing")
	}
	ts.Stop()
	data := filepath.Join(t.TempDir(), "data")
	if r := runCLI(t, nil, r.stdout, "restore", "-", "--data", data); r.code != 0 || !strings.Contains(r.stdout, "Restored 1 tenants") {
		t.Errorf("restore - : %s", r)
	}
}
