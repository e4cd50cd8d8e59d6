package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Signing algorithms a Key may use.
const (
	ES256 = "ES256" // ECDSA with P-256 and SHA-256
	EdDSA = "EdDSA" // Ed25519
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys; signs ID tokens
)

// rsaBits is the size of the RSA keys GenerateKey makes.
const rsaBits = 2048

// ErrUnsupportedAlgorithm is returned for a key algorithm other than ES256,
// EdDSA and RS256.
var ErrUnsupportedAlgorithm = errors.New("token: unsupported key algorithm")

// Key is a signing key as it is stored.
type Key struct {
	// ID is the key's kid: the base64url SHA-256 JWK thumbprint (RFC 7638)
	// for keys made by GenerateKey.
	ID string
	// Algorithm is ES256 or EdDSA.
	Algorithm string
	// Private is the private key in PKCS#8 DER.
	Private []byte
	// CreatedAt is when the key was made.
	CreatedAt time.Time
}

// GenerateKey makes a new signing key for alg (ES256, EdDSA or RS256) whose ID is
// its RFC 7638 thumbprint. Returns ErrUnsupportedAlgorithm for another alg.
func GenerateKey(alg string) (Key, error) {
	var priv crypto.Signer
	switch alg {
	case ES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return Key{}, fmt.Errorf("token: generate ES256 key: %w", err)
		}
		priv = k
	case EdDSA:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return Key{}, fmt.Errorf("token: generate EdDSA key: %w", err)
		}
		priv = k
	case RS256:
		k, err := rsa.GenerateKey(rand.Reader, rsaBits)
		if err != nil {
			return Key{}, fmt.Errorf("token: generate RS256 key: %w", err)
		}
		priv = k
	default:
		return Key{}, fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, alg)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return Key{}, fmt.Errorf("token: encode private key: %w", err)
	}
	kid, err := thumbprint(priv.Public())
	if err != nil {
		return Key{}, err
	}
	return Key{ID: kid, Algorithm: alg, Private: der, CreatedAt: time.Now().UTC()}, nil
}

func thumbprint(pub crypto.PublicKey) (string, error) {
	k, err := jwk.Import(pub)
	if err != nil {
		return "", fmt.Errorf("token: import public key: %w", err)
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("token: thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// parsedKey is a Key decoded for use.
type parsedKey struct {
	der  []byte // the Key.Private it was parsed from
	alg  jwa.SignatureAlgorithm
	priv crypto.Signer
	pub  crypto.PublicKey
}

// parseKey decodes k and checks that its key type matches its algorithm.
func parseKey(k Key) (*parsedKey, error) {
	if k.ID == "" {
		return nil, errors.New("token: key has no ID")
	}
	raw, err := x509.ParsePKCS8PrivateKey(k.Private)
	if err != nil {
		return nil, fmt.Errorf("token: key %q: %w", k.ID, err)
	}
	p := &parsedKey{der: k.Private}
	switch priv := raw.(type) {
	case *ecdsa.PrivateKey:
		if k.Algorithm != ES256 || priv.Curve != elliptic.P256() {
			return nil, fmt.Errorf("token: key %q: ECDSA %s key does not fit algorithm %q", k.ID, priv.Curve.Params().Name, k.Algorithm)
		}
		p.alg, p.priv, p.pub = jwa.ES256(), priv, &priv.PublicKey
	case ed25519.PrivateKey:
		if k.Algorithm != EdDSA {
			return nil, fmt.Errorf("token: key %q: Ed25519 key does not fit algorithm %q", k.ID, k.Algorithm)
		}
		p.alg, p.priv, p.pub = jwa.EdDSA(), priv, priv.Public()
	case *rsa.PrivateKey:
		if k.Algorithm != RS256 || priv.N.BitLen() < rsaBits {
			return nil, fmt.Errorf("token: key %q: %d-bit RSA key does not fit algorithm %q", k.ID, priv.N.BitLen(), k.Algorithm)
		}
		p.alg, p.priv, p.pub = jwa.RS256(), priv, &priv.PublicKey
	default:
		return nil, fmt.Errorf("%w: key %q is a %T", ErrUnsupportedAlgorithm, k.ID, raw)
	}
	return p, nil
}

// JWKS returns the public JWK set of keys, as served at
// /.well-known/jwks.json: {"keys":[...]} with kid, alg and use "sig" on
// every key and no private members.
func JWKS(keys []Key) ([]byte, error) {
	set := jwk.NewSet()
	for _, k := range keys {
		p, err := parseKey(k)
		if err != nil {
			return nil, err
		}
		pub, err := jwk.Import(p.pub)
		if err != nil {
			return nil, fmt.Errorf("token: key %q: %w", k.ID, err)
		}
		if err := setAll(pub, jwk.KeyIDKey, k.ID, jwk.AlgorithmKey, p.alg, jwk.KeyUsageKey, jwk.ForSignature); err != nil {
			return nil, fmt.Errorf("token: key %q: %w", k.ID, err)
		}
		if err := set.AddKey(pub); err != nil {
			return nil, fmt.Errorf("token: key %q: %w", k.ID, err)
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("token: encode JWKS: %w", err)
	}
	return b, nil
}

// setAll sets name, value pairs on k.
func setAll(k jwk.Key, pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		name := pairs[i].(string)
		if err := k.Set(name, pairs[i+1]); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	return nil
}
