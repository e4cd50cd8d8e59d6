package legacyhash

import (
	"bytes"
	"crypto/subtle"
	"math"

	"golang.org/x/crypto/scrypt"
)

// scryptHash is a parsed scrypt PHC string.
type scryptHash struct {
	n, r, p   uint64
	salt, sum []byte
}

// memory returns the bytes scrypt allocates: the mixing buffer V (128·N·r)
// and the lanes (128·r·p), saturating.
func (h *scryptHash) memory() uint64 {
	v := mulCapped(mulCapped(128, h.r), h.n)
	lanes := mulCapped(mulCapped(128, h.r), h.p)
	if v > ^uint64(0)-lanes {
		return ^uint64(0)
	}
	return v + lanes
}

// parseScrypt reads PHC scrypt strings as passlib writes them,
// "$scrypt$ln=16,r=8,p=1$" + salt + "$" + checksum in base64 without
// padding, where N = 2^ln, and checks their cost against the caps.
func parseScrypt(l *limits, hash []byte) (*scryptHash, error) {
	f := bytes.Split(hash, []byte("$"))
	if len(f) != 5 || len(f[0]) != 0 {
		return nil, ErrUnknownFormat
	}
	p, err := parseParams(f[2], "ln", "r", "p")
	if err != nil {
		return nil, err
	}
	ln := p[0]
	h := scryptHash{r: p[1], p: p[2]}
	if ln < 1 || h.r < 1 || h.p < 1 {
		return nil, ErrUnknownFormat
	}
	h.salt, err = decodeB64(f[3])
	if err != nil { // an empty salt is allowed: passlib accepts it
		return nil, ErrUnknownFormat
	}
	h.sum, err = decodeB64(f[4])
	if err != nil || len(h.sum) < minDigestLen {
		return nil, ErrUnknownFormat
	}
	if ln >= 63 {
		return nil, ErrTooExpensive
	}
	h.n = 1 << ln
	if err := h.admit(l); err != nil {
		return nil, err
	}
	return &h, nil
}

// admit checks the cost of h against l's caps: N·r·p units of work and
// memory for the mixing buffer and the lanes.
func (h *scryptHash) admit(l *limits) error {
	c := Cost{Time: nsCost(mulCapped(mulCapped(h.n, h.r), h.p), nsScryptBlock), Memory: int64(min(h.memory(), math.MaxInt64))}
	return l.admit(c)
}

func verifyScrypt(l *limits, hash, password []byte) (bool, error) {
	h, err := parseScrypt(l, hash)
	if err != nil {
		return false, err
	}
	return h.compare(password)
}

// verifyDjangoScrypt checks Django's ScryptPasswordHasher (Django 4.0+):
// "scrypt$16384$" + salt + "$8$1$" + checksum, that is N (a power of two),
// the salt as raw text, r, p, and the 64-byte key in standard base64.
func verifyDjangoScrypt(l *limits, hash, password []byte) (bool, error) {
	f := bytes.Split(hash, []byte("$"))
	if len(f) != 6 || len(f[2]) == 0 {
		return false, ErrUnknownFormat
	}
	n, errN := parseDecimal(f[1])
	r, errR := parseDecimal(f[3])
	p, errP := parseDecimal(f[4])
	if errN != nil || errR != nil || errP != nil || n < 2 || n&(n-1) != 0 || r < 1 || p < 1 {
		return false, ErrUnknownFormat
	}
	h := scryptHash{n: n, r: r, p: p, salt: f[2]}
	var err error
	h.sum, err = decodeB64(f[5])
	if err != nil || len(h.sum) < minDigestLen {
		return false, ErrUnknownFormat
	}
	if err := h.admit(l); err != nil {
		return false, err
	}
	return h.compare(password)
}

// compare derives a key as long as h's checksum and compares.
func (h *scryptHash) compare(password []byte) (bool, error) {
	got, err := scrypt.Key(password, h.salt, int(h.n), int(h.r), int(h.p), len(h.sum))
	if err != nil {
		return false, ErrUnknownFormat
	}
	return subtle.ConstantTimeCompare(got, h.sum) == 1, nil
}
