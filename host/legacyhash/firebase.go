package legacyhash

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"

	"golang.org/x/crypto/scrypt"
)

// firebaseKeyLen is the length of the scrypt key Firebase derives; its
// first 32 bytes are the AES-256 key.
const firebaseKeyLen = 64

// verifyFirebaseScrypt checks Firebase Authentication's modified scrypt.
// Firebase keeps the project's parameters apart from the users' hashes, so
// the string joins both, in this package's own format:
//
//	$firebase-scrypt$rounds=8,mem_cost=14$<salt>$<salt separator>$<signer key>$<hash>
//
// rounds and mem_cost are the project's hash parameters, salt and hash the
// user's passwordSalt and passwordHash, salt separator and signer key the
// project's base64_salt_separator and base64_signer_key, all four in
// standard base64 as Firebase exports them. The hash is the signer key
// encrypted with AES-256-CTR (zero IV) under the first 32 bytes of
// scrypt(password, salt + salt separator, N = 2^mem_cost, r = rounds,
// p = 1, 64 bytes).
func verifyFirebaseScrypt(l *limits, hash, password []byte) (bool, error) {
	f := bytes.Split(hash, []byte("$"))
	if len(f) != 7 || len(f[0]) != 0 {
		return false, ErrUnknownFormat
	}
	p, err := parseParams(f[2], "rounds", "mem_cost")
	if err != nil {
		return false, err
	}
	rounds, memCost := p[0], p[1]
	if rounds < 1 || memCost < 1 {
		return false, ErrUnknownFormat
	}
	var parts [4][]byte
	for i := range parts {
		if parts[i], err = decodeB64(f[3+i]); err != nil {
			return false, ErrUnknownFormat
		}
	}
	salt, sep, signer, want := parts[0], parts[1], parts[2], parts[3]
	if len(signer) < minDigestLen || len(want) != len(signer) {
		return false, ErrUnknownFormat
	}
	if memCost >= 63 {
		return false, ErrTooExpensive
	}
	h := scryptHash{n: 1 << memCost, r: rounds, p: 1}
	if err := h.admit(l); err != nil {
		return false, err
	}
	dk, err := scrypt.Key(password, append(salt[:len(salt):len(salt)], sep...), int(h.n), int(h.r), 1, firebaseKeyLen)
	if err != nil {
		return false, ErrUnknownFormat
	}
	block, err := aes.NewCipher(dk[:32])
	if err != nil {
		return false, err
	}
	got := make([]byte, len(signer))
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(got, signer)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
