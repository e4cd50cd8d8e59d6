package legacyhash

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
)

// ErrUnknownAlgorithm is returned by Digest for an algorithm name other than
// "md5", "sha1", "sha256" and "sha512".
var ErrUnknownAlgorithm = errors.New("legacyhash: unknown digest algorithm")

// Digest hashes data with "md5", "sha1", "sha256" or "sha512" (exactly these
// lowercase names) and returns the raw digest. It returns ErrUnknownAlgorithm
// for any other name. It serves legacy schemes such as sha256(salt +
// password) that a tenant's script composes itself.
func Digest(algo string, data []byte) ([]byte, error) {
	switch algo {
	case "md5":
		s := md5.Sum(data)
		return s[:], nil
	case "sha1":
		s := sha1.Sum(data)
		return s[:], nil
	case "sha256":
		s := sha256.Sum256(data)
		return s[:], nil
	case "sha512":
		s := sha512.Sum512(data)
		return s[:], nil
	}
	return nil, ErrUnknownAlgorithm
}
