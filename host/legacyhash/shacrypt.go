package legacyhash

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"hash"
)

const (
	shaCryptDefaultRounds = 5000
	shaCryptMinRounds     = 1000
	shaCryptMaxSalt       = 16
)

// The orders in which SHA-crypt encodes its digest bytes.
var (
	sha256CryptOrder = []byte{
		20, 10, 0, 11, 1, 21, 2, 22, 12, 23, 13, 3, 14, 4, 24, 5, 25, 15,
		26, 16, 6, 17, 7, 27, 8, 28, 18, 29, 19, 9, 30, 31,
	}
	sha512CryptOrder = []byte{
		42, 21, 0, 1, 43, 22, 23, 2, 44, 45, 24, 3, 4, 46, 25, 26, 5, 47,
		48, 27, 6, 7, 49, 28, 29, 8, 50, 51, 30, 9, 10, 52, 31, 32, 11, 53,
		54, 33, 12, 13, 55, 34, 35, 14, 56, 57, 36, 15, 16, 58, 37, 38, 17, 59,
		60, 39, 18, 19, 61, 40, 41, 20, 62, 63,
	}
)

// verifySHACrypt checks Ulrich Drepper's SHA-crypt: "$5$" (SHA-256) or "$6$"
// (SHA-512), an optional "rounds=N$", a salt of at most 16 characters, "$"
// and the checksum (43 or 86 characters). Without "rounds=" the rounds are
// 5000; a value below 1000 counts as 1000, as the specification says (the
// specification's upper clamp, 999,999,999, is far above the cap).
func verifySHACrypt(l *limits, hash, password []byte) (bool, error) {
	newHash, order := sha256.New, sha256CryptOrder
	if hash[1] == '6' {
		newHash, order = sha512.New, sha512CryptOrder
	}
	rest := hash[3:]
	rounds := uint64(shaCryptDefaultRounds)
	if r, ok := bytes.CutPrefix(rest, []byte("rounds=")); ok {
		num, after, ok := bytes.Cut(r, []byte("$"))
		if !ok {
			return false, ErrUnknownFormat
		}
		n, err := parseDecimal(num)
		if err != nil {
			return false, err
		}
		rounds, rest = max(n, shaCryptMinRounds), after
	}
	salt, want, ok := bytes.Cut(rest, []byte("$"))
	sumLen := (len(order)*8 + 5) / 6
	if !ok || len(salt) > shaCryptMaxSalt || len(want) != sumLen {
		return false, ErrUnknownFormat
	}
	for _, c := range want {
		if !isCrypt64(c) {
			return false, ErrUnknownFormat
		}
	}
	pw := uint64(len(password))
	if rounds > l.shaCryptRounds || mulCapped(pw, pw)+mulCapped(rounds, 2*pw+3) > l.passwordWork {
		return false, ErrTooExpensive
	}
	if hasNUL(password) {
		return false, nil
	}
	got := appendCrypt64(make([]byte, 0, sumLen), permute(shaCrypt(newHash, password, salt, int(rounds)), order))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// shaCrypt returns the raw SHA-crypt digest.
func shaCrypt(newHash func() hash.Hash, password, salt []byte, rounds int) []byte {
	h := newHash()
	size := h.Size()

	// Digest B: password, salt, password.
	h.Write(password)
	h.Write(salt)
	h.Write(password)
	b := h.Sum(nil)

	// Digest A: password, salt, B stretched to the password's length, then
	// B or the password for each bit of the password's length.
	h.Reset()
	h.Write(password)
	h.Write(salt)
	for n := len(password); n > 0; n -= size {
		h.Write(b[:min(n, size)])
	}
	for n := len(password); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write(b)
		} else {
			h.Write(password)
		}
	}
	a := h.Sum(nil)

	// P: the digest of the password repeated once per byte, stretched to
	// the password's length.
	h.Reset()
	for range password {
		h.Write(password)
	}
	dp := h.Sum(nil)
	p := make([]byte, 0, len(password))
	for n := len(password); n > 0; n -= size {
		p = append(p, dp[:min(n, size)]...)
	}

	// S: the digest of the salt repeated 16 + A[0] times, cut to the salt's
	// length (at most 16, shorter than any digest).
	h.Reset()
	for i := 0; i < 16+int(a[0]); i++ {
		h.Write(salt)
	}
	s := h.Sum(nil)[:len(salt)]

	// C: rounds of md5-crypt's stretching loop over A, P and S.
	return cryptRounds(h, a, p, s, rounds)
}
