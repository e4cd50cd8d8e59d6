package legacyhash

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"fmt"
	"hash"
)

// pbkdf2Hash returns the HMAC hash named by a PHC or Django identifier.
func pbkdf2Hash(ident string) (func() hash.Hash, int) {
	switch ident {
	case "pbkdf2", "pbkdf2-sha1", "pbkdf2_sha1":
		return sha1.New, sha1.Size
	case "pbkdf2-sha256", "pbkdf2_sha256":
		return sha256.New, sha256.Size
	case "pbkdf2-sha512":
		return sha512.New, sha512.Size
	}
	return nil, 0
}

// verifyPBKDF2 checks PHC-style PBKDF2 strings: passlib's
// "$pbkdf2-sha256$29000$" + salt + "$" + checksum (and "$pbkdf2$" for SHA-1,
// "$pbkdf2-sha512$"), in passlib's adapted base64 ('.' for '+') or the
// standard one, and the PHC form whose rounds read "i=29000" or
// "i=29000,l=32".
func verifyPBKDF2(l *limits, hash, password []byte) (bool, error) {
	f := bytes.Split(hash, []byte("$"))
	if len(f) != 5 || len(f[0]) != 0 {
		return false, ErrUnknownFormat
	}
	h, size := pbkdf2Hash(string(f[1]))
	if h == nil {
		return false, ErrUnknownFormat
	}
	iter, keyLen, err := parsePBKDF2Rounds(f[2])
	if err != nil {
		return false, err
	}
	salt, err := decodeB64(f[3])
	if err != nil { // an empty salt is allowed: passlib accepts it
		return false, ErrUnknownFormat
	}
	want, err := decodeB64(f[4])
	if err != nil || len(want) < minDigestLen || keyLen != 0 && keyLen != uint64(len(want)) {
		return false, ErrUnknownFormat
	}
	return pbkdf2Compare(l, h, size, password, salt, iter, want)
}

// parsePBKDF2Rounds reads passlib's plain "29000" or PHC's "i=29000" and
// "i=29000,l=32"; keyLen is 0 when not given.
func parsePBKDF2Rounds(b []byte) (iter, keyLen uint64, err error) {
	if !bytes.HasPrefix(b, []byte("i=")) {
		iter, err = parseDecimal(b)
		return iter, 0, err
	}
	if !bytes.Contains(b, []byte(",")) {
		p, err := parseParams(b, "i")
		if err != nil {
			return 0, 0, err
		}
		return p[0], 0, nil
	}
	p, err := parseParams(b, "i", "l")
	if err != nil {
		return 0, 0, err
	}
	return p[0], p[1], nil
}

// verifyDjangoPBKDF2 checks Django's "pbkdf2_sha256$260000$" + salt + "$" +
// checksum (and "pbkdf2_sha1$"), where the salt is taken as raw text and the
// checksum, one digest long, is in standard base64.
func verifyDjangoPBKDF2(l *limits, hash, password []byte) (bool, error) {
	f := bytes.Split(hash, []byte("$"))
	if len(f) != 4 || len(f[2]) == 0 {
		return false, ErrUnknownFormat
	}
	h, size := pbkdf2Hash(string(f[0]))
	if h == nil {
		return false, ErrUnknownFormat
	}
	iter, err := parseDecimal(f[1])
	if err != nil {
		return false, err
	}
	want, err := decodeB64(f[3])
	if err != nil || len(want) != size {
		return false, ErrUnknownFormat
	}
	return pbkdf2Compare(l, h, size, password, f[2], iter, want)
}

// pbkdf2Compare checks the caps, derives a key as long as want and compares.
func pbkdf2Compare(l *limits, h func() hash.Hash, size int, password, salt []byte, iter uint64, want []byte) (bool, error) {
	if iter < 1 {
		return false, ErrUnknownFormat
	}
	blocks := uint64((len(want) + size - 1) / size)
	if mulCapped(iter, blocks) > l.pbkdf2Iter {
		return false, ErrTooExpensive
	}
	got, err := pbkdf2.Key(h, string(password), salt, int(iter), len(want))
	if err != nil {
		// Only FIPS 140 mode refuses these inputs.
		return false, fmt.Errorf("legacyhash: pbkdf2: %w", err)
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
