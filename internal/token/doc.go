// Package token issues and checks the tokens of the auth server: access
// tokens, refresh tokens and the public key set that lets others verify
// access tokens.
//
// Access tokens are JWTs in the RFC 9068 profile (header typ "at+jwt"),
// signed with a tenant's own ES256 or EdDSA key and verified only against
// that tenant's keys, chosen by the kid header; no other algorithm is
// accepted. Signing keys are stored as PKCS#8 DER (Key); a KeyCache parses
// each key once and reuses it.
//
// Refresh tokens are opaque: 256 random bits, base64url encoded, stored only
// as their SHA-256 hash.
//
// JOSE encoding, signing and claim validation are done by
// github.com/lestrrat-go/jwx/v3.
package token
