package legacyhash

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"hash"
	"math"
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
	newHash, order, size, block, ns := sha256.New, sha256CryptOrder, uint64(sha256.Size), uint64(sha256.BlockSize), uint64(nsSHA256Block)
	if hash[1] == '6' {
		newHash, order, size, block, ns = sha512.New, sha512CryptOrder, sha512.Size, sha512.BlockSize, nsSHA512Block
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
	// Each round hashes the last digest, the password twice and the salt;
	// before the rounds, P hashes the password once per byte of it.
	pw := uint64(len(password))
	perRound := mdBlocks(size+2*pw+uint64(len(salt)), block)
	blocks := mulCapped(rounds, perRound)
	if p := mdBlocks(mulCapped(pw, pw), block); blocks < math.MaxUint64-p {
		blocks += p
	} else {
		blocks = math.MaxUint64
	}
	if err := l.admit(Cost{Time: nsCost(blocks, ns)}); err != nil {
		return false, err
	}
	if hasNUL(password) {
		return false, nil
	}
	sum, err := shaCrypt(l, newHash, password, salt, int(min(rounds, math.MaxInt32)))
	if err != nil {
		return false, err
	}
	got := appendCrypt64(make([]byte, 0, sumLen), permute(sum, order))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// shaCrypt returns the raw SHA-crypt digest.
func shaCrypt(l *limits, newHash func() hash.Hash, password, salt []byte, rounds int) ([]byte, error) {
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
	return cryptRounds(l, h, a, p, s, rounds)
}
