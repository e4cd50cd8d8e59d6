package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// AccessTokenType is the typ header of access tokens (RFC 9068).
const AccessTokenType = "at+jwt"

// Leeway is the clock skew VerifyAccess tolerates on exp, nbf and iat.
const Leeway = 30 * time.Second

// MaxTokenSize is the longest access token VerifyAccess looks at, in bytes.
const MaxTokenSize = 8 << 10

// ErrInvalidToken is wrapped by every error of VerifyAccess: the token is
// malformed, not signed by one of the given keys, not an access token, for
// another issuer or audience, or expired.
var ErrInvalidToken = errors.New("token: invalid access token")

// AccessClaims are the claims of an access token.
type AccessClaims struct {
	Issuer    string    // iss
	Subject   string    // sub: the user id
	Audience  string    // aud
	SessionID string    // sid, optional
	ClientID  string    // client_id, optional (RFC 9068 asks for one)
	Scope     string    // scope, optional
	IssuedAt  time.Time // iat, and nbf
	ExpiresAt time.Time // exp
	ID        string    // jti
	// PasswordChangeRequired is password_change_required, set only when true.
	PasswordChangeRequired bool
}

// accessPayload is the JSON form of AccessClaims.
type accessPayload struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	ExpiresAt int64  `json:"exp"`
	IssuedAt  int64  `json:"iat"`
	NotBefore int64  `json:"nbf"`
	ID        string `json:"jti"`
	ClientID  string `json:"client_id,omitempty"`
	SessionID string `json:"sid,omitempty"`
	Scope     string `json:"scope,omitempty"`

	PasswordChangeRequired bool `json:"password_change_required,omitempty"`
}

// KeyCache signs and verifies access tokens with Keys, parsing each Key
// once. Entries are keyed by Key.ID; a Key whose ID is cached with other key
// bytes is parsed again and replaces the entry. KeyCache is safe for
// concurrent use; the zero value is not, use NewKeyCache.
type KeyCache struct {
	mu   sync.RWMutex
	keys map[string]*parsedKey
}

// NewKeyCache returns an empty KeyCache.
func NewKeyCache() *KeyCache {
	return &KeyCache{keys: make(map[string]*parsedKey)}
}

// Forget drops the cached form of the key with id, for example after the
// key was deleted.
func (c *KeyCache) Forget(id string) {
	c.mu.Lock()
	delete(c.keys, id)
	c.mu.Unlock()
}

// Len returns the number of cached keys.
func (c *KeyCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.keys)
}

func (c *KeyCache) get(k Key) (*parsedKey, error) {
	c.mu.RLock()
	p := c.keys[k.ID]
	c.mu.RUnlock()
	if p != nil && string(p.der) == string(k.Private) && p.alg.String() == k.Algorithm {
		return p, nil
	}
	p, err := parseKey(k)
	if err != nil {
		return nil, err
	}
	// Keep a copy: the caller may reuse its slice.
	p.der = append([]byte(nil), k.Private...)
	c.mu.Lock()
	c.keys[k.ID] = p
	c.mu.Unlock()
	return p, nil
}

// SignAccess returns claims as a compact JWS signed with key, with the
// protected header {"alg", "kid": key.ID, "typ": "at+jwt"}. The payload
// holds iss, sub, aud, exp, iat, nbf (= iat), jti, and client_id, sid and
// scope when set. Issuer, Subject, Audience, ID and an ExpiresAt after
// IssuedAt are required.
func (c *KeyCache) SignAccess(key Key, claims AccessClaims) (string, error) {
	switch {
	case claims.Issuer == "" || claims.Subject == "" || claims.Audience == "" || claims.ID == "":
		return "", errors.New("token: access claims need iss, sub, aud and jti")
	case claims.IssuedAt.IsZero() || !claims.ExpiresAt.After(claims.IssuedAt):
		return "", errors.New("token: access claims need iat and a later exp")
	}
	p, err := c.get(key)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(accessPayload{
		Issuer:    claims.Issuer,
		Subject:   claims.Subject,
		Audience:  claims.Audience,
		ExpiresAt: claims.ExpiresAt.Unix(),
		IssuedAt:  claims.IssuedAt.Unix(),
		NotBefore: claims.IssuedAt.Unix(),
		ID:        claims.ID,
		ClientID:  claims.ClientID,
		SessionID: claims.SessionID,
		Scope:     claims.Scope,

		PasswordChangeRequired: claims.PasswordChangeRequired,
	})
	if err != nil {
		return "", fmt.Errorf("token: encode claims: %w", err)
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.KeyIDKey, key.ID); err != nil {
		return "", fmt.Errorf("token: set kid: %w", err)
	}
	if err := hdr.Set(jws.TypeKey, AccessTokenType); err != nil {
		return "", fmt.Errorf("token: set typ: %w", err)
	}
	signed, err := jws.Sign(payload, jws.WithKey(p.alg, p.priv, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return string(signed), nil
}

// VerifyAccess checks an access token against keys and returns its claims.
// The token must be a compact JWS whose kid names one of keys, whose alg is
// that key's algorithm (so never "none" or HS*), whose typ is "at+jwt", and
// whose claims have iss equal to issuer, audience among aud, and exp, iat,
// sub and jti; exp, nbf and iat are checked against now with Leeway. A zero
// now means time.Now(). Every error wraps ErrInvalidToken.
func (c *KeyCache) VerifyAccess(keys []Key, token, issuer, audience string, now time.Time) (AccessClaims, error) {
	if len(token) > MaxTokenSize {
		return AccessClaims{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, MaxTokenSize)
	}
	// Only the compact serialisation: jwt.Parse would also take JSON.
	if strings.Count(token, ".") != 2 {
		return AccessClaims{}, fmt.Errorf("%w: not a compact JWS", ErrInvalidToken)
	}
	if now.IsZero() {
		now = time.Now()
	}
	provider := jws.KeyProviderFunc(func(_ context.Context, sink jws.KeySink, sig *jws.Signature, _ *jws.Message) error {
		return c.selectKey(keys, sink, sig)
	})
	tok, err := jwt.Parse([]byte(token),
		jwt.WithKeyProvider(provider),
		jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(func() time.Time { return now })),
		jwt.WithAcceptableSkew(Leeway),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.IssuedAtKey),
		jwt.WithRequiredClaim(jwt.SubjectKey),
		jwt.WithRequiredClaim(jwt.JwtIDKey),
	)
	if err != nil {
		return AccessClaims{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	claims := AccessClaims{Audience: audience}
	claims.Issuer, _ = tok.Issuer()
	claims.Subject, _ = tok.Subject()
	claims.ID, _ = tok.JwtID()
	claims.IssuedAt, _ = tok.IssuedAt()
	claims.ExpiresAt, _ = tok.Expiration()
	for name, dst := range map[string]*string{"client_id": &claims.ClientID, "sid": &claims.SessionID, "scope": &claims.Scope} {
		if !tok.Has(name) {
			continue
		}
		if err := tok.Get(name, dst); err != nil {
			return AccessClaims{}, fmt.Errorf("%w: claim %s: %v", ErrInvalidToken, name, err)
		}
	}
	if claims.Subject == "" || claims.ID == "" {
		return AccessClaims{}, fmt.Errorf("%w: empty sub or jti", ErrInvalidToken)
	}
	return claims, nil
}

// selectKey hands the verifier the one key the signature's protected
// header names, after checking typ, alg and crit.
func (c *KeyCache) selectKey(keys []Key, sink jws.KeySink, sig *jws.Signature) error {
	h := sig.ProtectedHeaders()
	if h == nil {
		return errors.New("no protected header")
	}
	if typ, _ := h.Type(); !isAccessTokenType(typ) {
		return fmt.Errorf("typ %q is not %q", typ, AccessTokenType)
	}
	if _, ok := h.Critical(); ok {
		return errors.New("crit header not supported")
	}
	kid, ok := h.KeyID()
	if !ok || kid == "" {
		return errors.New("no kid")
	}
	alg, _ := h.Algorithm()
	for _, k := range keys {
		if k.ID != kid {
			continue
		}
		p, err := c.get(k)
		if err != nil {
			return err
		}
		if alg != p.alg {
			return fmt.Errorf("alg %q does not match key %q", alg, kid)
		}
		sink.Key(p.alg, p.pub)
		return nil
	}
	return fmt.Errorf("unknown kid %q", kid)
}

// isAccessTokenType reports whether typ is at+jwt, allowing the
// "application/" prefix and any case (RFC 7515 section 4.1.9).
func isAccessTokenType(typ string) bool {
	typ = strings.ToLower(typ)
	return typ == AccessTokenType || typ == "application/"+AccessTokenType
}
