package bench

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/wasmauth/wasmauth/internal/password"
)

// enumerationTries is how many logins of each kind the enumeration row
// makes per tenant.
const enumerationTries = 15

// The known users of the enumeration row: a local user, and alice, whose
// legacy hash is bcrypt (cost 10), the costliest of the examples' seed users.
const enumerationLegacyUser = "alice@example.com"

// measureEnumerationGap starts a fresh server of its own on dataDir, with a
// local tenant and a migrating one (the legacy module on the examples'
// SQLite database), and from the first login on alternates unknown users
// and wrong passwords of a known user, unknown first: enumerationTries of
// each per tenant. The gap is the difference of the fastest of each kind.
func measureEnumerationGap(ctx context.Context, dataDir string, hash password.Params, slots int, legacyModule []byte, label string) (Row, error) {
	row := Row{
		Name: "enumeration gap",
		Measures: fmt.Sprintf("unknown user vs wrong password, fastest of %d tries each, alternating, on a fresh server from its first login: a local tenant, and a migrating one (%s, SQLite; the known user's hash is bcrypt)",
			enumerationTries, label),
		Target: "< 10 ms",
		Bound: "Rejections are padded to the cost of the costliest verification the tenant has shown (before any legacy verification: a ceiling, the costliest legacy verifier at common defaults; a costlier legacy verification seen within the hour but not yet three times counts at once, up to that ceiling), with dummy argon2id work up to the cost seen three times and sleep beyond; what is left is the difference between that padding and the known user's fastest verification, " +
			"one histogram bin (5 %) at most, plus the scheduling noise of a sleep.",
	}
	s, err := startServer(ctx, dataDir, hash, slots)
	if err != nil {
		return row, err
	}
	defer s.stop()
	for _, t := range []string{quietTenant, legacyTenant} {
		if err := s.createTenant(ctx, t); err != nil {
			return row, err
		}
	}
	if err := s.register(ctx, quietTenant, localEmail, localPassword); err != nil {
		return row, err
	}
	if err := s.setUpLegacy(ctx, legacyTenant, legacyModule, 0); err != nil {
		return row, err
	}
	var parts []string
	ok := true
	for _, c := range []struct{ name, tenant, known string }{
		{"local", quietTenant, localEmail},
		{"legacy", legacyTenant, enumerationLegacyUser},
	} {
		first, unknown, wrong, err := enumerationTimes(ctx, s, c.tenant, c.known)
		if err != nil {
			return row, err
		}
		minU, minW := slices.Min(unknown), slices.Min(wrong)
		gap := (minU - minW).Abs()
		// The first login must not be faster either: an uncalibrated
		// equalizer answers it quickly.
		ok = ok && gap < 10*time.Millisecond && first >= minW-10*time.Millisecond
		parts = append(parts, fmt.Sprintf("%s: unknown %s, wrong password %s, gap **%s** (first login %s)",
			c.name, fmtDur(minU), fmtDur(minW), fmtGap(gap), fmtDur(first)))
	}
	row.Result = parts[0] + "; " + parts[1]
	row.Verdict = verdict(ok)
	return row, s.stop()
}

// enumerationTimes times the logins of one tenant: the first login (an
// unknown user's) and the unknown-user and wrong-password logins, checking
// that they all get the same 401.
func enumerationTimes(ctx context.Context, s *benchServer, tenant, known string) (first time.Duration, unknown, wrong []time.Duration, err error) {
	var body []byte
	timed := func(identifier, pw string) (time.Duration, error) {
		t0 := time.Now()
		a, err := login(ctx, s.client, tenant, identifier, pw)
		d := time.Since(t0)
		if err != nil {
			return 0, err
		}
		if err := a.Expect(401, "login of "+identifier+" at "+tenant); err != nil {
			return 0, err
		}
		if body != nil && !bytes.Equal(a.Body, body) {
			return 0, fmt.Errorf("rejections at %s differ: %s and %s", tenant, body, a.Body)
		}
		body = a.Body
		return d, nil
	}
	for i := range enumerationTries {
		u, err := timed(fmt.Sprintf("nobody-%d@example.com", i), "some-password-1")
		if err != nil {
			return 0, nil, nil, err
		}
		w, err := timed(known, fmt.Sprintf("wrong-password-%d", i))
		if err != nil {
			return 0, nil, nil, err
		}
		if i == 0 {
			first = u
		}
		unknown, wrong = append(unknown, u), append(wrong, w)
	}
	return first, unknown, wrong, nil
}

// fmtGap formats a gap, which may be zero.
func fmtGap(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return fmtDur(d)
}
