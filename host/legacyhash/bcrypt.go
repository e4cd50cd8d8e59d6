package legacyhash

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"golang.org/x/crypto/bcrypt"
)

const (
	bcryptHashLen   = 60
	bcryptMinCost   = 4
	bcryptMaxKeyLen = 72 // bytes of the password bcrypt reads
)

// verifyBcrypt checks "$2a$", "$2b$", "$2y$" and "$2x$" hashes:
// "$2b$12$" + 22 characters of salt + 31 of checksum.
func verifyBcrypt(l *limits, hash, password []byte) (bool, error) {
	if len(hash) != bcryptHashLen || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$' {
		return false, ErrUnknownFormat
	}
	switch hash[2] {
	case 'a', 'b', 'x', 'y':
	default:
		return false, ErrUnknownFormat
	}
	cost, err := parseDecimal(hash[4:6])
	if err != nil || cost < bcryptMinCost {
		return false, ErrUnknownFormat
	}
	for _, c := range hash[7:] {
		if !isCrypt64(c) {
			return false, ErrUnknownFormat
		}
	}
	if cost > 62 {
		return false, ErrTooExpensive
	}
	if err := l.admit(Cost{Time: nsCost(1<<cost, nsBcryptRound)}); err != nil {
		return false, err
	}
	if hasNUL(password) {
		return false, nil
	}
	if len(password) > bcryptMaxKeyLen {
		// bcrypt never reads past the 72nd byte; cutting here spares a copy
		// of a long password and gives the same result.
		password = password[:bcryptMaxKeyLen]
	}
	if hash[2] == 'x' {
		password = bcryptSignExtendedKey(password)
	}
	err = bcrypt.CompareHashAndPassword(hash, password)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		// Only a salt whose last character carries stray bits gets here.
		return false, ErrUnknownFormat
	}
}

// bcryptSignExtendedKey returns a 72-byte key that bcrypt expands exactly as
// crypt_blowfish before 1.1 expanded password: that version sign-extended
// each byte with the high bit set when packing the cyclic key (the password
// and its NUL) into 32-bit words, and "$2x$" marks hashes made that way.
// Blowfish reads a key as 18 big-endian words starting over at each
// expansion, so the 18 buggy words written out are an equivalent key; the
// NUL bcrypt appends after them is never reached.
func bcryptSignExtendedKey(password []byte) []byte {
	cyclic := append(password[:len(password):len(password)], 0)
	out := make([]byte, bcryptMaxKeyLen)
	pos := 0
	for i := 0; i < bcryptMaxKeyLen; i += 4 {
		var w uint32
		for j := 0; j < 4; j++ {
			w = w<<8 | uint32(int32(int8(cyclic[pos])))
			pos = (pos + 1) % len(cyclic)
		}
		out[i], out[i+1], out[i+2], out[i+3] = byte(w>>24), byte(w>>16), byte(w>>8), byte(w)
	}
	return out
}

// verifyDjangoBcrypt checks Django's "bcrypt$" + bcrypt hash.
func verifyDjangoBcrypt(l *limits, hash, password []byte) (bool, error) {
	return verifyBcrypt(l, hash[len("bcrypt$"):], password)
}

// verifyDjangoBcryptSHA256 checks Django's "bcrypt_sha256$" + bcrypt hash of
// the lowercase hex SHA-256 of the password.
func verifyDjangoBcryptSHA256(l *limits, hash, password []byte) (bool, error) {
	sum := sha256.Sum256(password)
	return verifyBcrypt(l, hash[len("bcrypt_sha256$"):], []byte(hex.EncodeToString(sum[:])))
}

func isCrypt64(c byte) bool {
	return c == '.' || c == '/' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}
