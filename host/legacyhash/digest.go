package legacyhash

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"
	"strings"
)

// ErrUnknownAlgorithm is returned by Digest for an algorithm name it does
// not know.
var ErrUnknownAlgorithm = errors.New("legacyhash: unknown digest algorithm")

// MaxHMACKey is the longest HMAC key Digest takes.
const MaxHMACKey = 1024

// digests are the hashes Digest knows, by name.
var digests = map[string]func() hash.Hash{
	"md5":    md5.New,
	"sha1":   sha1.New,
	"sha256": sha256.New,
	"sha384": sha512.New384,
	"sha512": sha512.New,
}

// Digest hashes data with "md5", "sha1", "sha256", "sha384" or "sha512"
// (exactly these lowercase names) and returns the raw digest. An algorithm
// "hmac-<name>:<key>", such as "hmac-sha384:wp-sha384", computes
// HMAC-<name> of data keyed with the bytes after the first colon (any
// bytes, empty included, at most MaxHMACKey). It returns
// ErrUnknownAlgorithm for any other name. It serves legacy schemes such as
// sha256(salt + password) that a tenant's script composes itself.
func Digest(algo string, data []byte) ([]byte, error) {
	if name, key, ok := cutHMAC(algo); ok {
		h, known := digests[name]
		if !known || len(key) > MaxHMACKey {
			return nil, ErrUnknownAlgorithm
		}
		mac := hmac.New(h, []byte(key))
		mac.Write(data)
		return mac.Sum(nil), nil
	}
	h, known := digests[algo]
	if !known {
		return nil, ErrUnknownAlgorithm
	}
	d := h()
	d.Write(data)
	return d.Sum(nil), nil
}

// cutHMAC splits "hmac-<name>:<key>" into name and key.
func cutHMAC(algo string) (name, key string, ok bool) {
	rest, found := strings.CutPrefix(algo, "hmac-")
	if !found {
		return "", "", false
	}
	return strings.Cut(rest, ":")
}
