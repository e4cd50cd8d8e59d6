package server_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// enumerationBound is how far apart the fastest unknown-user login and the
// fastest wrong password (wrong) may be. The contract's target is 10 ms
// (make bench measures it); the bound is generous for a busy two-core
// machine, where a hash's cost drifts by a tenth between two measurements,
// and still far below what a leak shows (a local argon2id verification is
// about 40 ms, zed's bcrypt six times that).
func enumerationBound(wrong time.Duration) time.Duration {
	return 25*time.Millisecond + wrong/8
}

// enumerationTries is how many logins of each kind one measurement makes.
const enumerationTries = 6

// TestEnumerationFromFirstRequest times unknown users against wrong
// passwords, with the real argon2id parameters, the Go example module and
// the examples' SQLite legacy database (dave's hash is a cheap salted
// SHA-256, carol's phpass) with one more user, zed, whose hash is bcrypt of
// cost 12, costlier than a local argon2id verification: on a fresh server,
// first request included; right after a restart, first request included;
// and after the cheap-hash users have been guessed at many times.
func TestEnumerationFromFirstRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("timed logins with the real argon2id parameters; skipped in -short mode")
	}
	ts := testserver.Start(t, server.Config{Hash: password.DefaultParams, LoginFailures: 1_000_000})
	ts.CreateTenant("local")
	ts.Must(ts.Register("local", "known@example.com", "known-user-password-5"), 201, "register")
	ts.CreateTenant("legacy")
	l := ts.LegacyDB(t, "sqlite", "legacy")
	zed, err := bcrypt.GenerateFromPassword([]byte("zed-password-1"), 12)
	if err != nil {
		t.Fatal(err)
	}
	l.Exec(t, "INSERT INTO {table} (id, email, username, password_hash, email_verified, name) VALUES (9, 'zed@example.com', 'zed', "+l.Placeholder(1)+", TRUE, 'Zed')", string(zed))
	setUpMigrationWith(t, ts, "legacy", l, examples.GoLegacy)

	tenants := []struct{ tenant, known string }{
		{"local", "known@example.com"},
		{"legacy", "zed@example.com"}, // a wrong password never migrates him
	}
	checkAll := func(ts *testserver.Server, when string) {
		for _, c := range tenants {
			t.Run(when+"/"+c.tenant, func(t *testing.T) {
				checkEnumeration(t, ts.With(t), c.tenant, c.known, true)
			})
		}
	}
	checkAll(ts, "fresh")

	ts = ts.Restart()
	// The calibration was written at shutdown: the alternating tries
	// above, enumerationTries wrong passwords or more each.
	lt, err := ts.Srv.Store().GetLoginTiming(t.Context(), "legacy")
	if err != nil || hits(lt.Legacy) < enumerationTries || hits(lt.Local) != 0 {
		t.Fatalf("stored login timing of the legacy tenant after a restart: %+v, %v", lt, err)
	}
	checkAll(ts, "restarted")

	// 30 wrong passwords of cheap-hash users: more than the 28,
	// enough to make the cheap cost the 90th percentile of a window of 32.
	for i := range 15 {
		for _, u := range []string{"dave", "carol"} {
			ts.Must(ts.Login("legacy", u, fmt.Sprintf("wrong-guess-%d", i)), 401, "guess at "+u)
		}
	}
	t.Run("after cheap guesses/legacy", func(t *testing.T) {
		checkEnumeration(t, ts.With(t), "legacy", tenants[1].known, false)
	})
}

// checkEnumeration alternates unknown users and wrong passwords of known,
// unknown first. The fastest of each kind must be within enumerationBound;
// a miss is measured again, at most three times in all, since a leak shows
// in every round and a busy machine's noise seldom in three. With
// firstLogin (the tenant's first login since the start), that first login
// must not take less than half a wrong password either: it is the one an
// equalizer without a calibration gets wrong, by far (a dummy argon2id
// verification instead of zed's bcrypt); the coarse bound leaves room for
// the load to drift between the calibration and the measurement.
func checkEnumeration(t *testing.T, ts *testserver.Server, tenant, known string, firstLogin bool) {
	first, unknown, wrong := measureEnumeration(t, ts, tenant, known, true)
	minU, minW := fastest(unknown), fastest(wrong)
	t.Logf("first login (unknown user) %v; fastest unknown %v, wrong password %v", first.Round(100*time.Microsecond), minU.Round(100*time.Microsecond), minW.Round(100*time.Microsecond))
	if firstLogin && first < minW/2 {
		t.Fatalf("the first login, an unknown user, took %v; a wrong password %v: users can be enumerated", first, minW)
	}
	for round := 2; (minU - minW).Abs() >= enumerationBound(minW); round++ {
		if round > 3 {
			t.Fatalf("fastest unknown user %v, fastest wrong password %v in three rounds: users can be enumerated", minU, minW)
		}
		_, unknown, wrong = measureEnumeration(t, ts, tenant, known, false)
		minU, minW = fastest(unknown), fastest(wrong)
		t.Logf("round %d: fastest unknown %v, wrong password %v", round, minU.Round(100*time.Microsecond), minW.Round(100*time.Microsecond))
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

func hits(bins []auth.TimingBin) int {
	n := 0
	for _, b := range bins {
		n += b.Hits
	}
	return n
}

func fastest(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = min(m, d)
	}
	return m
}
