package legacyhash

import (
	"bytes"
	"context"
	"errors"
	"time"
)

// ErrUnknownFormat is returned by Verify for a hash it cannot parse: an
// unknown scheme, a malformed or truncated string, bad base64, out-of-range
// parameters, or a variant this package does not implement (such as argon2
// version 16).
var ErrUnknownFormat = errors.New("legacyhash: unknown hash format")

// ErrTooExpensive is returned by Verify, before any hashing, when the cost
// estimated from a hash's parameters (together with the password length,
// for the crypt(3)-style schemes whose work grows with it) exceeds MaxTime
// or MaxMemory, or argon2's parallelism exceeds MaxArgon2Threads.
var ErrTooExpensive = errors.New("legacyhash: hash parameters exceed the cost caps")

// MaxHashLen is the longest hash string Verify parses; longer input is
// reported as ErrUnknownFormat without being looked at.
const MaxHashLen = 1024

// minDigestLen is the shortest checksum accepted by the PHC and PBKDF2
// formats: a truncated checksum would let random passwords match.
const minDigestLen = 16

// limits holds the caps Verify applies, and how a verification runs. The
// package uses copies of defaultLimits; the fuzz target uses smaller caps.
type limits struct {
	maxTime       time.Duration
	maxMemory     int64
	argon2Threads uint64
	ctx           context.Context // checked by the interruptible loops; nil for none
	plan          *Cost           // set by Estimate: stop at the cost check and record it
}

// defaultLimits are the caps of Verify. Nothing writes to them after
// initialisation; they are a variable only so that Verify can pass their
// address without allocating.
var defaultLimits = limits{
	maxTime:       MaxTime,
	maxMemory:     MaxMemory,
	argon2Threads: MaxArgon2Threads,
}

// scheme is one supported hash format, recognised by its prefix.
type scheme struct {
	name   string
	prefix string
	verify func(l *limits, hash, password []byte) (bool, error)
}

// schemes lists the supported formats. No prefix is a prefix of another, so
// the order does not matter. Prefixes in braces, the schemes of LDAP's
// userPassword, match case-insensitively.
var schemes = []scheme{
	{"bcrypt", "$2a$", verifyBcrypt},
	{"bcrypt", "$2b$", verifyBcrypt},
	{"bcrypt", "$2y$", verifyBcrypt},
	{"bcrypt", "$2x$", verifyBcrypt},
	{"argon2id", "$argon2id$", verifyArgon2},
	{"argon2i", "$argon2i$", verifyArgon2},
	{"scrypt", "$scrypt$", verifyScrypt},
	{"pbkdf2-sha1", "$pbkdf2$", verifyPBKDF2},
	{"pbkdf2-sha1", "$pbkdf2-sha1$", verifyPBKDF2},
	{"pbkdf2-sha256", "$pbkdf2-sha256$", verifyPBKDF2},
	{"pbkdf2-sha512", "$pbkdf2-sha512$", verifyPBKDF2},
	{"django-pbkdf2-sha256", "pbkdf2_sha256$", verifyDjangoPBKDF2},
	{"django-pbkdf2-sha1", "pbkdf2_sha1$", verifyDjangoPBKDF2},
	{"django-argon2", "argon2$argon2", verifyDjangoArgon2},
	{"django-bcrypt", "bcrypt$$2", verifyDjangoBcrypt},
	{"django-bcrypt-sha256", "bcrypt_sha256$$2", verifyDjangoBcryptSHA256},
	{"phpass", "$P$", verifyPHPass},
	{"phpass", "$H$", verifyPHPass},
	{"md5-crypt", "$1$", verifyMD5Crypt},
	{"apr1-md5", "$apr1$", verifyMD5Crypt},
	{"sha256-crypt", "$5$", verifySHACrypt},
	{"sha512-crypt", "$6$", verifySHACrypt},
	{"django-scrypt", "scrypt$", verifyDjangoScrypt},
	{"wordpress-bcrypt", "$wp$2", verifyWordPressBcrypt},
	{"drupal7", "$S$", verifyDrupal7},
	{"drupal7", "U$S$", verifyDrupal7Upgraded},
	{"aspnet-identity", "A", verifyASPNetIdentity},
	{"firebase-scrypt", "$firebase-scrypt$", verifyFirebaseScrypt},
	{"ldap-md5", "{MD5}", verifyLDAP},
	{"ldap-salted-md5", "{SMD5}", verifyLDAP},
	{"ldap-sha1", "{SHA}", verifyLDAP},
	{"ldap-salted-sha1", "{SSHA}", verifyLDAP},
	{"ldap-sha256", "{SHA256}", verifyLDAP},
	{"ldap-salted-sha256", "{SSHA256}", verifyLDAP},
	{"ldap-sha384", "{SHA384}", verifyLDAP},
	{"ldap-salted-sha384", "{SSHA384}", verifyLDAP},
	{"ldap-sha512", "{SHA512}", verifyLDAP},
	{"ldap-salted-sha512", "{SSHA512}", verifyLDAP},
	{"ldap-crypt", "{CRYPT}", verifyLDAPCrypt},
}

func lookup(hash []byte) *scheme {
	for i := range schemes {
		p := schemes[i].prefix
		if bytes.HasPrefix(hash, []byte(p)) || p[0] == '{' && len(hash) >= len(p) && bytes.EqualFold(hash[:len(p)], []byte(p)) {
			return &schemes[i]
		}
	}
	return nil
}

// Verify reports whether password matches the legacy hash. It returns
// ErrUnknownFormat for a hash it cannot parse or does not know, and
// ErrTooExpensive when the hash's parameters exceed the caps; both are
// decided before any hashing. Digests are compared in constant time.
//
// Schemes defined by C crypt(3) implementations (bcrypt, md5-crypt,
// SHA-crypt) never match a password that contains a NUL byte, since C
// stops reading a password there.
func Verify(hash, password []byte) (bool, error) {
	return defaultLimits.verify(hash, password)
}

func (l *limits) verify(hash, password []byte) (bool, error) {
	if len(hash) > MaxHashLen {
		return false, ErrUnknownFormat
	}
	s := lookup(hash)
	if s == nil {
		return false, ErrUnknownFormat
	}
	return s.verify(l, hash, password)
}

// Format names the scheme of a hash ("bcrypt", "argon2id", "sha512-crypt",
// ...), judging by its prefix alone, or returns "" for an unknown one. It is
// meant for logs and metrics; Verify still checks the whole string.
func Format(hash []byte) string {
	if s := lookup(hash); s != nil {
		return s.name
	}
	return ""
}

// Memory reports how many bytes of working memory Verify allocates for hash,
// judged from its parameters alone: m KiB for argon2, 128·N·r + 128·r·p for
// scrypt. It returns 0 for the other formats, which need a few kilobytes at
// most, and for hashes Verify refuses without work (malformed or over the
// caps). It lets a caller bound the memory of concurrent verifications,
// for example with a weighted semaphore.
func Memory(hash []byte) int64 {
	c, _ := Estimate(hash, nil)
	return c.Memory
}
