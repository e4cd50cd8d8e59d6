package cli_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// scratchPostgres returns the URL of a new, empty PostgreSQL database.
func scratchPostgres(t *testing.T) string {
	t.Helper()
	return testserver.ScratchPostgres(t, "wasmauth_cli")
}

// TestBackupRestorePostgres backs up a server on PostgreSQL with "wasmauth
// backup" and restores the file with "wasmauth restore --store" into
// another PostgreSQL database and into a Badger data folder: the users log
// in on both restored servers, and the session's refresh token works.
func TestBackupRestorePostgres(t *testing.T) {
	sameURL := func(c *server.Config) { c.BaseURL = "https://auth.example.test" }
	onStore := func(store string) func(*server.Config) { return func(c *server.Config) { c.Store = store } }
	src := scratchPostgres(t)
	a := startServer(t, "", nil, nil, sameURL, onStore(src))
	a.createTenant(t, "acme")
	a.register(t, "acme", "ann@example.com", "ann-password-1")
	tokens := a.login(t, "acme", "ann@example.com", "ann-password-1", 200)
	refresh, _ := tokens["refresh_token"].(string)
	file := filepath.Join(t.TempDir(), "acme.backup")
	mustRun(t, a.operatorEnv(), "", "backup", file)
	a.Stop()

	if r := runCLI(t, nil, "", "restore", file, "--store", src); r.code != 1 || !strings.Contains(r.stderr, "empty store") {
		t.Errorf("restore into a database with data: %s", r)
	}
	// A backup cut short is refused and leaves the database empty: a
	// whole restore into it afterwards succeeds.
	dst := scratchPostgres(t)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	whole := string(b)
	cut := writeFile(t, "cut.backup", []byte(whole[:strings.LastIndex(strings.TrimSuffix(whole, "\n"), "\n")+1]))
	if r := runCLI(t, nil, "", "restore", cut, "--store", dst); r.code != 1 || !strings.Contains(r.stderr, "cut short") {
		t.Errorf("restore of a cut-short backup: %s", r)
	}
	r := mustRun(t, map[string]string{"WASMAUTH_STORE": dst}, "", "restore", file, "--data", t.TempDir())
	if !strings.Contains(r.stdout, "Restored 1 tenants into the PostgreSQL database") {
		t.Errorf("restore printed %q", r.stdout)
	}
	badgerDir := filepath.Join(t.TempDir(), "data")
	mustRun(t, nil, "", "restore", file, "--data", badgerDir)

	for name, cfg := range map[string][]func(*server.Config){
		"PostgreSQL": {sameURL, onStore(dst)},
		"Badger":     {sameURL, onStore(server.StoreBadger)},
	} {
		dir := ""
		if name == "Badger" {
			dir = badgerDir
		}
		b := startServer(t, dir, nil, nil, cfg...)
		b.login(t, "acme", "ann@example.com", "ann-password-1", 200)
		b.login(t, "acme", "ann@example.com", "not-her-password", 401)
		if status, body := b.postForm(t, "/t/acme/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}); status != 200 {
			t.Errorf("refresh on the server restored into %s: %d %v", name, status, body)
		}
		b.Stop()
	}
}
