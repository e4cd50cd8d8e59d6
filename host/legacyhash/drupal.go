package legacyhash

import (
	"crypto/md5"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

const (
	drupalHashLen  = 55 // "$S$" + count + 8 salt + 43 checksum
	drupalMinLog2  = 7
	drupalMaxLog2  = 30
	drupalSettings = 12
	drupalMaxPass  = 512 // DRUPAL_MAX_PASSWORD_LENGTH: longer passwords never match
)

// verifyDrupal7 checks Drupal 7's "$S$" hashes, _password_crypt with
// SHA-512: "$S$" + one character giving log2 of the iteration count + 8
// characters of salt + the first 43 characters of the crypt(3) base64 of
// the digest, where digest = SHA-512(salt + password), then 2^count times
// SHA-512(digest + password). As in Drupal, a password longer than 512
// bytes never matches.
func verifyDrupal7(l *limits, hash, password []byte) (bool, error) {
	if len(hash) != drupalHashLen {
		return false, ErrUnknownFormat
	}
	log2 := strings.IndexByte(crypt64, hash[3])
	if log2 < drupalMinLog2 || log2 > drupalMaxLog2 {
		return false, ErrUnknownFormat
	}
	salt, want := hash[4:drupalSettings], hash[drupalSettings:]
	for _, c := range want {
		if !isCrypt64(c) {
			return false, ErrUnknownFormat
		}
	}
	count := uint64(1) << log2
	perRound := mdBlocks(uint64(sha512.Size+len(password)), sha512.BlockSize)
	if err := l.admit(Cost{Time: nsCost(mulCapped(count, perRound), nsSHA512Block)}); err != nil {
		return false, err
	}
	if len(password) > drupalMaxPass {
		return false, nil
	}
	buf := make([]byte, sha512.Size+len(password))
	copy(buf[sha512.Size:], password)
	sum := sha512.Sum512(append(append([]byte{}, salt...), password...))
	for i := uint64(0); i < count; i++ {
		if err := l.stopped(int(i + 1)); err != nil {
			return false, err
		}
		copy(buf, sum[:])
		sum = sha512.Sum512(buf)
	}
	got := appendCrypt64(make([]byte, 0, 86), sum[:])[:len(want)]
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// verifyDrupal7Upgraded checks Drupal 7's "U$S$" hashes, which Drupal's
// upgrade from Drupal 6 wrote over the unsalted MD5 hashes of Drupal 6:
// a "$S$" hash of the lowercase hex MD5 of the password.
func verifyDrupal7Upgraded(l *limits, hash, password []byte) (bool, error) {
	sum := md5.Sum(password)
	return verifyDrupal7(l, hash[len("U"):], []byte(hex.EncodeToString(sum[:])))
}
