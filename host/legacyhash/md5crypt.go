package legacyhash

import (
	"bytes"
	"crypto/md5"
	"crypto/subtle"
	"hash"
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
	pw := uint64(len(password))
	perRound := mdBlocks(md5.Size+uint64(len(salt))+2*pw, md5.BlockSize)
	if err := l.admit(Cost{Time: nsCost(mulCapped(md5CryptRounds, perRound)+mdBlocks(4*pw, md5.BlockSize), nsMD5Block)}); err != nil {
		return false, err
	}
	if hasNUL(password) {
		return false, nil
	}
	sum, err := md5Crypt(l, password, magic, salt)
	if err != nil {
		return false, err
	}
	got := appendCrypt64(make([]byte, 0, md5CryptSumLen), permute(sum, md5CryptOrder))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// md5Crypt returns the raw md5-crypt digest.
func md5Crypt(l *limits, password, magic, salt []byte) ([]byte, error) {
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
	return cryptRounds(l, h, h.Sum(nil), password, salt, md5CryptRounds)
}

// cryptRounds is the stretching loop md5-crypt introduced and SHA-crypt
// took over unchanged (its specification's step 21): each round hashes the
// previous digest and p, in an order that alternates, with s added on
// rounds not divisible by 3 and p on rounds not divisible by 7. md5-crypt
// passes the password and the salt; SHA-crypt passes its P and S sequences.
// It reuses h and sum's memory and returns the last digest, or the error of
// l's context when it ends first.
func cryptRounds(l *limits, h hash.Hash, sum, p, s []byte, rounds int) ([]byte, error) {
	for i := 0; i < rounds; i++ {
		if err := l.stopped(i + 1); err != nil {
			return nil, err
		}
		h.Reset()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(sum)
		}
		if i%3 != 0 {
			h.Write(s)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(sum)
		} else {
			h.Write(p)
		}
		sum = h.Sum(sum[:0])
	}
	return sum, nil
}
