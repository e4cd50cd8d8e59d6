package legacyhash

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"hash"
)

// ldapDigest is the hash of an RFC 2307 password scheme, and the estimated
// cost of one of its blocks.
type ldapDigest struct {
	new       func() hash.Hash
	size      int
	blockSize uint64
	ns        uint64
	salted    bool
}

// ldapDigests maps the schemes of userPassword values, upper-cased, to
// their hash: OpenLDAP's {SHA}, {SSHA}, {MD5}, {SMD5} and the SHA-2 ones
// of its pw-sha2 module.
var ldapDigests = map[string]ldapDigest{
	"{MD5}":     {md5.New, md5.Size, md5.BlockSize, nsMD5Block, false},
	"{SMD5}":    {md5.New, md5.Size, md5.BlockSize, nsMD5Block, true},
	"{SHA}":     {sha1.New, sha1.Size, sha1.BlockSize, nsSHA1Block, false},
	"{SSHA}":    {sha1.New, sha1.Size, sha1.BlockSize, nsSHA1Block, true},
	"{SHA256}":  {sha256.New, sha256.Size, sha256.BlockSize, nsSHA256Block, false},
	"{SSHA256}": {sha256.New, sha256.Size, sha256.BlockSize, nsSHA256Block, true},
	"{SHA384}":  {sha512.New384, sha512.Size384, sha512.BlockSize, nsSHA512Block, false},
	"{SSHA384}": {sha512.New384, sha512.Size384, sha512.BlockSize, nsSHA512Block, true},
	"{SHA512}":  {sha512.New, sha512.Size, sha512.BlockSize, nsSHA512Block, false},
	"{SSHA512}": {sha512.New, sha512.Size, sha512.BlockSize, nsSHA512Block, true},
}

// verifyLDAP checks RFC 2307 userPassword values: "{SSHA}" + the standard
// base64 of digest(password + salt) + salt, the salt at least one byte;
// "{SHA}" + the base64 of digest(password), and likewise for MD5, SHA-256,
// SHA-384 and SHA-512. Scheme names are case-insensitive.
func verifyLDAP(l *limits, hash, password []byte) (bool, error) {
	end := bytes.IndexByte(hash, '}')
	if end < 0 {
		return false, ErrUnknownFormat
	}
	d, ok := ldapDigests[string(bytes.ToUpper(hash[:end+1]))]
	if !ok {
		return false, ErrUnknownFormat
	}
	blob := make([]byte, base64.StdEncoding.DecodedLen(len(hash)-end-1))
	n, err := base64.StdEncoding.Strict().Decode(blob, hash[end+1:])
	if err != nil {
		return false, ErrUnknownFormat
	}
	if n < d.size || d.salted != (n > d.size) {
		return false, ErrUnknownFormat
	}
	want, salt := blob[:d.size], blob[d.size:n]
	blocks := mdBlocks(uint64(len(password)+len(salt)), d.blockSize)
	if err := l.admit(Cost{Time: nsCost(blocks, d.ns)}); err != nil {
		return false, err
	}
	h := d.new()
	h.Write(password)
	h.Write(salt)
	return subtle.ConstantTimeCompare(h.Sum(nil), want) == 1, nil
}

// verifyLDAPCrypt checks "{CRYPT}" followed by a crypt(3) hash ("$1$",
// "$5$", "$6$", bcrypt), as OpenLDAP stores the system's crypt hashes.
func verifyLDAPCrypt(l *limits, hash, password []byte) (bool, error) {
	rest := hash[len("{CRYPT}"):]
	switch {
	case bytes.HasPrefix(rest, []byte("$1$")):
		return verifyMD5Crypt(l, rest, password)
	case bytes.HasPrefix(rest, []byte("$5$")), bytes.HasPrefix(rest, []byte("$6$")):
		return verifySHACrypt(l, rest, password)
	case bytes.HasPrefix(rest, []byte("$2")):
		return verifyBcrypt(l, rest, password)
	}
	return false, ErrUnknownFormat
}
