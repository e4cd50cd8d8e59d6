package legacyhash

import (
	"bytes"
	"crypto/subtle"

	"golang.org/x/crypto/argon2"
)

const argon2MinSalt = 8 // the reference implementation refuses shorter salts

// verifyArgon2 checks PHC strings of argon2id and argon2i, version 19 (0x13):
// "$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$" + checksum, both in base64
// without padding. Version 16 (no "v=" field, or "v=16") is not supported:
// golang.org/x/crypto/argon2 implements only version 19.
func verifyArgon2(l *limits, hash, password []byte) (bool, error) {
	f := bytes.Split(hash, []byte("$"))
	if len(f) != 6 || len(f[0]) != 0 || string(f[2]) != "v=19" {
		return false, ErrUnknownFormat
	}
	p, err := parseParams(f[3], "m", "t", "p")
	if err != nil {
		return false, err
	}
	memory, time, threads := p[0], p[1], p[2]
	// The reference implementation refuses fewer than 8 KiB per lane and
	// more than 2^24-1 lanes; x/crypto would silently round m up instead.
	if time < 1 || threads < 1 || threads >= 1<<24 || memory < 8*threads {
		return false, ErrUnknownFormat
	}
	salt, err := decodeB64(f[4])
	if err != nil || len(salt) < argon2MinSalt {
		return false, ErrUnknownFormat
	}
	want, err := decodeB64(f[5])
	if err != nil || len(want) < minDigestLen {
		return false, ErrUnknownFormat
	}
	if memory > l.argon2MemoryKiB || time > l.argon2Time || threads > l.argon2Threads {
		return false, ErrTooExpensive
	}
	var got []byte
	switch string(f[1]) {
	case "argon2id":
		got = argon2.IDKey(password, salt, uint32(time), uint32(memory), uint8(threads), uint32(len(want)))
	case "argon2i":
		got = argon2.Key(password, salt, uint32(time), uint32(memory), uint8(threads), uint32(len(want)))
	default:
		return false, ErrUnknownFormat
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// verifyDjangoArgon2 checks Django's "argon2" + PHC string.
func verifyDjangoArgon2(l *limits, hash, password []byte) (bool, error) {
	return verifyArgon2(l, hash[len("argon2"):], password)
}
