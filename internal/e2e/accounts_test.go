package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/testserver"
)

func TestRegisterUserObject(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")

	before := time.Now().Add(-time.Minute)
	r := e.Do(http.MethodPost, "/t/acme/register", "", map[string]any{
		"email": "  Alice@Example.COM ", "username": " Alice_W ", "password": "correct horse",
		"profile": map[string]any{"plan": "pro", "seats": 3},
	})
	wantStatus(t, r, http.StatusCreated)

	// Every field of the contract's user object is present, with the right
	// JSON type, and nothing secret is.
	var raw struct {
		User map[string]any `json:"user"`
	}
	r.Decode(t, &raw)
	for _, f := range []string{"id", "email", "username", "email_verified", "name", "profile", "created_at", "source", "legacy_id", "migrated_at"} {
		if _, ok := raw.User[f]; !ok {
			t.Errorf("user object has no %q: %s", f, r.Body)
		}
	}
	for f := range raw.User {
		if f == "password_change_required" { // a flag (weak_legacy_passwords), not a secret
			continue
		}
		if strings.Contains(strings.ToLower(f), "password") || strings.Contains(strings.ToLower(f), "hash") {
			t.Errorf("user object shows %q: %s", f, r.Body)
		}
	}
	var out struct {
		User userJSON `json:"user"`
	}
	r.Decode(t, &out)
	u := out.User
	switch {
	case u.ID == "":
		t.Errorf("empty id")
	case u.Email == nil || *u.Email != "alice@example.com":
		t.Errorf("email %v, want alice@example.com", u.Email)
	case u.Username == nil || *u.Username != "alice_w":
		t.Errorf("username %v, want alice_w", u.Username)
	case u.EmailVerified:
		t.Errorf("a self-registered email is verified")
	case u.Source != "local":
		t.Errorf("source %q, want local", u.Source)
	case u.LegacyID != nil || u.MigratedAt != nil:
		t.Errorf("a local user has legacy_id %v, migrated_at %v", u.LegacyID, u.MigratedAt)
	case u.CreatedAt.Before(before) || u.CreatedAt.After(time.Now().Add(time.Minute)):
		t.Errorf("created_at %v", u.CreatedAt)
	case u.Profile["plan"] != "pro" || u.Profile["seats"] != float64(3):
		t.Errorf("profile %v", u.Profile)
	}

	// A user registered with a username only has a null email, and an
	// empty profile object.
	u2 := e.register("acme", map[string]any{"username": "bob", "password": "correct horse"})
	if u2.Email != nil || u2.Username == nil || *u2.Username != "bob" || u2.Profile == nil {
		t.Errorf("username-only user %+v", u2)
	}
	if u2.ID == u.ID {
		t.Errorf("two users share id %s", u.ID)
	}
}

func TestRegisterNormalisation(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")

	// "é" precomposed (NFC) and decomposed (NFD) are one identifier.
	nfc, nfd := "jos\u00e9@example.com", "JOSE\u0301@EXAMPLE.COM"
	tests := []struct {
		name       string
		register   map[string]any
		identifier []string
		stored     string
	}{
		{"email case and spaces", map[string]any{"email": " Alice@Example.COM\t"}, []string{"alice@example.com", "ALICE@EXAMPLE.COM", "  alice@example.com  "}, "alice@example.com"},
		{"email NFC", map[string]any{"email": nfd}, []string{nfc, nfd, strings.ToUpper(nfc)}, nfc},
		{"username case", map[string]any{"username": "  MixedCase "}, []string{"mixedcase", "MIXEDCASE"}, "mixedcase"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.register["password"] = "correct horse"
			u := e.register("acme", tc.register)
			got := u.Email
			if _, ok := tc.register["username"]; ok {
				got = u.Username
			}
			if got == nil || *got != tc.stored {
				t.Errorf("stored %v, want %q", got, tc.stored)
			}
			for _, id := range tc.identifier {
				tok := e.login("acme", id, "correct horse")
				if tok.User == nil || tok.User.ID != u.ID {
					t.Errorf("login as %q gave user %+v, want %s", id, tok.User, u.ID)
				}
			}
		})
	}
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")
	e.register("acme", map[string]any{"email": "taken@example.com", "username": "taken", "password": "correct horse"})

	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"no email or username", map[string]any{"password": "correct horse"}, 400, "invalid_request"},
		{"blank email and username", map[string]any{"email": "  ", "username": "", "password": "correct horse"}, 400, "invalid_request"},
		{"no password", map[string]any{"email": "nopw@example.com"}, 400, "invalid_request"},
		{"7 characters", map[string]any{"email": "a@example.com", "password": "abcdefg"}, 422, "weak_password"},
		{"257 characters", map[string]any{"email": "a@example.com", "password": strings.Repeat("x", 257)}, 422, "weak_password"},
		{"common password", map[string]any{"email": "a@example.com", "password": "12345678"}, 422, "weak_password"},
		{"common password, other case", map[string]any{"email": "a@example.com", "password": "QwertyUiop"}, 422, "weak_password"},
		{"password123 (issue 12: it passed the 10,000-entry list)", map[string]any{"email": "a@example.com", "password": "password123"}, 422, "weak_password"},
		{"password123, other case", map[string]any{"email": "a@example.com", "password": "Password123"}, 422, "weak_password"},
		{"taken email", map[string]any{"email": "taken@example.com", "password": "correct horse"}, 409, "user_exists"},
		{"taken email, other case", map[string]any{"email": "TAKEN@Example.com", "password": "correct horse"}, 409, "user_exists"},
		{"taken username", map[string]any{"username": "taken", "password": "correct horse"}, 409, "user_exists"},
		{"taken username, other case", map[string]any{"username": "TaKeN", "password": "correct horse"}, 409, "user_exists"},
		{"free email, taken username", map[string]any{"email": "new@example.com", "username": "Taken", "password": "correct horse"}, 409, "user_exists"},
		{"unknown tenant", map[string]any{"email": "a@example.com", "password": "correct horse"}, 404, "tenant_not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tenant := "acme"
			if tc.code == "tenant_not_found" {
				tenant = "nope"
			}
			r := e.Do(http.MethodPost, "/t/"+tenant+"/register", "", tc.body)
			wantProblem(t, r, tc.status, tc.code)
		})
	}

	// The boundaries are allowed: 8 and 256 characters (256 multi-byte
	// characters count as 256).
	for i, pw := range []string{"zq8mw2kx", strings.Repeat("x", 256), strings.Repeat("é", 256)} {
		e.register("acme", map[string]any{"email": fmt.Sprintf("edge%d@example.com", i), "password": pw})
		e.login("acme", fmt.Sprintf("edge%d@example.com", i), pw)
	}
	// None of the refused registrations created a user.
	wantProblem(t, e.Login("acme", "new@example.com", "correct horse"), 401, "invalid_credentials")
	wantProblem(t, e.Login("acme", "a@example.com", "correct horse"), 401, "invalid_credentials")
}

func TestRegisterConcurrentSameEmail(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")

	const n = 20
	statuses := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			// Each registration spells the email differently.
			email := "Race@Example.com"
			if i%2 == 1 {
				email = "race@EXAMPLE.COM"
			}
			body := mustJSON(t, map[string]any{"email": email, "password": fmt.Sprintf("password-%02d!", i)})
			r, err := e.Try(http.MethodPost, "/t/acme/register", "", testserver.Raw{ContentType: "application/json", Body: body})
			if err != nil {
				errs[i] = err
				return
			}
			statuses[i] = r.Status
			if r.Status != http.StatusCreated && !bytes.Contains(r.Body, []byte(`"user_exists"`)) {
				errs[i] = fmt.Errorf("status %d without user_exists: %s", r.Status, r.Body)
			}
		}()
	}
	close(gate)
	wg.Wait()
	created, conflicts := 0, 0
	winner := -1
	for i, s := range statuses {
		if errs[i] != nil {
			t.Errorf("registration %d: %v", i, errs[i])
		}
		switch s {
		case http.StatusCreated:
			created++
			winner = i
		case http.StatusConflict:
			conflicts++
		}
	}
	if created != 1 || conflicts != n-1 {
		t.Fatalf("%d created and %d conflicts, want 1 and %d (statuses %v)", created, conflicts, n-1, statuses)
	}
	// The one stored user has the winner's password.
	e.login("acme", "race@example.com", fmt.Sprintf("password-%02d!", winner))
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")
	u := e.register("acme", map[string]any{"email": "alice@example.com", "username": "alice", "password": "correct horse"})

	for _, id := range []string{"alice@example.com", "alice", "ALICE"} {
		t.Run("by "+id, func(t *testing.T) {
			r := e.Login("acme", id, "correct horse")
			wantStatus(t, r, http.StatusOK)
			if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			var tok tokenJSON
			r.Decode(t, &tok)
			switch {
			case tok.AccessToken == "":
				t.Errorf("no access_token: %s", r.Body)
			case tok.TokenType != "Bearer":
				t.Errorf("token_type %q", tok.TokenType)
			case tok.ExpiresIn != 900:
				t.Errorf("expires_in %d, want 900", tok.ExpiresIn)
			case len(tok.RefreshToken) < 43:
				t.Errorf("refresh_token %q is shorter than 256 bits in base64", tok.RefreshToken)
			case tok.User == nil || tok.User.ID != u.ID || tok.User.Email == nil || *tok.User.Email != "alice@example.com":
				t.Errorf("user %+v, want %s", tok.User, u.ID)
			}
		})
	}

	// Two logins give two different sessions.
	a, b := e.login("acme", "alice", "correct horse"), e.login("acme", "alice", "correct horse")
	if a.RefreshToken == b.RefreshToken || a.AccessToken == b.AccessToken {
		t.Errorf("two logins share tokens")
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")
	e.register("acme", map[string]any{"email": "alice@example.com", "username": "alice", "password": "correct horse"})

	wrong := e.Login("acme", "alice@example.com", "wrong horse")
	unknown := e.Login("acme", "nobody@example.com", "wrong horse")
	unknownName := e.Login("acme", "nobody", "correct horse")
	wantProblem(t, wrong, http.StatusUnauthorized, "invalid_credentials")
	for _, r := range []*testserver.Response{unknown, unknownName} {
		if r.Status != wrong.Status || !bytes.Equal(r.Body, wrong.Body) {
			t.Errorf("unknown user answered %s, wrong password %s", r, wrong)
		}
		if r.Header.Get("Content-Type") != wrong.Header.Get("Content-Type") {
			t.Errorf("content types differ: %q and %q", r.Header.Get("Content-Type"), wrong.Header.Get("Content-Type"))
		}
	}
}

func TestLoginBadRequests(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")

	huge := []byte(`{"identifier":"` + strings.Repeat("a", 1<<20) + `","password":"x"}`)
	tests := []struct {
		name        string
		contentType string
		body        []byte
		status      int
		code        string
	}{
		{"malformed JSON", "application/json", []byte(`{"identifier": "alice", `), 400, "invalid_request"},
		{"not an object", "application/json", []byte(`["alice", "pw"]`), 400, "invalid_request"},
		{"wrong field type", "application/json", []byte(`{"identifier": 42, "password": "x"}`), 400, "invalid_request"},
		{"trailing data", "application/json", []byte(`{"identifier": "a", "password": "b"} {}`), 400, "invalid_request"},
		{"empty body", "application/json", nil, 400, "invalid_request"},
		{"empty body without content type", "", nil, 415, "unsupported_media_type"},
		{"JSON as text/plain", "text/plain", []byte(`{"identifier": "alice", "password": "x"}`), 415, "unsupported_media_type"},
		{"missing password", "application/json", []byte(`{"identifier": "alice"}`), 400, "invalid_request"},
		{"missing identifier", "application/json", []byte(`{"password": "correct horse"}`), 400, "invalid_request"},
		{"over 1 MiB", "application/json", huge, 413, "body_too_large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Send(http.MethodPost, "/t/acme/login", "", tc.contentType, tc.body)
			wantProblem(t, r, tc.status, tc.code)
		})
	}
	t.Run("register over 1 MiB", func(t *testing.T) {
		body := []byte(`{"email":"a@example.com","password":"correct horse","profile":{"x":"` + strings.Repeat("a", 1<<20) + `"}}`)
		wantProblem(t, e.Send(http.MethodPost, "/t/acme/register", "", "application/json", body), 413, "body_too_large")
	})
	t.Run("unknown tenant", func(t *testing.T) {
		wantProblem(t, e.Login("nope", "alice", "correct horse"), 404, "tenant_not_found")
	})
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	const limit = 3
	e := start(t, withLoginFailures(limit))
	e.CreateTenant("acme")
	e.CreateTenant("other")
	e.register("acme", map[string]any{"email": "alice@example.com", "username": "alice", "password": "correct horse"})
	e.register("acme", map[string]any{"email": "bob@example.com", "password": "correct horse"})
	e.register("other", map[string]any{"email": "alice@example.com", "password": "correct horse"})

	for i := range limit {
		wantProblem(t, e.Login("acme", "alice@example.com", fmt.Sprintf("wrong %d", i)), 401, "invalid_credentials")
	}
	r := e.Login("acme", "alice@example.com", "wrong again")
	wantProblem(t, r, http.StatusTooManyRequests, "rate_limited")
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Fatalf("Retry-After %q, want a positive number of seconds", r.Header.Get("Retry-After"))
	}

	// The right password does not get through the block either, however the
	// identifier is spelled.
	wantProblem(t, e.Login("acme", "alice@example.com", "correct horse"), 429, "rate_limited")
	wantProblem(t, e.Login("acme", " ALICE@example.com ", "correct horse"), 429, "rate_limited")

	// The account's other identifiers share its budget (v2: failures count
	// per account too), so its username is blocked as well. Others are
	// not: another user, the same email in another tenant.
	wantProblem(t, e.Login("acme", "alice", "correct horse"), 429, "rate_limited")
	e.login("acme", "bob@example.com", "correct horse")
	e.login("other", "alice@example.com", "correct horse")

	// Unknown users are limited the same way.
	for range limit {
		wantProblem(t, e.Login("acme", "ghost@example.com", "wrong"), 401, "invalid_credentials")
	}
	wantProblem(t, e.Login("acme", "ghost@example.com", "wrong"), 429, "rate_limited")
}

// TestLoginRateLimitPerAddress checks the per-address limit: ten times the
// per-identifier limit of failures from one address, spread over many
// identifiers, block every identifier from that address.
func TestLoginRateLimitPerAddress(t *testing.T) {
	t.Parallel()
	const limit = 1
	e := start(t, withLoginFailures(limit))
	e.CreateTenant("acme")
	e.CreateTenant("other")
	e.register("acme", map[string]any{"email": "alice@example.com", "password": "correct horse"})
	e.register("other", map[string]any{"email": "alice@example.com", "password": "correct horse"})

	for i := range 10 * limit {
		wantProblem(t, e.Login("acme", fmt.Sprintf("guess%d@example.com", i), "wrong"), 401, "invalid_credentials")
	}
	r := e.Login("acme", "alice@example.com", "correct horse")
	wantProblem(t, r, http.StatusTooManyRequests, "rate_limited")
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
	// The address is limited per tenant.
	e.login("other", "alice@example.com", "correct horse")
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")
	e.register("acme", map[string]any{"email": "alice@example.com", "password": "old password"})
	e.register("acme", map[string]any{"email": "bob@example.com", "password": "bobs password"})
	current := e.login("acme", "alice@example.com", "old password")
	other := e.login("acme", "alice@example.com", "old password")
	bob := e.login("acme", "bob@example.com", "bobs password")

	change := func(access string, body map[string]any) *testserver.Response {
		return e.Do(http.MethodPost, "/t/acme/password", access, body)
	}

	t.Run("refused", func(t *testing.T) {
		tests := []struct {
			name   string
			token  string
			body   map[string]any
			status int
			code   string
		}{
			{"no token", "", map[string]any{"current_password": "old password", "new_password": "new password"}, 401, "unauthorized"},
			{"bad token", "not-a-jwt", map[string]any{"current_password": "old password", "new_password": "new password"}, 401, "unauthorized"},
			{"refresh token as bearer", current.RefreshToken, map[string]any{"current_password": "old password", "new_password": "new password"}, 401, "unauthorized"},
			{"wrong current password", current.AccessToken, map[string]any{"current_password": "wrong password", "new_password": "new password"}, 401, "invalid_credentials"},
			{"weak new password", current.AccessToken, map[string]any{"current_password": "old password", "new_password": "short"}, 422, "weak_password"},
			{"common new password", current.AccessToken, map[string]any{"current_password": "old password", "new_password": "12345678"}, 422, "weak_password"},
			{"missing fields", current.AccessToken, map[string]any{}, 400, "invalid_request"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				wantProblem(t, change(tc.token, tc.body), tc.status, tc.code)
			})
		}
		// Nothing changed: the old password works, the sessions live.
		e.login("acme", "alice@example.com", "old password")
		wantStatus(t, e.userinfo("acme", other.AccessToken), http.StatusOK)
	})

	wantStatus(t, change(current.AccessToken, map[string]any{"current_password": "old password", "new_password": "new password"}), http.StatusNoContent)

	wantProblem(t, e.Login("acme", "alice@example.com", "old password"), 401, "invalid_credentials")
	e.login("acme", "alice@example.com", "new password")

	// The user's other session is revoked: its refresh token and its access
	// token fail.
	wantOAuthError(t, e.refresh("acme", other.RefreshToken), 400, "invalid_grant")
	wantProblem(t, e.userinfo("acme", other.AccessToken), 401, "unauthorized")

	// The session that changed the password keeps working.
	wantStatus(t, e.userinfo("acme", current.AccessToken), http.StatusOK)
	r := e.refresh("acme", current.RefreshToken)
	wantStatus(t, r, http.StatusOK)
	var next tokenJSON
	r.Decode(t, &next)
	wantStatus(t, e.userinfo("acme", next.AccessToken), http.StatusOK)

	// Another user's session is untouched.
	wantStatus(t, e.userinfo("acme", bob.AccessToken), http.StatusOK)
	wantStatus(t, e.refresh("acme", bob.RefreshToken), http.StatusOK)
}
