package legacyhash

import (
	"bytes"
	"encoding/base64"
	"math"
)

// parseDecimal reads an unsigned decimal made only of ASCII digits. A value
// too large for a uint64 saturates to math.MaxUint64, so that the caller's
// cap check reports it as too expensive rather than wrapping around.
func parseDecimal(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, ErrUnknownFormat
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, ErrUnknownFormat
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			n = math.MaxUint64
			continue
		}
		n = n*10 + d
	}
	return n, nil
}

// parseParams reads a PHC parameter list such as "m=65536,t=3,p=4" into the
// values of exactly the given keys, in any order, each present once.
func parseParams(b []byte, keys ...string) ([]uint64, error) {
	vals := make([]uint64, len(keys))
	seen := make([]bool, len(keys))
	parts := bytes.Split(b, []byte(","))
	if len(parts) != len(keys) {
		return nil, ErrUnknownFormat
	}
	for _, part := range parts {
		k, v, ok := bytes.Cut(part, []byte("="))
		if !ok {
			return nil, ErrUnknownFormat
		}
		i := indexOf(keys, k)
		if i < 0 || seen[i] {
			return nil, ErrUnknownFormat
		}
		n, err := parseDecimal(v)
		if err != nil {
			return nil, err
		}
		vals[i], seen[i] = n, true
	}
	return vals, nil
}

func indexOf(keys []string, k []byte) int {
	for i, key := range keys {
		if key == string(k) {
			return i
		}
	}
	return -1
}

// decodeB64 decodes the base64 of PHC strings and passlib: the standard
// alphabet, or passlib's "adapted" one with '.' for '+', padding optional.
// Unlike encoding/base64 on its own it refuses line breaks and any byte
// outside the alphabet.
func decodeB64(s []byte) ([]byte, error) {
	if trimmed := bytes.TrimRight(s, "="); len(trimmed) < len(s) {
		// Padding, when present, must be what completes the last quantum.
		if len(s)-len(trimmed) > 2 || len(s)%4 != 0 {
			return nil, ErrUnknownFormat
		}
		s = trimmed
	}
	buf := make([]byte, len(s))
	for i, c := range s {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			buf[i] = c
		case c == '.':
			buf[i] = '+'
		default:
			return nil, ErrUnknownFormat
		}
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(buf)))
	n, err := base64.RawStdEncoding.Decode(out, buf)
	if err != nil {
		return nil, ErrUnknownFormat
	}
	return out[:n], nil
}

// hasNUL reports whether p contains a NUL byte, where a C implementation of
// crypt(3) would have stopped reading the password.
func hasNUL(p []byte) bool {
	return bytes.IndexByte(p, 0) >= 0
}

// crypt64 is the alphabet of crypt(3)-style hashes.
const crypt64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// appendCrypt64 appends the crypt(3) base64 of b, taken as a little-endian
// bit stream in groups of three bytes (least significant six bits first), as
// phpass's encode64 does. A final group of one or two bytes yields two or
// three characters. md5-crypt and SHA-crypt use the same encoding over their
// digest bytes reordered.
func appendCrypt64(dst, b []byte) []byte {
	for i := 0; i < len(b); i += 3 {
		v := uint32(b[i])
		n := 2
		if i+1 < len(b) {
			v |= uint32(b[i+1]) << 8
			n = 3
		}
		if i+2 < len(b) {
			v |= uint32(b[i+2]) << 16
			n = 4
		}
		for j := 0; j < n; j++ {
			dst = append(dst, crypt64[v&0x3f])
			v >>= 6
		}
	}
	return dst
}

// permute returns b reordered by idx: out[i] = b[idx[i]].
func permute(b []byte, idx []byte) []byte {
	out := make([]byte, len(idx))
	for i, j := range idx {
		out[i] = b[j]
	}
	return out
}

// mulCapped returns a*b, saturating at math.MaxUint64.
func mulCapped(a, b uint64) uint64 {
	if a != 0 && b > math.MaxUint64/a {
		return math.MaxUint64
	}
	return a * b
}
