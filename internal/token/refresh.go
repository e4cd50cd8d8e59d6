package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// refreshTokenBytes is the entropy of a refresh token: 256 bits.
const refreshTokenBytes = 32

// NewRefreshToken returns a new opaque refresh token (256 random bits,
// base64url without padding, 43 characters) and its SHA-256 hash, which is
// all that should be stored.
func NewRefreshToken() (token string, hash []byte, err error) {
	b := make([]byte, refreshTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashRefreshToken(token), nil
}

// HashRefreshToken returns the SHA-256 hash of token, the form a refresh
// token is stored and looked up in.
func HashRefreshToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
