package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// trapModule exports memory, login and get_user; both functions execute unreachable.
var trapModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type 0: () -> i32
	0x03, 0x03, 0x02, 0x00, 0x00, // two functions of type 0
	0x05, 0x03, 0x01, 0x00, 0x01, // one memory, one page
	0x07, 0x1d, 0x03, // three exports
	0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
	0x05, 'l', 'o', 'g', 'i', 'n', 0x00, 0x00,
	0x08, 'g', 'e', 't', '_', 'u', 's', 'e', 'r', 0x00, 0x01,
	0x0a, 0x09, 0x02, 0x03, 0x00, 0x00, 0x0b, 0x03, 0x00, 0x00, 0x0b, // bodies: unreachable
}

func TestScriptRunGoExampleOnSQLite(t *testing.T) {
	module := writeFile(t, "legacy.wasm", examples.GoLegacy)
	db := writeFile(t, "legacy.db", examples.LegacyDB)
	run := func(stdin string, args ...string) result {
		return runCLI(t, nil, stdin, append([]string{"script", "run", module, "--sqlite", db}, args...)...)
	}

	t.Run("login", func(t *testing.T) {
		r := run("", "--op", "login", "--identifier", "alice", "--password", testserver.SeedPassword("alice"))
		if r.code != 0 || !strings.Contains(r.stdout, "ok: login") || !strings.Contains(r.stdout, `"username": "alice"`) ||
			!strings.Contains(r.stdout, "duration: ") || !strings.Contains(r.stdout, "fuel: ") {
			t.Fatalf("alice's login: %s", r)
		}
	})
	t.Run("password on stdin, by email, as JSON", func(t *testing.T) {
		r := run(testserver.SeedPassword("bob")+"\n", "--identifier", "Bob@Example.com", "--password-stdin", "--json", "--config", "table=users")
		var out struct {
			OK     bool `json:"ok"`
			Result struct {
				User struct{ ID, Username string }
			} `json:"result"`
			FuelUsed int64 `json:"fuel_used"`
		}
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || !out.OK || out.Result.User.Username != "bob" || out.FuelUsed <= 0 {
			t.Fatalf("bob's login: %s", r)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		r := run("", "--identifier", "alice", "--password", "not-"+testserver.SeedPassword("alice"))
		if r.code != 0 || !strings.Contains(r.stdout, `"reason": "wrong_password"`) || strings.Contains(r.stdout, `"username"`) {
			t.Fatalf("a wrong password: %s", r)
		}
	})
	t.Run("get_user", func(t *testing.T) {
		r := run("", "--op", "get_user", "--identifier", "carol")
		if r.code != 0 || !strings.Contains(r.stdout, `"email": "carol@example.com"`) {
			t.Fatalf("get_user carol: %s", r)
		}
	})
	t.Run("failed call prints its log", func(t *testing.T) {
		// mallory's hash has a format verify_password does not know: the module fails.
		r := run("", "--identifier", "mallory", "--password", testserver.SeedPassword("mallory"))
		if r.code != 1 || !strings.Contains(r.stdout, "failed: ") || !strings.Contains(r.stdout, "logs:\n  [error] ") ||
			!strings.Contains(r.stderr, "the call failed") {
			t.Fatalf("mallory's login: %s", r)
		}
	})
	t.Run("limits apply", func(t *testing.T) {
		r := run("", "--identifier", "alice", "--password", testserver.SeedPassword("alice"), "--limits", `{"fuel": 1000}`)
		if r.code != 1 || !strings.Contains(r.stdout, "failed: out_of_fuel") {
			t.Fatalf("a login with 1000 fuel: %s", r)
		}
		r = run("", "--identifier", "alice", "--limits", `{"fuel": -1}`)
		if r.code != 1 || !strings.Contains(r.stderr, "fuel must not be negative") {
			t.Fatalf("negative fuel: %s", r)
		}
		r = run("", "--identifier", "alice", "--limits", `{"fuels": 1}`)
		if r.code != 1 || !strings.Contains(r.stderr, "--limits: ") {
			t.Fatalf("an unknown limit: %s", r)
		}
	})
	t.Run("table from config", func(t *testing.T) {
		r := run("", "--op", "get_user", "--identifier", "alice", "--config", "table=no_such_table")
		if r.code != 1 || !strings.Contains(r.stdout, "no_such_table") {
			t.Fatalf("a missing table: %s", r)
		}
	})
}

// TestScriptRunNewerOps: the ops of ABI v1.1 run through script run too: a
// preset lists the users a page at a time, counts them and verifies a hash.
func TestScriptRunNewerOps(t *testing.T) {
	preset, _ := examples.Preset("table")
	module := writeFile(t, "table.wasm", preset)
	db := writeFile(t, "legacy.db", examples.LegacyDB)
	run := func(stdin string, args ...string) result {
		return runCLI(t, nil, stdin, append([]string{"script", "run", module, "--sqlite", db, "--json"}, args...)...)
	}
	var page struct {
		Result struct {
			Users []struct {
				ID           string `json:"id"`
				PasswordHash string `json:"password_hash"`
			} `json:"users"`
			NextCursor *string `json:"next_cursor"`
			Count      int     `json:"count"`
			OK         bool    `json:"ok"`
		} `json:"result"`
	}
	decode := func(r result) {
		t.Helper()
		page.Result.Users, page.Result.NextCursor = nil, nil
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &page) != nil {
			t.Fatalf("script run: %s", r)
		}
	}
	decode(run("", "--op", "list_users", "--limit", "3"))
	if len(page.Result.Users) != 3 || page.Result.Users[0].ID != "1" || page.Result.NextCursor == nil {
		t.Fatalf("first page: %+v", page.Result)
	}
	alice := page.Result.Users[0].PasswordHash
	decode(run("", "--op", "list_users", "--limit", "3", "--cursor", *page.Result.NextCursor))
	if len(page.Result.Users) != 3 || page.Result.Users[0].ID != "4" {
		t.Fatalf("second page: %+v", page.Result)
	}
	decode(run("", "--op", "count_users"))
	if page.Result.Count != 8 {
		t.Fatalf("count_users: %+v", page.Result)
	}
	for _, c := range []struct {
		pw string
		ok bool
	}{{testserver.SeedPassword("alice"), true}, {"not-" + testserver.SeedPassword("alice"), false}} {
		decode(run(c.pw+"\n", "--op", "verify_hash", "--password-hash", alice, "--password-stdin"))
		if page.Result.OK != c.ok {
			t.Fatalf("verify_hash of alice's hash with %q: %v, want %v", c.pw, page.Result.OK, c.ok)
		}
	}
}

func TestScriptRunTrap(t *testing.T) {
	module := writeFile(t, "trap.wasm", trapModule)
	db := writeFile(t, "legacy.db", examples.LegacyDB)
	r := runCLI(t, nil, "", "script", "run", module, "--sqlite", db, "--identifier", "alice", "--password", "x")
	if r.code != 1 || !strings.Contains(r.stdout, "failed: trap: ") || !strings.Contains(r.stdout, "fuel: ") {
		t.Fatalf("a trapping module: %s", r)
	}
}

func TestScriptRunRefusesBadInput(t *testing.T) {
	module := writeFile(t, "legacy.wasm", examples.WATLegacy)
	db := writeFile(t, "legacy.db", examples.LegacyDB)
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no database", []string{module, "--identifier", "a"}, 2, "give the legacy database"},
		{"two databases", []string{module, "--sqlite", db, "--driver", "mysql", "--identifier", "a"}, 2, "--sqlite excludes"},
		{"no identifier", []string{module, "--sqlite", db}, 2, "--identifier is required"},
		{"bad op", []string{module, "--sqlite", db, "--identifier", "a", "--op", "list"}, 2, "--op must be"},
		{"no hash", []string{module, "--sqlite", db, "--op", "verify_hash", "--password", "x"}, 2, "--password-hash is required"},
		{"page too large", []string{module, "--sqlite", db, "--op", "list_users", "--limit", "1001"}, 2, "--limit must be 1..1000"},
		{"op not exported", []string{writeFile(t, "trap.wasm", trapModule), "--sqlite", db, "--op", "count_users"}, 1, "does not export count_users (it exports get_user, login)"},
		{"no file", []string{"--sqlite", db, "--identifier", "a"}, 2, "missing argument"},
		{"missing SQLite file", []string{module, "--sqlite", db + ".missing", "--identifier", "a"}, 1, "no such file"},
		{"not a module", []string{db, "--sqlite", db, "--identifier", "a"}, 1, "invalid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, "", append([]string{"script", "run"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("want exit %d and %q: %s", tt.code, tt.want, r)
			}
		})
	}
}

func TestScriptRunHelp(t *testing.T) {
	r := runCLI(t, nil, "", "script", "run", "--help")
	for _, want := range []string{"Usage: wasmauth script run FILE", "-sqlite", "-dsn", "-config", "-limits", "-legacy-networks"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Fatalf("help lacks %q: %s", want, r)
		}
	}
	r = runCLI(t, nil, "", "script", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "  run ") || !strings.Contains(r.stdout, "  init ") {
		t.Fatalf("script --help lacks run and init: %s", r)
	}
}

// TestScriptRunPostgres runs the Go example against PostgreSQL on loopback, which
// script run allows by default and --legacy-networks can forbid.
func TestScriptRunPostgres(t *testing.T) {
	// LegacyDB uses its server only for SQLite.
	l := new(testserver.Server).LegacyDB(t, "postgres", "local")
	module := writeFile(t, "legacy.wasm", examples.GoLegacy)
	args := []string{"script", "run", module, "--driver", "postgres", "--dsn", l.DSN,
		"--config", "table=" + l.Table, "--config", "dialect=postgres",
		"--identifier", "alice@example.com", "--password", testserver.SeedPassword("alice")}
	if r := runCLI(t, nil, "", args...); r.code != 0 || !strings.Contains(r.stdout, `"username": "alice"`) {
		t.Fatalf("alice's login on PostgreSQL: %s", r)
	}
	r := runCLI(t, nil, "", append(args, "--legacy-networks", "10.0.0.0/8")...)
	if r.code != 1 || !strings.Contains(r.stderr, "connection failed") {
		t.Fatalf("PostgreSQL outside --legacy-networks: %s", r)
	}
}
