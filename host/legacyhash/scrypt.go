package legacyhash

import (
	"bytes"
	"crypto/subtle"

	"golang.org/x/crypto/scrypt"
)

// verifyScrypt checks PHC scrypt strings as passlib writes them:
// "$scrypt$ln=16,r=8,p=1$" + salt + "$" + checksum, base64 without padding,
// where N = 2^ln.
func verifyScrypt(l *limits, hash, password []byte) (bool, error) {
	f := bytes.Split(hash, []byte("$"))
	if len(f) != 5 || len(f[0]) != 0 {
		return false, ErrUnknownFormat
	}
	p, err := parseParams(f[2], "ln", "r", "p")
	if err != nil {
		return false, err
	}
	ln, r, par := p[0], p[1], p[2]
	if ln < 1 || r < 1 || par < 1 {
		return false, ErrUnknownFormat
	}
	salt, err := decodeB64(f[3])
	if err != nil { // an empty salt is allowed: passlib accepts it
		return false, ErrUnknownFormat
	}
	want, err := decodeB64(f[4])
	if err != nil || len(want) < minDigestLen {
		return false, ErrUnknownFormat
	}
	if ln >= 63 {
		return false, ErrTooExpensive
	}
	n := uint64(1) << ln
	memory := mulCapped(mulCapped(128, r), n) // the mixing buffer, V
	lanes := mulCapped(mulCapped(128, r), par)
	if n > l.scryptN || memory > l.scryptMemory || lanes > l.scryptMemory-memory ||
		mulCapped(mulCapped(n, r), par) > l.scryptWork {
		return false, ErrTooExpensive
	}
	got, err := scrypt.Key(password, salt, int(n), int(r), int(par), len(want))
	if err != nil {
		return false, ErrUnknownFormat
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
