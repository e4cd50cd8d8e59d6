package token

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

const (
	testIssuer   = "https://auth.example/t/acme"
	testAudience = "acme"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func testClaims() AccessClaims {
	return AccessClaims{
		Issuer:    testIssuer,
		Subject:   "user-1",
		Audience:  testAudience,
		SessionID: "sess-1",
		ClientID:  "acme-web",
		Scope:     "openid profile",
		IssuedAt:  t0,
		ExpiresAt: t0.Add(15 * time.Minute),
		ID:        "jti-1",
	}
}

func mustKey(t testing.TB, alg string) Key {
	t.Helper()
	k, err := GenerateKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var algs = []string{ES256, EdDSA}

func TestGenerateKey(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			k := mustKey(t, alg)
			if k.Algorithm != alg || k.CreatedAt.IsZero() {
				t.Fatalf("key = %+v", k)
			}
			raw, err := x509.ParsePKCS8PrivateKey(k.Private)
			if err != nil {
				t.Fatal(err)
			}
			var pub any
			switch p := raw.(type) {
			case *ecdsa.PrivateKey:
				pub = &p.PublicKey
			case ed25519.PrivateKey:
				pub = p.Public()
			}
			if want, _ := thumbprint(pub); k.ID != want || len(k.ID) != 43 {
				t.Fatalf("ID = %q, want thumbprint %q", k.ID, want)
			}
			if k2 := mustKey(t, alg); k2.ID == k.ID {
				t.Fatal("two keys with one ID")
			}
		})
	}
	for _, alg := range []string{"", "none", "HS256", "RS384", "ES384", "es256"} {
		t.Run("reject "+alg, func(t *testing.T) {
			if _, err := GenerateKey(alg); !errors.Is(err, ErrUnsupportedAlgorithm) {
				t.Fatalf("err = %v, want ErrUnsupportedAlgorithm", err)
			}
		})
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			c := NewKeyCache()
			k := mustKey(t, alg)
			tok, err := c.SignAccess(k, testClaims())
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.VerifyAccess([]Key{mustKey(t, ES256), k}, tok, testIssuer, testAudience, t0.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if got != testClaims() {
				t.Fatalf("claims = %+v\nwant %+v", got, testClaims())
			}

			hdr, payload := decodeParts(t, tok)
			if hdr["typ"] != "at+jwt" || hdr["kid"] != k.ID || hdr["alg"] != alg {
				t.Fatalf("header = %v", hdr)
			}
			want := map[string]any{
				"iss": testIssuer, "sub": "user-1", "aud": testAudience, "jti": "jti-1",
				"client_id": "acme-web", "sid": "sess-1", "scope": "openid profile",
				"iat": float64(t0.Unix()), "nbf": float64(t0.Unix()), "exp": float64(t0.Add(15 * time.Minute).Unix()),
			}
			if len(payload) != len(want) {
				t.Fatalf("payload = %v, want %v", payload, want)
			}
			for name, v := range want {
				if payload[name] != v {
					t.Fatalf("payload[%s] = %v, want %v", name, payload[name], v)
				}
			}
		})
	}
}

func TestOptionalClaimsOmitted(t *testing.T) {
	c := NewKeyCache()
	k := mustKey(t, EdDSA)
	claims := testClaims()
	claims.ClientID, claims.SessionID, claims.Scope = "", "", ""
	tok, err := c.SignAccess(k, claims)
	if err != nil {
		t.Fatal(err)
	}
	_, payload := decodeParts(t, tok)
	for _, name := range []string{"client_id", "sid", "scope"} {
		if _, ok := payload[name]; ok {
			t.Fatalf("payload has %s: %v", name, payload)
		}
	}
	got, err := c.VerifyAccess([]Key{k}, tok, testIssuer, testAudience, t0)
	if err != nil || got != claims {
		t.Fatalf("VerifyAccess = %+v, %v", got, err)
	}
}

func TestSignAccessRejectsIncompleteClaims(t *testing.T) {
	k := mustKey(t, EdDSA)
	tests := []struct {
		name   string
		mutate func(*AccessClaims)
	}{
		{"no issuer", func(c *AccessClaims) { c.Issuer = "" }},
		{"no subject", func(c *AccessClaims) { c.Subject = "" }},
		{"no audience", func(c *AccessClaims) { c.Audience = "" }},
		{"no id", func(c *AccessClaims) { c.ID = "" }},
		{"no iat", func(c *AccessClaims) { c.IssuedAt = time.Time{} }},
		{"exp before iat", func(c *AccessClaims) { c.ExpiresAt = c.IssuedAt.Add(-time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := testClaims()
			tt.mutate(&claims)
			if tok, err := NewKeyCache().SignAccess(k, claims); err == nil {
				t.Fatalf("SignAccess = %q, want error", tok)
			}
		})
	}
}

func TestSignAccessRejectsBadKeys(t *testing.T) {
	es, ed := mustKey(t, ES256), mustKey(t, EdDSA)
	tests := []struct {
		name string
		key  Key
	}{
		{"no id", Key{Algorithm: ES256, Private: es.Private}},
		{"garbage", Key{ID: "k", Algorithm: ES256, Private: []byte("not DER")}},
		{"ecdsa key as EdDSA", Key{ID: "k", Algorithm: EdDSA, Private: es.Private}},
		{"ed25519 key as ES256", Key{ID: "k", Algorithm: ES256, Private: ed.Private}},
		{"unknown algorithm", Key{ID: "k", Algorithm: "HS256", Private: es.Private}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tok, err := NewKeyCache().SignAccess(tt.key, testClaims()); err == nil {
				t.Fatalf("SignAccess = %q, want error", tok)
			}
		})
	}
}

// TestVerifyWithJWKS verifies tokens by an independent path: the JWKS JSON
// parsed by jwx's jwk package and jwt.Parse with that key set.
func TestVerifyWithJWKS(t *testing.T) {
	keys := []Key{mustKey(t, ES256), mustKey(t, EdDSA)}
	doc, err := JWKS(keys)
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwk.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != len(keys) {
		t.Fatalf("set has %d keys, want %d", set.Len(), len(keys))
	}
	var raw struct{ Keys []map[string]any }
	if err := json.Unmarshal(doc, &raw); err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		m := raw.Keys[i]
		if m["kid"] != k.ID || m["alg"] != k.Algorithm || m["use"] != "sig" {
			t.Fatalf("JWK %d = %v", i, m)
		}
		if _, ok := m["d"]; ok {
			t.Fatalf("JWK %d has a private member: %v", i, m)
		}
	}
	c := NewKeyCache()
	for _, k := range keys {
		t.Run(k.Algorithm, func(t *testing.T) {
			tok, err := c.SignAccess(k, testClaims())
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := jwt.Parse([]byte(tok), jwt.WithKeySet(set), jwt.WithValidate(false))
			if err != nil {
				t.Fatalf("jwt.Parse with JWKS: %v", err)
			}
			if sub, _ := parsed.Subject(); sub != "user-1" {
				t.Fatalf("sub = %q", sub)
			}
		})
	}
}

func TestJWKSEmpty(t *testing.T) {
	doc, err := JWKS(nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != `{"keys":[]}` {
		t.Fatalf("JWKS(nil) = %s", doc)
	}
}

func TestVerifyRejects(t *testing.T) {
	c := NewKeyCache()
	es, ed := mustKey(t, ES256), mustKey(t, EdDSA)
	keys := []Key{es, ed}
	good, err := c.SignAccess(es, testClaims())
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Minute)
	parts := strings.Split(good, ".")
	hdr, payload := decodeParts(t, good)

	// Tokens made by hand or by jwx, with a header or key chosen to attack.
	withHeader := func(h map[string]any, sig string) string {
		return encodePart(t, h) + "." + parts[1] + "." + sig
	}
	withPayload := func(p map[string]any) string {
		return parts[0] + "." + encodePart(t, p) + "." + parts[2]
	}
	hmacWith := func(secret []byte) string {
		h := jws.NewHeaders()
		h.Set(jws.KeyIDKey, es.ID)
		h.Set(jws.TypeKey, "at+jwt")
		b, err := jws.Sign(mustJSON(t, payload), jws.WithKey(jwa.HS256(), secret, jws.WithProtectedHeaders(h)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(mustParse(t, es).pub)
	if err != nil {
		t.Fatal(err)
	}
	jwksDoc, err := JWKS(keys)
	if err != nil {
		t.Fatal(err)
	}
	signOther := func(k Key, claims AccessClaims) string {
		tok, err := NewKeyCache().SignAccess(k, claims)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	impostor := mustKey(t, ES256)
	impostor.ID = es.ID // another key claiming the real kid
	withTyp := func(typ string) string {
		h := jws.NewHeaders()
		h.Set(jws.KeyIDKey, es.ID)
		if typ != "" {
			h.Set(jws.TypeKey, typ)
		}
		b, err := jws.Sign(mustJSON(t, payload), jws.WithKey(jwa.ES256(), mustParse(t, es).priv, jws.WithProtectedHeaders(h)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	flipped := []byte(parts[2])
	flipped[10] ^= 'A' ^ 'B'
	if flipped[10] == parts[2][10] {
		t.Fatal("flip did nothing")
	}

	tests := []struct {
		name     string
		token    string
		issuer   string
		audience string
		now      time.Time
	}{
		{"empty", "", testIssuer, testAudience, now},
		{"garbage", "not.a.jwt", testIssuer, testAudience, now},
		{"two parts", parts[0] + "." + parts[1], testIssuer, testAudience, now},
		{"four parts", good + ".x", testIssuer, testAudience, now},
		{"JSON serialisation", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, testIssuer, testAudience, now},
		{"too long", good + strings.Repeat("A", MaxTokenSize), testIssuer, testAudience, now},
		{"tampered payload", withPayload(merge(payload, map[string]any{"sub": "admin"})), testIssuer, testAudience, now},
		{"tampered signature", parts[0] + "." + parts[1] + "." + string(flipped), testIssuer, testAudience, now},
		{"empty signature", parts[0] + "." + parts[1] + ".", testIssuer, testAudience, now},
		{"alg none", withHeader(map[string]any{"alg": "none", "kid": es.ID, "typ": "at+jwt"}, ""), testIssuer, testAudience, now},
		{"alg none with signature", withHeader(map[string]any{"alg": "none", "kid": es.ID, "typ": "at+jwt"}, parts[2]), testIssuer, testAudience, now},
		{"HS256 with public key DER as secret", hmacWith(pubDER), testIssuer, testAudience, now},
		{"HS256 with JWKS as secret", hmacWith(jwksDoc), testIssuer, testAudience, now},
		{"ES256 header on EdDSA key", withHeader(merge(hdr, map[string]any{"kid": ed.ID}), parts[2]), testIssuer, testAudience, now},
		{"EdDSA alg on ES256 key", withHeader(merge(hdr, map[string]any{"alg": "EdDSA"}), parts[2]), testIssuer, testAudience, now},
		{"crit header", withHeader(merge(hdr, map[string]any{"crit": []string{"exp"}}), parts[2]), testIssuer, testAudience, now},
		{"unknown kid", withHeader(merge(hdr, map[string]any{"kid": "nope"}), parts[2]), testIssuer, testAudience, now},
		{"no kid", withHeader(map[string]any{"alg": "ES256", "typ": "at+jwt"}, parts[2]), testIssuer, testAudience, now},
		{"other key with same kid", signOther(impostor, testClaims()), testIssuer, testAudience, now},
		{"key not in set", signOther(mustKey(t, EdDSA), testClaims()), testIssuer, testAudience, now},
		{"typ JWT", withTyp("JWT"), testIssuer, testAudience, now},
		{"no typ", withTyp(""), testIssuer, testAudience, now},
		{"wrong issuer", good, "https://auth.example/t/other", testAudience, now},
		{"wrong audience", good, testIssuer, "other", now},
		{"expired", good, testIssuer, testAudience, t0.Add(15*time.Minute + Leeway + time.Second)},
		{"issued in the future", good, testIssuer, testAudience, t0.Add(-Leeway - time.Second)},
		{"no exp", signWithPayload(t, es, withoutKey(payload, "exp")), testIssuer, testAudience, now},
		{"no sub", signWithPayload(t, es, withoutKey(payload, "sub")), testIssuer, testAudience, now},
		{"no jti", signWithPayload(t, es, withoutKey(payload, "jti")), testIssuer, testAudience, now},
		{"no iat", signWithPayload(t, es, withoutKey(payload, "iat")), testIssuer, testAudience, now},
		{"no aud", signWithPayload(t, es, withoutKey(payload, "aud")), testIssuer, testAudience, now},
		{"empty sub", signWithPayload(t, es, merge(payload, map[string]any{"sub": ""})), testIssuer, testAudience, now},
		{"empty jti", signWithPayload(t, es, merge(payload, map[string]any{"jti": ""})), testIssuer, testAudience, now},
		{"client_id not a string", signWithPayload(t, es, merge(payload, map[string]any{"client_id": 42})), testIssuer, testAudience, now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.VerifyAccess(keys, tt.token, tt.issuer, tt.audience, tt.now)
			t.Log(err)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("VerifyAccess = %+v, %v; want ErrInvalidToken", got, err)
			}
			if got != (AccessClaims{}) {
				t.Fatalf("claims returned with error: %+v", got)
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	c := NewKeyCache()
	es := mustKey(t, ES256)
	good, err := c.SignAccess(es, testClaims())
	if err != nil {
		t.Fatal(err)
	}
	_, payload := decodeParts(t, good)
	appType := func() string {
		h := jws.NewHeaders()
		h.Set(jws.KeyIDKey, es.ID)
		h.Set(jws.TypeKey, "application/AT+JWT")
		b, err := jws.Sign(mustJSON(t, payload), jws.WithKey(jwa.ES256(), mustParse(t, es).priv, jws.WithProtectedHeaders(h)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}()
	tests := []struct {
		name  string
		token string
		now   time.Time
	}{
		{"at issue", good, t0},
		{"within leeway before iat", good, t0.Add(-Leeway + time.Second)},
		{"within leeway after exp", good, t0.Add(15*time.Minute + Leeway - time.Second)},
		{"aud as array", signWithPayload(t, es, merge(payload, map[string]any{"aud": []string{"x", testAudience}})), t0},
		{"typ with application prefix", appType, t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.VerifyAccess([]Key{es}, tt.token, testIssuer, testAudience, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if got.Subject != "user-1" || got.Audience != testAudience {
				t.Fatalf("claims = %+v", got)
			}
		})
	}
}

func TestKeyCacheReparsesChangedKey(t *testing.T) {
	c := NewKeyCache()
	a, b := mustKey(t, ES256), mustKey(t, EdDSA)
	b.ID = a.ID // the same kid now names other key bytes
	if _, err := c.SignAccess(a, testClaims()); err != nil {
		t.Fatal(err)
	}
	tok, err := c.SignAccess(b, testClaims())
	if err != nil {
		t.Fatal(err)
	}
	if hdr, _ := decodeParts(t, tok); hdr["alg"] != EdDSA {
		t.Fatalf("signed with the stale key: %v", hdr)
	}
	if _, err := c.VerifyAccess([]Key{b}, tok, testIssuer, testAudience, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.VerifyAccess([]Key{a}, tok, testIssuer, testAudience, t0); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("verified with the replaced key: %v", err)
	}
	if c.Len() != 1 {
		t.Fatalf("Len = %d, want 1", c.Len())
	}
	c.Forget(a.ID)
	if c.Len() != 0 {
		t.Fatalf("Len after Forget = %d, want 0", c.Len())
	}
}

func TestKeyCacheConcurrent(t *testing.T) {
	c := NewKeyCache()
	keys := []Key{mustKey(t, ES256), mustKey(t, EdDSA)}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			k := keys[i%2]
			tok, err := c.SignAccess(k, testClaims())
			if err == nil {
				_, err = c.VerifyAccess(keys, tok, testIssuer, testAudience, t0)
			}
			if i%5 == 0 {
				c.Forget(k.ID)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestRefreshToken(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok, hash, err := NewRefreshToken()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.Strict().DecodeString(tok)
		if err != nil || len(raw) < 32 {
			t.Fatalf("token %q: %d bytes, %v", tok, len(raw), err)
		}
		if !bytes.Equal(hash, HashRefreshToken(tok)) || len(hash) != 32 {
			t.Fatalf("hash %x does not match HashRefreshToken", hash)
		}
		if seen[tok] {
			t.Fatalf("token %q repeated", tok)
		}
		seen[tok] = true
	}
	// SHA-256("abc"), FIPS 180-2 test vector.
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := base16(HashRefreshToken("abc")); got != abc {
		t.Fatalf("HashRefreshToken(abc) = %s", got)
	}
}

// FuzzVerifyAccess feeds arbitrary strings to VerifyAccess: it must never
// panic, and anything it accepts must carry exactly the header and payload
// that were signed (a different encoding of the same signature is no
// forgery).
func FuzzVerifyAccess(f *testing.F) {
	c := NewKeyCache()
	keys := []Key{mustKey(f, ES256), mustKey(f, EdDSA)}
	var signed [][2]string
	for _, k := range keys {
		tok, err := c.SignAccess(k, testClaims())
		if err != nil {
			f.Fatal(err)
		}
		parts := strings.Split(tok, ".")
		signed = append(signed, [2]string{decodeRaw(parts[0]), decodeRaw(parts[1])})
		f.Add(tok)
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(parts[0] + ".e30." + parts[2])
	}
	f.Add("")
	f.Add("..")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, tok string) {
		claims, err := c.VerifyAccess(keys, tok, testIssuer, testAudience, t0)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v does not wrap ErrInvalidToken", err)
			}
			return
		}
		parts := strings.Split(tok, ".")
		got := [2]string{decodeRaw(parts[0]), decodeRaw(parts[1])}
		for _, s := range signed {
			if got == s && claims == testClaims() {
				return
			}
		}
		t.Fatalf("verified a token that was never signed: %q -> %+v", tok, claims)
	})
}

func BenchmarkSignAccess(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			c := NewKeyCache()
			k := mustKey(b, alg)
			claims := testClaims()
			for b.Loop() {
				if _, err := c.SignAccess(k, claims); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyAccess(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			c := NewKeyCache()
			k := mustKey(b, alg)
			keys := []Key{k}
			tok, err := c.SignAccess(k, testClaims())
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := c.VerifyAccess(keys, tok, testIssuer, testAudience, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSignAccessUncached parses the PKCS#8 key on every call, the cost
// the KeyCache saves.
func BenchmarkSignAccessUncached(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			k := mustKey(b, alg)
			claims := testClaims()
			for b.Loop() {
				if _, err := NewKeyCache().SignAccess(k, claims); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRawVerify is the bare signature check of a token-sized message,
// to compare with BenchmarkVerifyAccess.
func BenchmarkRawVerify(b *testing.B) {
	msg := make([]byte, 400)
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			p := mustParse(b, mustKey(b, alg))
			switch pub := p.pub.(type) {
			case *ecdsa.PublicKey:
				digest := sha256.Sum256(msg)
				sig, err := ecdsa.SignASN1(rand.Reader, p.priv.(*ecdsa.PrivateKey), digest[:])
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					d := sha256.Sum256(msg)
					if !ecdsa.VerifyASN1(pub, d[:], sig) {
						b.Fatal("bad signature")
					}
				}
			case ed25519.PublicKey:
				sig := ed25519.Sign(p.priv.(ed25519.PrivateKey), msg)
				for b.Loop() {
					if !ed25519.Verify(pub, msg, sig) {
						b.Fatal("bad signature")
					}
				}
			}
		})
	}
}

func BenchmarkNewRefreshToken(b *testing.B) {
	for b.Loop() {
		if _, _, err := NewRefreshToken(); err != nil {
			b.Fatal(err)
		}
	}
}

// Helpers.

func decodeRaw(s string) string {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "\x00invalid:" + s
	}
	return string(b)
}

func decodeParts(t testing.TB, tok string) (hdr, payload map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts", tok, len(parts))
	}
	for i, dst := range []*map[string]any{&hdr, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return hdr, payload
}

func encodePart(t testing.TB, v any) string {
	return base64.RawURLEncoding.EncodeToString(mustJSON(t, v))
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t testing.TB, k Key) *parsedKey {
	t.Helper()
	p, err := parseKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func merge(m, with map[string]any) map[string]any {
	out := make(map[string]any, len(m)+len(with))
	for k, v := range m {
		out[k] = v
	}
	for k, v := range with {
		out[k] = v
	}
	return out
}

func withoutKey(m map[string]any, key string) map[string]any {
	out := merge(m, nil)
	delete(out, key)
	return out
}

// signWithPayload signs an arbitrary payload correctly with k, to test the
// claim checks apart from the signature checks.
func signWithPayload(t testing.TB, k Key, payload map[string]any) string {
	t.Helper()
	h := jws.NewHeaders()
	h.Set(jws.KeyIDKey, k.ID)
	h.Set(jws.TypeKey, AccessTokenType)
	p := mustParse(t, k)
	b, err := jws.Sign(mustJSON(t, payload), jws.WithKey(p.alg, p.priv, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func base16(b []byte) string {
	const hexdigits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, hexdigits[c>>4], hexdigits[c&15])
	}
	return string(out)
}
