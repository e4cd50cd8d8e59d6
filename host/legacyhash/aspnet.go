package legacyhash

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
)

const (
	aspnetV2Len      = 1 + 16 + 32 // format marker, salt, subkey
	aspnetV2Iter     = 1000
	aspnetV3Header   = 1 + 3*4 // format marker, PRF, iteration count, salt length
	aspnetMinSaltLen = 16      // VerifyHashedPasswordV3 refuses shorter salts
)

// verifyASPNetIdentity checks the password hashes of ASP.NET Identity's
// PasswordHasher, stored as standard base64 of a binary blob:
//
//	v2: 0x00, a 16-byte salt, a 32-byte PBKDF2-HMAC-SHA1 subkey of 1000
//	    iterations;
//	v3: 0x01, then big-endian uint32s for the PRF (0 HMAC-SHA1,
//	    1 HMAC-SHA256, 2 HMAC-SHA512), the iteration count and the salt
//	    length, then the salt and the subkey (the rest, at least 16 bytes).
func verifyASPNetIdentity(l *limits, hash, password []byte) (bool, error) {
	blob := make([]byte, base64.StdEncoding.DecodedLen(len(hash)))
	n, err := base64.StdEncoding.Strict().Decode(blob, hash)
	if err != nil || n == 0 {
		return false, ErrUnknownFormat
	}
	blob = blob[:n]
	switch blob[0] {
	case 0x00:
		if len(blob) != aspnetV2Len {
			return false, ErrUnknownFormat
		}
		return pbkdf2Compare(l, prf{sha1.New, sha1.Size, nsPBKDF2SHA1}, password, blob[1:17], aspnetV2Iter, blob[17:])
	case 0x01:
		if len(blob) < aspnetV3Header {
			return false, ErrUnknownFormat
		}
		var h prf
		switch binary.BigEndian.Uint32(blob[1:5]) {
		case 0:
			h = prf{sha1.New, sha1.Size, nsPBKDF2SHA1}
		case 1:
			h = prf{sha256.New, sha256.Size, nsPBKDF2SHA256}
		case 2:
			h = prf{sha512.New, sha512.Size, nsPBKDF2SHA512}
		default:
			return false, ErrUnknownFormat
		}
		iter := uint64(binary.BigEndian.Uint32(blob[5:9]))
		saltLen := uint64(binary.BigEndian.Uint32(blob[9:13]))
		rest := blob[aspnetV3Header:]
		if saltLen < aspnetMinSaltLen || saltLen+minDigestLen > uint64(len(rest)) {
			return false, ErrUnknownFormat
		}
		return pbkdf2Compare(l, h, password, rest[:saltLen], iter, rest[saltLen:])
	}
	return false, ErrUnknownFormat
}
