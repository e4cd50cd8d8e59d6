package legacyhash

import (
	"bytes"
	"crypto/subtle"
	"math"

	"github.com/wasmauth/wasmauth/internal/argon2x"
)

const argon2MinSalt = 8 // the reference implementation refuses shorter salts

// argon2Hash is a parsed argon2 PHC string.
type argon2Hash struct {
	id                    bool // argon2id, else argon2i
	memory, time, threads uint64
	salt, sum             []byte
}

// parseArgon2 reads PHC strings of argon2id and argon2i, version 19 (0x13):
// "$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$" + checksum, both in base64
// without padding, and checks their cost against the caps. Version 16 (no "v="
// field, or "v=16") is not supported: internal/argon2x (like x/crypto) implements
// only version 19.
func parseArgon2(l *limits, hash []byte) (*argon2Hash, error) {
	f := bytes.Split(hash, []byte("$"))
	if len(f) != 6 || len(f[0]) != 0 || string(f[2]) != "v=19" {
		return nil, ErrUnknownFormat
	}
	var h argon2Hash
	switch string(f[1]) {
	case "argon2id":
		h.id = true
	case "argon2i":
	default:
		return nil, ErrUnknownFormat
	}
	p, err := parseParams(f[3], "m", "t", "p")
	if err != nil {
		return nil, err
	}
	h.memory, h.time, h.threads = p[0], p[1], p[2]
	// The reference implementation refuses fewer than 8 KiB per lane and
	// more than 2^24-1 lanes; x/crypto would silently round m up instead.
	if h.time < 1 || h.threads < 1 || h.threads >= 1<<24 || h.memory < 8*h.threads {
		return nil, ErrUnknownFormat
	}
	h.salt, err = decodeB64(f[4])
	if err != nil || len(h.salt) < argon2MinSalt {
		return nil, ErrUnknownFormat
	}
	h.sum, err = decodeB64(f[5])
	if err != nil || len(h.sum) < minDigestLen {
		return nil, ErrUnknownFormat
	}
	if h.threads > l.argon2Threads {
		return nil, ErrTooExpensive
	}
	c := Cost{Time: nsCost(mulCapped(h.memory, h.time), nsArgon2KiB), Memory: int64(min(mulCapped(h.memory, 1024), math.MaxInt64))}
	if err := l.admit(c); err != nil {
		return nil, err
	}
	return &h, nil
}

func verifyArgon2(l *limits, hash, password []byte) (bool, error) {
	h, err := parseArgon2(l, hash)
	if err != nil {
		return false, err
	}
	derive := argon2x.Key
	if h.id {
		derive = argon2x.IDKey
	}
	got := derive(password, h.salt, uint32(h.time), uint32(h.memory), uint8(h.threads), uint32(len(h.sum)))
	return subtle.ConstantTimeCompare(got, h.sum) == 1, nil
}

// verifyDjangoArgon2 checks Django's "argon2" + PHC string.
func verifyDjangoArgon2(l *limits, hash, password []byte) (bool, error) {
	return verifyArgon2(l, hash[len("argon2"):], password)
}
