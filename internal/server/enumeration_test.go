package server_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// enumerationBound is how far apart the fastest unknown-user and the fastest
// wrong-password login may be. The contract's target is 10 ms (make bench
// measures it); the bound is generous for a busy two-core machine, and still
// far below what a leak shows (a bcrypt verification is 60 ms, the legacy
// ceiling several times that).
const enumerationBound = 25 * time.Millisecond

// enumerationTries is how many logins of each kind one measurement makes.
const enumerationTries = 6

// TestEnumerationFromFirstRequest times unknown users against wrong
// passwords, with the real argon2id parameters, the Go example module and
// the examples' SQLite legacy database (alice's hash is bcrypt, dave's a
// cheap salted SHA-256): on a fresh server, first request included; right
// after a restart, first request included; and after the cheap-hash users
// have been guessed at many times.
func TestEnumerationFromFirstRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("timed logins with the real argon2id parameters; skipped in -short mode")
	}
	ts := testserver.Start(t, server.Config{Hash: password.DefaultParams, LoginFailures: 1_000_000})
	ts.CreateTenant("local")
	ts.Must(ts.Register("local", "known@example.com", "known-user-password-5"), 201, "register")
	ts.CreateTenant("legacy")
	setUpMigrationWith(t, ts, "legacy", ts.LegacyDB(t, "sqlite", "legacy"), examples.GoLegacy)

	tenants := []struct{ tenant, known string }{
		{"local", "known@example.com"},
		{"legacy", "alice@example.com"}, // bcrypt; a wrong password never migrates her
	}
	checkAll := func(ts *testserver.Server, when string) {
		for _, c := range tenants {
			t.Run(when+"/"+c.tenant, func(t *testing.T) {
				checkEnumeration(t, ts.With(t), c.tenant, c.known)
			})
		}
	}
	checkAll(ts, "fresh")

	ts = ts.Restart()
	checkAll(ts, "restarted")

	for i := range 40 {
		for _, u := range []string{"dave", "carol"} {
			ts.Must(ts.Login("legacy", u, fmt.Sprintf("wrong-guess-%d", i)), 401, "guess at "+u)
		}
	}
	t.Run("after cheap guesses/legacy", func(t *testing.T) {
		checkEnumeration(t, ts.With(t), "legacy", tenants[1].known)
	})
}

// checkEnumeration makes the tenant's next login an unknown user's, then
// alternates unknown users and wrong passwords of known. The first login
// must not be faster than a wrong password, and the fastest of each kind
// must be within enumerationBound; a miss of the latter is measured once
// more, since a busy machine's noise seldom strikes twice.
func checkEnumeration(t *testing.T, ts *testserver.Server, tenant, known string) {
	first, unknown, wrong := measureEnumeration(t, ts, tenant, known, true)
	minU, minW := fastest(unknown), fastest(wrong)
	t.Logf("first login (unknown user) %v; fastest unknown %v, wrong password %v", first.Round(100*time.Microsecond), minU.Round(100*time.Microsecond), minW.Round(100*time.Microsecond))
	if first < minW-enumerationBound {
		t.Fatalf("the first login, an unknown user, took %v; a wrong password %v: users can be enumerated", first, minW)
	}
	if (minU - minW).Abs() < enumerationBound {
		return
	}
	_, unknown, wrong = measureEnumeration(t, ts, tenant, known, false)
	minU, minW = fastest(unknown), fastest(wrong)
	t.Logf("again: fastest unknown %v, wrong password %v", minU.Round(100*time.Microsecond), minW.Round(100*time.Microsecond))
	if (minU - minW).Abs() >= enumerationBound {
		t.Fatalf("fastest unknown user %v, fastest wrong password %v: users can be enumerated", minU, minW)
	}
}

// measureEnumeration times enumerationTries logins of unknown users and as
// many wrong passwords of known, alternating, unknown first, and checks that
// all answer the same 401. With withFirst, the first unknown login is also
// returned apart.
func measureEnumeration(t *testing.T, ts *testserver.Server, tenant, known string, withFirst bool) (first time.Duration, unknown, wrong []time.Duration) {
	t.Helper()
	var body []byte
	timed := func(identifier, pw string) time.Duration {
		t0 := time.Now()
		r := ts.Login(tenant, identifier, pw)
		d := time.Since(t0)
		if r.Status != 401 || (body != nil && !bytes.Equal(r.Body, body)) {
			t.Fatalf("login of %s: %d %s, want the one 401 %s", identifier, r.Status, r.Body, body)
		}
		body = r.Body
		return d
	}
	for i := range enumerationTries {
		n := time.Now().UnixNano()
		u := timed(fmt.Sprintf("nobody-%d@example.com", n), "some-password-1")
		if i == 0 && withFirst {
			first = u
		}
		unknown = append(unknown, u)
		wrong = append(wrong, timed(known, fmt.Sprintf("wrong-password-%d", n)))
	}
	return first, unknown, wrong
}

func fastest(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = min(m, d)
	}
	return m
}
