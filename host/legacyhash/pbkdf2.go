package legacyhash

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"hash"
)

// prf is the HMAC hash of a PBKDF2 variant and the estimated cost of one
// iteration.
type prf struct {
	new  func() hash.Hash
	size int
	ns   uint64
}

// pbkdf2Hash returns the HMAC hash named by a PHC or Django identifier.
func pbkdf2Hash(ident string) (prf, bool) {
	switch ident {
	case "pbkdf2", "pbkdf2-sha1", "pbkdf2_sha1":
		return prf{sha1.New, sha1.Size, nsPBKDF2SHA1}, true
	case "pbkdf2-sha256", "pbkdf2_sha256":
		return prf{sha256.New, sha256.Size, nsPBKDF2SHA256}, true
	case "pbkdf2-sha512":
		return prf{sha512.New, sha512.Size, nsPBKDF2SHA512}, true
	}
	return prf{}, false
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
	h, ok := pbkdf2Hash(string(f[1]))
	if !ok {
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
	return pbkdf2Compare(l, h, password, salt, iter, want)
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
	h, ok := pbkdf2Hash(string(f[0]))
	if !ok {
		return false, ErrUnknownFormat
	}
	iter, err := parseDecimal(f[1])
	if err != nil {
		return false, err
	}
	want, err := decodeB64(f[3])
	if err != nil || len(want) != h.size {
		return false, ErrUnknownFormat
	}
	return pbkdf2Compare(l, h, password, f[2], iter, want)
}

// pbkdf2Compare checks the cost, derives a key as long as want and compares.
func pbkdf2Compare(l *limits, h prf, password, salt []byte, iter uint64, want []byte) (bool, error) {
	if iter < 1 {
		return false, ErrUnknownFormat
	}
	blocks := uint64((len(want) + h.size - 1) / h.size)
	if err := l.admit(Cost{Time: nsCost(mulCapped(iter, blocks), h.ns)}); err != nil {
		return false, err
	}
	got, err := pbkdf2Key(l, h, password, salt, int(iter), len(want))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// pbkdf2Key is PBKDF2 (RFC 8018, section 5.2), as crypto/pbkdf2 computes
// it, with the iterations stopping when l's context ends.
func pbkdf2Key(l *limits, h prf, password, salt []byte, iter, keyLen int) ([]byte, error) {
	mac := hmac.New(h.new, password)
	dk := make([]byte, 0, (keyLen+h.size-1)/h.size*h.size)
	u := make([]byte, 0, h.size)
	var counter [4]byte
	for block := uint32(1); len(dk) < keyLen; block++ {
		binary.BigEndian.PutUint32(counter[:], block)
		mac.Reset()
		mac.Write(salt)
		mac.Write(counter[:])
		dk = mac.Sum(dk)
		t := dk[len(dk)-h.size:]
		u = append(u[:0], t...)
		for n := 2; n <= iter; n++ {
			if err := l.stopped(n); err != nil {
				return nil, err
			}
			mac.Reset()
			mac.Write(u)
			u = mac.Sum(u[:0])
			subtle.XORBytes(t, t, u)
		}
	}
	return dk[:keyLen], nil
}
