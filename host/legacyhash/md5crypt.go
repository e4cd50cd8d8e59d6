package legacyhash

import (
	"bytes"
	"crypto/md5"
	"crypto/subtle"
)

const (
	md5CryptRounds  = 1000
	md5CryptMaxSalt = 8
	md5CryptSumLen  = 22
)

// md5CryptOrder is the order in which md5-crypt encodes its digest bytes.
var md5CryptOrder = []byte{12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11}

// verifyMD5Crypt checks Poul-Henning Kamp's md5-crypt, "$1$" + salt (at most
// 8 characters) + "$" + 22 characters of checksum, and Apache's variant of
// it with the magic "$apr1$".
func verifyMD5Crypt(l *limits, hash, password []byte) (bool, error) {
	magic := []byte("$1$")
	if bytes.HasPrefix(hash, []byte("$apr1$")) {
		magic = []byte("$apr1$")
	}
	salt, want, ok := bytes.Cut(hash[len(magic):], []byte("$"))
	if !ok || len(salt) > md5CryptMaxSalt || len(want) != md5CryptSumLen {
		return false, ErrUnknownFormat
	}
	for _, c := range want {
		if !isCrypt64(c) {
			return false, ErrUnknownFormat
		}
	}
	if mulCapped(2*md5CryptRounds+3, uint64(len(password))) > l.passwordWork {
		return false, ErrTooExpensive
	}
	if hasNUL(password) {
		return false, nil
	}
	got := appendCrypt64(make([]byte, 0, md5CryptSumLen), permute(md5Crypt(password, magic, salt), md5CryptOrder))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// md5Crypt returns the raw md5-crypt digest.
func md5Crypt(password, magic, salt []byte) []byte {
	alt := md5.New()
	alt.Write(password)
	alt.Write(salt)
	alt.Write(password)
	altSum := alt.Sum(nil)

	h := md5.New()
	h.Write(password)
	h.Write(magic)
	h.Write(salt)
	for n := len(password); n > 0; n -= md5.Size {
		h.Write(altSum[:min(n, md5.Size)])
	}
	for n := len(password); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write([]byte{0})
		} else {
			h.Write(password[:1])
		}
	}
	sum := h.Sum(nil)

	for i := 0; i < md5CryptRounds; i++ {
		h.Reset()
		if i&1 != 0 {
			h.Write(password)
		} else {
			h.Write(sum)
		}
		if i%3 != 0 {
			h.Write(salt)
		}
		if i%7 != 0 {
			h.Write(password)
		}
		if i&1 != 0 {
			h.Write(sum)
		} else {
			h.Write(password)
		}
		sum = h.Sum(sum[:0])
	}
	return sum
}
