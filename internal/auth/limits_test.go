package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/auth/mock"
	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/ratelimit"
	"github.com/wasmauth/wasmauth/internal/store/badgerstore"
)

// The limits of these tests: the server's rules with LoginFailures 10, and
// three registrations per address.
const failures = 10

func newLimiter() *ratelimit.Limiter {
	return ratelimit.New(auth.LimitRules(auth.LimitBudgets{
		LoginFailures:      failures,
		LoginWindow:        15 * time.Minute,
		Registrations:      3,
		RegistrationWindow: time.Hour,
	}), 10_000)
}

var cheapHash = password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// env is a Service on an in-memory store with tenant "acme", whose module
// (when scripts is set) is active with migration on.
type env struct {
	svc   *auth.Service
	store auth.Store
}

func newEnv(t *testing.T, scripts auth.Scripts) *env {
	t.Helper()
	st, err := badgerstore.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{store: st}
	e.svc = e.start(t, scripts)
	ctx := t.Context()
	if _, _, err := e.svc.CreateTenant(ctx, "acme", "Acme", auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	if scripts != nil {
		if _, err := e.svc.UploadScript(ctx, "acme", []byte("\x00asm"), true, auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.SetConnection(ctx, "acme", &auth.Connection{Driver: "sqlite", DSN: "legacy.db"}, auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetMigration(ctx, "acme", true, auth.Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// start returns a new Service on e's store with a new limiter: a restart.
func (e *env) start(t *testing.T, scripts auth.Scripts) *auth.Service {
	t.Helper()
	svc := auth.NewService(auth.Config{BaseURL: "http://auth.test"}, auth.Deps{
		Store:   e.store,
		Hasher:  password.NewHasher(password.Config{Params: cheapHash}),
		Limiter: newLimiter(),
		Scripts: scripts,
		// Rejections of a migrating tenant are padded to this before its
		// module has verified a password: short, to keep the tests fast.
		LegacyCeiling: func() time.Duration { return time.Millisecond },
	})
	t.Cleanup(func() { svc.Close() })
	return svc
}

func (e *env) login(t *testing.T, ip, identifier, pw string) auth.Code {
	t.Helper()
	_, err := e.svc.Login(t.Context(), "acme", identifier, pw, auth.Meta{IP: ip})
	return auth.ErrorCode(err)
}

func (e *env) register(t *testing.T, ip string, in auth.RegisterInput) (*auth.User, error) {
	t.Helper()
	return e.svc.Register(t.Context(), "acme", in, auth.Meta{IP: ip})
}

const (
	attacker = "192.0.2.66"
	realUser = "198.51.100.7"
	alicePW  = "alices-real-passphrase-3"
)

// fold compares like MariaDB's utf8mb4_general_ci: case and accents aside.
func fold(s string) string {
	out, _, _ := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), s)
	return strings.ToLower(out)
}

// legacyAlice is a module over a legacy table with one user, alice (legacy
// id "1"), matched the way a utf8mb4_general_ci collation matches. When
// namesAccount is set its rejections carry the account's id (ABI v1.1).
func legacyAlice(namesAccount bool) *mock.Scripts {
	return &mock.Scripts{CallFn: func(_ context.Context, c auth.ScriptCall) (*auth.ScriptResult, error) {
		if fold(c.Identifier) != "alice@example.com" && fold(c.Identifier) != "alice" {
			return &auth.ScriptResult{Reason: "not_found"}, nil
		}
		if c.Op == auth.OpLogin && c.Password != alicePW {
			res := &auth.ScriptResult{Reason: "wrong_password"}
			if namesAccount {
				res.ID = "1"
			}
			return res, nil
		}
		return &auth.ScriptResult{User: &auth.LegacyUser{ID: "1", Email: "alice@example.com", Username: "alice"}}, nil
	}}
}

// variants returns n spellings of alice@example.com that a general_ci
// collation takes for it, and Go's case folding does not.
func variants(n int) []string {
	var out []string
	for _, a := range []string{"á", "à", "â", "ä", "ã", "a"} {
		for _, i := range []string{"í", "ì", "î", "ï", "i"} {
			for _, e := range []string{"é", "è", "ê", "ë", "e"} {
				if v := a + "l" + i + "c" + e + "@example.com"; v != "alice@example.com" && len(out) < n {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// TestSpellingVariantsShareTheAccountBudget is issue 12's finding: 45 wrong
// passwords spread over spellings that the legacy database's collation
// takes for alice, then the right one. With the module naming the account
// in its rejections, failures count per account: 429 after the budget, and
// the right password does not migrate alice.
func TestSpellingVariantsShareTheAccountBudget(t *testing.T) {
	tests := []struct {
		name         string
		namesAccount bool
		want401      int
		wantLast     auth.Code
	}{
		{"module names the account", true, failures, auth.CodeRateLimited},
		// A v1 module gives no account: variants count per identifier only
		// (each variant stays within its budget).
		{"module does not name the account", false, 45, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, legacyAlice(tt.namesAccount))
			got := map[auth.Code]int{}
			for i, v := range variants(45) {
				code := e.login(t, attacker, v, "guess-number-"+string(rune('a'+i%26)))
				got[code]++
				if i < failures && code != auth.CodeInvalidCredentials {
					t.Fatalf("guess %d: %s, want invalid_credentials", i+1, code)
				}
			}
			if got[auth.CodeInvalidCredentials] != tt.want401 || got[auth.CodeRateLimited] != 45-tt.want401 {
				t.Fatalf("45 guesses over variants: %v, want %d invalid_credentials and the rest rate_limited", got, tt.want401)
			}
			if code := e.login(t, attacker, variants(46)[45], alicePW); code != tt.wantLast {
				t.Fatalf("the right password after the guesses: %q, want %q", code, tt.wantLast)
			}
			if tt.wantLast == auth.CodeRateLimited {
				if _, err := e.store.FindUserByLegacyID(t.Context(), "acme", "1"); !errors.Is(err, auth.ErrNotFound) {
					t.Fatalf("alice was migrated through a spent budget: %v", err)
				}
				// The real user, from another address, is not locked out.
				if code := e.login(t, realUser, "alice@example.com", alicePW); code != "" {
					t.Fatalf("the real user from another address: %s", code)
				}
			}
		})
	}
}

// TestLocalAccountBudget: a local user's email and username share one
// budget, and a migrated user's budget is its legacy account's, so that
// guesses before its migration count after it.
func TestLocalAccountBudget(t *testing.T) {
	t.Run("email and username", func(t *testing.T) {
		e := newEnv(t, nil)
		if _, err := e.register(t, realUser, auth.RegisterInput{Email: "bob@example.com", Username: "bob", Password: "bobs-own-passphrase-1"}); err != nil {
			t.Fatal(err)
		}
		for i := range failures {
			id := "bob@example.com"
			if i%2 == 1 {
				id = "BOB"
			}
			if code := e.login(t, attacker, id, "wrong-guess-1"); code != auth.CodeInvalidCredentials {
				t.Fatalf("guess %d: %s", i+1, code)
			}
		}
		// Each identifier saw only half the budget; the account saw all.
		if code := e.login(t, attacker, "bob@example.com", "bobs-own-passphrase-1"); code != auth.CodeRateLimited {
			t.Fatalf("the right password after the account's budget: %q, want rate_limited", code)
		}
		if code := e.login(t, realUser, "bob", "bobs-own-passphrase-1"); code != "" {
			t.Fatalf("the real user from another address: %s", code)
		}
	})
	t.Run("before and after migration", func(t *testing.T) {
		e := newEnv(t, legacyAlice(true))
		vs := variants(6)
		for i, v := range vs {
			if code := e.login(t, attacker, v, "wrong-guess-2"); code != auth.CodeInvalidCredentials {
				t.Fatalf("guess %d: %s", i+1, code)
			}
		}
		// The real user migrates, from elsewhere.
		if code := e.login(t, realUser, "alice@example.com", alicePW); code != "" {
			t.Fatalf("migration: %s", code)
		}
		for i := len(vs); i < failures; i++ {
			if code := e.login(t, attacker, "alice", "wrong-guess-3"); code != auth.CodeInvalidCredentials {
				t.Fatalf("guess %d, local: %s", i+1, code)
			}
		}
		if code := e.login(t, attacker, "alice@example.com", alicePW); code != auth.CodeRateLimited {
			t.Fatalf("after %d guesses, some before the migration: %q, want rate_limited", failures, code)
		}
	})
}

// TestChangePasswordCountsAsLogin is issue 12's /password finding: wrong
// current passwords count against the account like wrong logins, so the
// right one after the budget is 429, and so is a login from that address.
func TestChangePasswordCountsAsLogin(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	const pw = "carols-own-passphrase-1"
	if _, err := e.register(t, realUser, auth.RegisterInput{Email: "carol@example.com", Password: pw}); err != nil {
		t.Fatal(err)
	}
	ts, err := e.svc.Login(ctx, "acme", "carol@example.com", pw, auth.Meta{IP: attacker})
	if err != nil {
		t.Fatal(err)
	}
	change := func(current string) auth.Code {
		return auth.ErrorCode(e.svc.ChangePassword(ctx, "acme", ts.AccessToken, current, "a-brand-new-passphrase-9", auth.Meta{IP: attacker}))
	}
	for i := range failures {
		if code := change("wrong-current-1"); code != auth.CodeInvalidCredentials {
			t.Fatalf("wrong current password %d: %s", i+1, code)
		}
	}
	if code := change(pw); code != auth.CodeRateLimited {
		t.Fatalf("the right current password after %d wrong ones: %q, want rate_limited", failures, code)
	}
	if code := e.login(t, attacker, "carol@example.com", pw); code != auth.CodeRateLimited {
		t.Fatalf("a login from the same address: %q, want rate_limited", code)
	}
	if code := e.login(t, realUser, "carol@example.com", pw); code != "" {
		t.Fatalf("a login from another address: %s", code)
	}
}

// TestRegisterRateLimit: well-formed registrations count per address,
// refused ones (409) included; malformed ones do not.
func TestRegisterRateLimit(t *testing.T) {
	e := newEnv(t, nil)
	for range 5 {
		if _, err := e.register(t, attacker, auth.RegisterInput{Email: "not-an-email", Password: "a-long-passphrase-1"}); auth.ErrorCode(err) != auth.CodeInvalidRequest {
			t.Fatalf("malformed registration: %v", err)
		}
	}
	for i, email := range []string{"u1@example.com", "u2@example.com", "U1@example.com"} {
		_, err := e.register(t, attacker, auth.RegisterInput{Email: email, Password: "a-long-passphrase-1"})
		if want := map[bool]auth.Code{false: "", true: auth.CodeUserExists}[i == 2]; auth.ErrorCode(err) != want {
			t.Fatalf("registration %d: %v, want %q", i+1, err, want)
		}
	}
	_, err := e.register(t, attacker, auth.RegisterInput{Email: "u4@example.com", Password: "a-long-passphrase-1"})
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Code != auth.CodeRateLimited || ae.RetryAfter <= 0 {
		t.Fatalf("fourth registration: %v, want rate_limited with a retry time", err)
	}
	if _, err := e.register(t, realUser, auth.RegisterInput{Email: "u4@example.com", Password: "a-long-passphrase-1"}); err != nil {
		t.Fatalf("a registration from another address: %v", err)
	}
}

// TestRegisterProfileLimit: a profile is at most 16 KiB of JSON.
func TestRegisterProfileLimit(t *testing.T) {
	e := newEnv(t, nil)
	profile := func(n int) map[string]any { return map[string]any{"k": strings.Repeat("p", n-len(`{"k":""}`))} }
	if _, err := e.register(t, "192.0.2.1", auth.RegisterInput{Email: "fits@example.com", Password: "a-long-passphrase-1", Profile: profile(16 << 10)}); err != nil {
		t.Fatalf("a 16 KiB profile: %v", err)
	}
	_, err := e.register(t, "192.0.2.2", auth.RegisterInput{Email: "fat@example.com", Password: "a-long-passphrase-1", Profile: profile(16<<10 + 1)})
	if auth.ErrorCode(err) != auth.CodeInvalidRequest {
		t.Fatalf("a profile of 16 KiB + 1: %v, want invalid_request", err)
	}
}

// TestAuditCutsIdentifiers: a login with a huge identifier stores at most
// 256 characters of it, cut on a character boundary.
func TestAuditCutsIdentifiers(t *testing.T) {
	e := newEnv(t, nil)
	for _, id := range []string{strings.Repeat("x", 1_000_000), strings.Repeat("é", 200_000), strings.Repeat("y", 300) + "@example.com"} {
		if code := e.login(t, attacker, id, "whatever-1"); code != auth.CodeInvalidCredentials {
			t.Fatalf("login: %s", code)
		}
	}
	e.svc.Close() // flushes the audit events
	events, _, err := e.store.ListAudit(t.Context(), "acme", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range events {
		if ev.Type != auth.EventLoginFailed {
			continue
		}
		n++
		if c := utf8.RuneCountInString(ev.Subject); c != 256 || !utf8.ValidString(ev.Subject) {
			t.Fatalf("stored subject of %d characters (%d bytes), want 256", c, len(ev.Subject))
		}
	}
	if n != 3 {
		t.Fatalf("%d login_failed events, want 3", n)
	}
}

// TestLimitsSurviveRestart: a new Service on the same store (a restart)
// still blocks what the old one blocked.
func TestLimitsSurviveRestart(t *testing.T) {
	e := newEnv(t, nil)
	if _, err := e.register(t, realUser, auth.RegisterInput{Email: "dave@example.com", Password: "daves-own-passphrase-1"}); err != nil {
		t.Fatal(err)
	}
	for range failures {
		e.login(t, attacker, "dave@example.com", "wrong-guess-4")
	}
	if code := e.login(t, attacker, "dave@example.com", "wrong-guess-4"); code != auth.CodeRateLimited {
		t.Fatalf("before the restart: %s", code)
	}
	e.svc.Close()
	e.svc = e.start(t, nil)
	if err := e.svc.RestoreLimits(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := e.login(t, attacker, "dave@example.com", "daves-own-passphrase-1"); code != auth.CodeRateLimited {
		t.Fatalf("after the restart: %q, want rate_limited", code)
	}
}

// TestLimitsReachTheStore: the changes of many concurrent failures all reach
// the store by the time the Service is closed.
func TestLimitsReachTheStore(t *testing.T) {
	e := newEnv(t, nil)
	var wg sync.WaitGroup
	for i := range 60 { // within the address's budget of 100
		wg.Go(func() {
			e.login(t, attacker, "nobody"+string(rune('a'+i%26))+string(rune('0'+i/26))+"@example.com", "wrong-guess-5")
		})
	}
	wg.Wait()
	e.svc.Close()
	states, err := e.store.LoadRateLimits(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// 60 identifiers × (identifier, identifier+address) + the address.
	if len(states) != 121 {
		t.Fatalf("%d states stored, want 121", len(states))
	}
}
