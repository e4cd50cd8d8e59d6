package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/cli"
	"github.com/wasmauth/wasmauth/internal/testserver/modules"
)

// TestDrainAndImport drains the examples' SQLite database through the CLI,
// watching it, and imports an NDJSON file.
func TestDrainAndImport(t *testing.T) {
	ts := startServer(t, "", nil, nil)
	key := legacyTenant(t, ts, "acme")
	env := ts.tenantEnv(key)
	env["WASMAUTH_TENANT"] = "acme"

	// Import first: alice, twice, and a malformed line.
	alice := examples.SeedUsers()[0]
	file := writeFile(t, "users.ndjson", []byte(`{"id": "1", "email": "alice@example.com", "username": "alice", "password_hash": "$2a$10$buMM6L/J/0tkVGpVO9/Dsug6dqJBdjBIvc57z.t1nTiewHsoFMxSy"}
{"id": "1", "email": "alice@example.com"}
{oops
`))
	r := mustRun(t, env, "", "users", "import", file)
	for _, want := range []string{"Imported", "Already local", "line 3: invalid_json"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("users import printed no %q:\n%s", want, r)
		}
	}

	// The drain: refused without list_users, then run to its end.
	mustRun(t, env, "", "script", "push", writeFile(t, "trivial.wasm", examples.WATTrivial))
	if r := runCLI(t, env, "", "migration", "drain", "start"); r.code == 0 || !strings.Contains(r.stderr, "drain_unsupported") {
		t.Fatalf("a drain without list_users: %s", r)
	}
	mustRun(t, env, "", "script", "push", writeFile(t, "drain.wasm", modules.Drain))
	mustRun(t, env, "", "connection", "set", "--driver", "sqlite", "--dsn", "legacy.db", "--config", "dialect=sqlite", "--config", "table=users", slowMachine)
	r = mustRun(t, env, "", "migration", "drain", "start", "--page-size", "3", "--rate", "0")
	if !strings.Contains(r.stdout, "running") {
		t.Fatalf("drain start: %s", r)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		r = mustRun(t, env, "", "migration", "drain", "status", "--legacy-users", "8")
		if strings.Contains(r.stdout, "done") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the drain did not finish: %s", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Eight legacy users: alice already local, seven imported, ghost
	// without a password, mallory's hash unknown.
	for _, want := range []string{"[##############################] 100.0%", "Imported", "7", "Already local"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("drain status printed no %q:\n%s", want, r)
		}
	}
	// The live bar.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"migration", "drain", "status", "--watch", "--interval", "25ms", "--legacy-users", "16"},
			func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	}()
	for !strings.Contains(out.String(), "[###############---------------]  50.0%  done: 7 imported (1 without password, 1 unsupported hash), 1 already local") {
		if time.Now().After(deadline) {
			t.Fatalf("the watch never showed the drain:\n%s\nstderr:\n%s", out.String(), errOut.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("watch exit %d: %s", code, errOut.String())
	}
	mustRun(t, env, "", "migration", "drain", "stop")
	ts.login(t, "acme", alice.Email, alice.Password, 200)
}
