package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wasmauth/wasmauth/internal/testserver"
)

// jwk is the part of a JSON Web Key the tests read.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	X   string `json:"x"`
	Y   string `json:"y"`
	D   string `json:"d"`
}

// publicKey turns a JWK into a Go public key, independently of the
// server's own token package.
func (k jwk) publicKey() (crypto.PublicKey, error) {
	x, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil {
		return nil, fmt.Errorf("x: %w", err)
	}
	switch {
	case k.Kty == "EC" && k.Crv == "P-256":
		y, err := base64.RawURLEncoding.DecodeString(k.Y)
		if err != nil {
			return nil, fmt.Errorf("y: %w", err)
		}
		if len(x) != 32 || len(y) != 32 {
			return nil, fmt.Errorf("P-256 coordinates of %d and %d bytes", len(x), len(y))
		}
		return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	case k.Kty == "OKP" && k.Crv == "Ed25519":
		if len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("Ed25519 key of %d bytes", len(x))
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, fmt.Errorf("unsupported key type %s/%s", k.Kty, k.Crv)
}

// fetchJWKS reads a tenant's key set.
func (e *env) fetchJWKS(tenant string) []jwk {
	e.T.Helper()
	r := e.Do(http.MethodGet, "/t/"+tenant+"/.well-known/jwks.json", "", nil)
	wantStatus(e.T, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/jwk-set+json") {
		e.T.Errorf("JWKS Content-Type %q", ct)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	r.Decode(e.T, &set)
	if len(set.Keys) == 0 {
		e.T.Fatalf("empty JWKS: %s", r.Body)
	}
	return set.Keys
}

// verifyAccess verifies an access token with golang-jwt against a key set
// and returns its claims.
func verifyAccess(keys []jwk, raw, issuer, audience string) (*jwt.Token, jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		for _, k := range keys {
			if k.Kid == kid {
				return k.publicKey()
			}
		}
		return nil, fmt.Errorf("no key %q in the JWKS", kid)
	},
		jwt.WithValidMethods([]string{"ES256"}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithStrictDecoding(),
	)
	return tok, claims, err
}

func TestAccessTokenVerifiesWithJWKS(t *testing.T) {
	t.Parallel()
	// This test keeps the default argon2id parameters.
	e := start(t, withDefaultHash)
	e.CreateTenant("acme")
	e.CreateTenant("globex")
	u := e.register("acme", map[string]any{"email": "alice@example.com", "password": "correct horse"})
	e.register("globex", map[string]any{"email": "alice@example.com", "password": "correct horse"})

	keys := e.fetchJWKS("acme")
	for _, k := range keys {
		if k.D != "" {
			t.Fatalf("the JWKS shows a private key: %+v", k)
		}
		if k.Kid == "" {
			t.Errorf("key without kid: %+v", k)
		}
	}

	before := time.Now().Add(-5 * time.Second)
	tok := e.login("acme", "alice@example.com", "correct horse")
	issuer := e.Base + "/t/acme"
	parsed, claims, err := verifyAccess(keys, tok.AccessToken, issuer, "acme")
	if err != nil {
		t.Fatalf("golang-jwt rejects the access token: %v", err)
	}
	if parsed.Method.Alg() != "ES256" || parsed.Header["alg"] != "ES256" {
		t.Errorf("alg %v, want ES256", parsed.Header["alg"])
	}
	if typ := parsed.Header["typ"]; typ != "at+jwt" && typ != "application/at+jwt" {
		t.Errorf("typ %v, want at+jwt", typ)
	}
	if sub, _ := claims.GetSubject(); sub != u.ID {
		t.Errorf("sub %q, want %q", sub, u.ID)
	}
	if iss, _ := claims.GetIssuer(); iss != issuer {
		t.Errorf("iss %q, want %q", iss, issuer)
	}
	if aud, _ := claims.GetAudience(); len(aud) != 1 || aud[0] != "acme" {
		t.Errorf("aud %v, want acme", aud)
	}
	exp, _ := claims.GetExpirationTime()
	iat, _ := claims.GetIssuedAt()
	if exp == nil || iat == nil || exp.Sub(iat.Time) != 900*time.Second {
		t.Errorf("exp %v - iat %v is not 900 s", exp, iat)
	}
	if iat != nil && (iat.Before(before) || iat.After(time.Now().Add(5*time.Second))) {
		t.Errorf("iat %v is not now", iat)
	}
	// RFC 9068 section 2.2 requires client_id and jti too.
	for _, c := range []string{"client_id", "jti"} {
		if s, _ := claims[c].(string); s == "" {
			t.Errorf("no %s claim: %v", c, claims)
		}
	}

	t.Run("refreshed token verifies too", func(t *testing.T) {
		r := e.refresh("acme", tok.RefreshToken)
		wantStatus(t, r, http.StatusOK)
		var next tokenJSON
		r.Decode(t, &next)
		if _, claims, err := verifyAccess(keys, next.AccessToken, issuer, "acme"); err != nil {
			t.Errorf("refreshed token: %v", err)
		} else if sub, _ := claims.GetSubject(); sub != u.ID {
			t.Errorf("refreshed token sub %q, want %q", sub, u.ID)
		}
	})

	t.Run("tampered token fails", func(t *testing.T) {
		parts := strings.Split(tok.AccessToken, ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		forged := strings.Replace(string(payload), u.ID, "00000000-0000-7000-8000-000000000000", 1)
		parts[1] = base64.RawURLEncoding.EncodeToString([]byte(forged))
		if _, _, err := verifyAccess(keys, strings.Join(parts, "."), issuer, "acme"); err == nil {
			t.Fatal("a tampered token verifies")
		}
	})

	t.Run("each tenant signs with its own key", func(t *testing.T) {
		other := e.login("globex", "alice@example.com", "correct horse")
		if _, _, err := verifyAccess(keys, other.AccessToken, e.Base+"/t/globex", "globex"); err == nil {
			t.Fatal("globex's token verifies with acme's keys")
		}
		if _, _, err := verifyAccess(e.fetchJWKS("globex"), other.AccessToken, e.Base+"/t/globex", "globex"); err != nil {
			t.Fatalf("globex's token does not verify with its own keys: %v", err)
		}
	})
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")

	r := e.Do(http.MethodGet, "/t/acme/.well-known/openid-configuration", "", nil)
	wantStatus(t, r, http.StatusOK)
	var doc map[string]any
	r.Decode(t, &doc)
	issuer := e.Base + "/t/acme"
	want := map[string]string{
		"issuer":            issuer,
		"jwks_uri":          issuer + "/.well-known/jwks.json",
		"token_endpoint":    issuer + "/oauth/token",
		"userinfo_endpoint": issuer + "/userinfo",
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("%s = %v, want %s", k, doc[k], v)
		}
	}
	// The advertised JWKS URI serves the keys.
	u, err := url.Parse(doc["jwks_uri"].(string))
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.Do(http.MethodGet, u.Path, "", nil), http.StatusOK)

	for _, path := range []string{"/t/nope/.well-known/openid-configuration", "/t/nope/.well-known/jwks.json"} {
		wantProblem(t, e.Do(http.MethodGet, path, "", nil), http.StatusNotFound, "tenant_not_found")
	}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")
	u := e.register("acme", map[string]any{"email": "alice@example.com", "password": "correct horse"})
	first := e.login("acme", "alice@example.com", "correct horse")

	r := e.refresh("acme", first.RefreshToken)
	wantStatus(t, r, http.StatusOK)
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	var second tokenJSON
	r.Decode(t, &second)
	switch {
	case second.AccessToken == "" || second.AccessToken == first.AccessToken:
		t.Errorf("no new access token: %s", r.Body)
	case second.RefreshToken == "" || second.RefreshToken == first.RefreshToken:
		t.Errorf("the refresh token was not rotated: %s", r.Body)
	case second.TokenType != "Bearer" || second.ExpiresIn != 900:
		t.Errorf("token_type %q, expires_in %d", second.TokenType, second.ExpiresIn)
	}
	ui := e.userinfo("acme", second.AccessToken)
	wantStatus(t, ui, http.StatusOK)
	if ui.Object(t)["sub"] != u.ID {
		t.Errorf("userinfo %s, want sub %s", ui.Body, u.ID)
	}

	// A chain of rotations keeps working.
	rt := second.RefreshToken
	for range 3 {
		r := e.refresh("acme", rt)
		wantStatus(t, r, http.StatusOK)
		var next tokenJSON
		r.Decode(t, &next)
		rt = next.RefreshToken
	}
}

func TestRefreshReuseRevokesSession(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")
	e.register("acme", map[string]any{"email": "alice@example.com", "password": "correct horse"})
	first := e.login("acme", "alice@example.com", "correct horse")
	bystander := e.login("acme", "alice@example.com", "correct horse")

	r := e.refresh("acme", first.RefreshToken)
	wantStatus(t, r, http.StatusOK)
	var second tokenJSON
	r.Decode(t, &second)
	r = e.refresh("acme", second.RefreshToken)
	wantStatus(t, r, http.StatusOK)
	var third tokenJSON
	r.Decode(t, &third)
	wantStatus(t, e.userinfo("acme", third.AccessToken), http.StatusOK)

	// The first token is presented again: that is theft or a bug, and the
	// whole session ends.
	wantOAuthError(t, e.refresh("acme", first.RefreshToken), http.StatusBadRequest, "invalid_grant")
	wantOAuthError(t, e.refresh("acme", third.RefreshToken), http.StatusBadRequest, "invalid_grant")
	for _, access := range []string{first.AccessToken, second.AccessToken, third.AccessToken} {
		wantProblem(t, e.userinfo("acme", access), http.StatusUnauthorized, "unauthorized")
	}
	// The user's other session is not this session.
	wantStatus(t, e.userinfo("acme", bystander.AccessToken), http.StatusOK)
	wantStatus(t, e.refresh("acme", bystander.RefreshToken), http.StatusOK)
}

func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")
	e.CreateTenant("globex")
	e.register("acme", map[string]any{"email": "alice@example.com", "password": "correct horse"})
	tok := e.login("acme", "alice@example.com", "correct horse")

	tests := []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"password grant", url.Values{"grant_type": {"password"}, "username": {"alice@example.com"}, "password": {"correct horse"}}, 400, "unsupported_grant_type"},
		{"client credentials grant", url.Values{"grant_type": {"client_credentials"}}, 400, "unsupported_grant_type"},
		// Contract v2 (OIDC.md) adds the authorization_code grant: an unknown code is invalid_grant.
		{"unknown authorization code", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, 400, "invalid_grant"},
		{"missing grant_type", url.Values{"refresh_token": {tok.RefreshToken}}, 400, "invalid_request"},
		{"missing refresh_token", url.Values{"grant_type": {"refresh_token"}}, 400, "invalid_request"},
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"bm90IGEgcmVhbCByZWZyZXNoIHRva2VuIGF0IGFsbCEh"}}, 400, "invalid_grant"},
		{"access token as refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.AccessToken}}, 400, "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantOAuthError(t, e.Do(http.MethodPost, "/t/acme/oauth/token", "", tc.form), tc.status, tc.code)
		})
	}

	t.Run("another tenant's refresh token", func(t *testing.T) {
		wantOAuthError(t, e.refresh("globex", tok.RefreshToken), 400, "invalid_grant")
	})
	t.Run("unknown tenant", func(t *testing.T) {
		wantProblem(t, e.refresh("nope", tok.RefreshToken), http.StatusNotFound, "tenant_not_found")
		wantProblem(t, e.Do(http.MethodPost, "/t/nope/oauth/token", "", url.Values{"grant_type": {"password"}}), http.StatusNotFound, "tenant_not_found")
		wantProblem(t, e.Do(http.MethodPost, "/t/nope/oauth/revoke", "", url.Values{"token": {tok.RefreshToken}}), http.StatusNotFound, "tenant_not_found")
	})
	// None of the failures above spent the session's refresh token.
	wantStatus(t, e.refresh("acme", tok.RefreshToken), http.StatusOK)
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")
	e.register("acme", map[string]any{"email": "alice@example.com", "password": "correct horse"})

	t.Run("refresh token", func(t *testing.T) {
		tok := e.login("acme", "alice@example.com", "correct horse")
		other := e.login("acme", "alice@example.com", "correct horse")
		wantStatus(t, e.Do(http.MethodPost, "/t/acme/oauth/revoke", "", url.Values{"token": {tok.RefreshToken}}), http.StatusOK)
		wantOAuthError(t, e.refresh("acme", tok.RefreshToken), 400, "invalid_grant")
		// Revoking again is still 200.
		wantStatus(t, e.Do(http.MethodPost, "/t/acme/oauth/revoke", "", url.Values{"token": {tok.RefreshToken}}), http.StatusOK)
		// Only that session ended.
		wantStatus(t, e.refresh("acme", other.RefreshToken), http.StatusOK)
	})
	t.Run("refresh token with type hint", func(t *testing.T) {
		tok := e.login("acme", "alice@example.com", "correct horse")
		wantStatus(t, e.Do(http.MethodPost, "/t/acme/oauth/revoke", "", url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}}), http.StatusOK)
		wantOAuthError(t, e.refresh("acme", tok.RefreshToken), 400, "invalid_grant")
	})
	t.Run("access token", func(t *testing.T) {
		tok := e.login("acme", "alice@example.com", "correct horse")
		wantStatus(t, e.Do(http.MethodPost, "/t/acme/oauth/revoke", "", url.Values{"token": {tok.AccessToken}}), http.StatusOK)
		wantProblem(t, e.userinfo("acme", tok.AccessToken), http.StatusUnauthorized, "unauthorized")
		wantOAuthError(t, e.refresh("acme", tok.RefreshToken), 400, "invalid_grant")
	})
	t.Run("unknown token", func(t *testing.T) {
		wantStatus(t, e.Do(http.MethodPost, "/t/acme/oauth/revoke", "", url.Values{"token": {"no-such-token"}}), http.StatusOK)
	})
	t.Run("another tenant's token", func(t *testing.T) {
		e.CreateTenant("globex")
		tok := e.login("acme", "alice@example.com", "correct horse")
		wantStatus(t, e.Do(http.MethodPost, "/t/globex/oauth/revoke", "", url.Values{"token": {tok.RefreshToken}}), http.StatusOK)
		wantStatus(t, e.Do(http.MethodPost, "/t/globex/oauth/revoke", "", url.Values{"token": {tok.AccessToken}}), http.StatusOK)
		// Revoking at the wrong tenant did nothing.
		wantStatus(t, e.userinfo("acme", tok.AccessToken), http.StatusOK)
		wantStatus(t, e.refresh("acme", tok.RefreshToken), http.StatusOK)
	})
}

// TestConcurrentRefresh presents one refresh token many times at once: the
// rotation is atomic, so exactly one request wins.
func TestConcurrentRefresh(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")
	e.register("acme", map[string]any{"email": "alice@example.com", "password": "correct horse"})
	tok := e.login("acme", "alice@example.com", "correct horse")

	const n = 10
	results := make([]*testserver.Response, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	form := []byte(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}.Encode())
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			results[i], errs[i] = e.Try(http.MethodPost, "/t/acme/oauth/token", "", testserver.Raw{ContentType: "application/x-www-form-urlencoded", Body: form})
		}()
	}
	close(gate)
	wg.Wait()
	ok := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("refresh %d: %v", i, errs[i])
		}
		switch {
		case r.Status == http.StatusOK:
			ok++
		case r.Status == http.StatusBadRequest && strings.Contains(string(r.Body), `"invalid_grant"`):
		default:
			t.Errorf("refresh %d: %s", i, r)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent refreshes of one token succeeded, want 1", ok, n)
	}
}

func TestUserinfo(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.CreateTenant("acme")
	e.CreateTenant("globex")
	u := e.register("acme", map[string]any{"email": "Alice@Example.com", "username": "Alice", "password": "correct horse"})
	e.register("globex", map[string]any{"email": "alice@example.com", "username": "alice", "password": "correct horse"})
	tok := e.login("acme", "alice", "correct horse")

	r := e.userinfo("acme", tok.AccessToken)
	wantStatus(t, r, http.StatusOK)
	claims := r.Object(t)
	want := map[string]any{"sub": u.ID, "email": "alice@example.com", "email_verified": false, "preferred_username": "alice"}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("%s = %v, want %v", k, claims[k], v)
		}
	}

	globexTok := e.login("globex", "alice", "correct horse")
	tests := []struct {
		name   string
		tenant string
		token  string
	}{
		{"no token", "acme", ""},
		{"garbage token", "acme", "garbage"},
		{"malformed JWT", "acme", "a.b.c"},
		{"refresh token", "acme", tok.RefreshToken},
		{"tenant B's token at tenant A", "acme", globexTok.AccessToken},
		{"tenant A's token at tenant B", "globex", tok.AccessToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, e.userinfo(tc.tenant, tc.token), http.StatusUnauthorized, "unauthorized")
		})
	}
	t.Run("unknown tenant", func(t *testing.T) {
		wantProblem(t, e.userinfo("nope", tok.AccessToken), http.StatusNotFound, "tenant_not_found")
	})
	t.Run("revoked session", func(t *testing.T) {
		tok := e.login("acme", "alice", "correct horse")
		wantStatus(t, e.Do(http.MethodPost, "/t/acme/oauth/revoke", "", url.Values{"token": {tok.RefreshToken}}), http.StatusOK)
		wantProblem(t, e.userinfo("acme", tok.AccessToken), http.StatusUnauthorized, "unauthorized")
	})
}
