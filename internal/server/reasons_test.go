package server_test

import (
	_ "embed"
	"testing"

	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// reasonsModule rejects every login with the reason its identifier names.
//
// Build (from internal/server/testdata): wat2wasm reasons.wat -o reasons.wasm
//
//go:embed testdata/reasons.wasm
var reasonsModule []byte

// TestRejectionReasons: a module may reject a login as not_found,
// wrong_password, inactive or locked; each is 401 invalid_credentials, and
// GET /migration counts inactive and locked apart, within logins_rejected.
func TestRejectionReasons(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	const tenant = "reasons"
	ts.CreateTenant(tenant)
	setUpMigrationWith(t, ts, tenant, ts.LegacyDB(t, "sqlite", tenant), reasonsModule)

	logins := map[string]int{
		"inactive@example.com": 3,
		"locked@example.com":   2,
		"wrongpw@example.com":  1,
		"nobody@example.com":   1,
	}
	for identifier, n := range logins {
		for range n {
			r := ts.Must(ts.Login(tenant, identifier, "pw-0123456789"), 401, "login of "+identifier)
			if r.ProblemCode() != "invalid_credentials" {
				t.Fatalf("login of %s: %v, want invalid_credentials", identifier, r)
			}
		}
	}
	st := migration(ts, tenant)
	for path, want := range map[string]int{
		"legacy.logins_rejected": 7,
		"legacy.logins_inactive": 3,
		"legacy.logins_locked":   2,
		"legacy.logins_ok":       0,
		"legacy.errors":          0,
	} {
		if got := num(st, path); got != want {
			t.Errorf("%s = %d, want %d (status %v)", path, got, want, st)
		}
	}

	// The counts survive a restart: they are the store's.
	ts = ts.Restart()
	if st := migration(ts, tenant); num(st, "legacy.logins_inactive") != 3 || num(st, "legacy.logins_locked") != 2 {
		t.Fatalf("after a restart: %v", st)
	}
}
