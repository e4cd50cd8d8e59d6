//go:build wasip1

package wasmauth

// VerifyPassword checks password against a legacy hash with the host's verifier
// (bcrypt, argon2, scrypt, PBKDF2, phpass, MD5-crypt, SHA-crypt; see the ABI). It
// returns StatusUnknownHash for a format the host does not know.
func VerifyPassword(hash, password string) (bool, error) {
	r := hostVerifyPassword(stringPtr(hash), int32(len(hash)), stringPtr(password), int32(len(password)))
	switch r {
	case 1:
		return true, nil
	case 0:
		return false, nil
	}
	return false, Status(r)
}

// Digest hashes data with "md5", "sha1", "sha256" or "sha512" and returns the raw
// digest, for legacy schemes such as sha256(salt + password).
func Digest(algo string, data []byte) ([]byte, error) {
	n := hostDigest(stringPtr(algo), int32(len(algo)), bytesPtr(data), int32(len(data)))
	if n < 0 {
		return nil, Status(n)
	}
	return readLastResult(n)
}
