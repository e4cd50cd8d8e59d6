package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalidHash is returned by Verify for a stored hash that is not an
// argon2id PHC string this package can verify.
var ErrInvalidHash = errors.New("password: invalid hash")

var b64 = base64.RawStdEncoding.Strict()

// decoded is a parsed PHC string.
type decoded struct {
	params Params
	salt   []byte
	key    []byte
}

// encode formats a PHC string.
func encode(p Params, salt, key []byte) string {
	b := make([]byte, 0, 48+b64.EncodedLen(len(salt))+b64.EncodedLen(len(key)))
	b = append(b, "$argon2id$v=19$m="...)
	b = strconv.AppendUint(b, uint64(p.Memory), 10)
	b = append(b, ",t="...)
	b = strconv.AppendUint(b, uint64(p.Iterations), 10)
	b = append(b, ",p="...)
	b = strconv.AppendUint(b, uint64(p.Parallelism), 10)
	b = append(b, '$')
	b = b64.AppendEncode(b, salt)
	b = append(b, '$')
	b = b64.AppendEncode(b, key)
	return string(b)
}

// decodeB64 decodes unpadded standard base64. Go's decoder skips '\r' and
// '\n' even in strict mode; a stored hash has none, so they are refused: a
// hash decodes only from the one string encode gives for it.
func decodeB64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("line break in base64")
	}
	return b64.DecodeString(s)
}

// decode parses a PHC string of the exact shape encode produces and checks
// its parameters against the package bounds.
func decode(s string) (decoded, error) {
	var d decoded
	fields := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(fields) != 6 || fields[0] != "" {
		return d, fmt.Errorf("%w: not a PHC string", ErrInvalidHash)
	}
	if fields[1] != "argon2id" {
		return d, fmt.Errorf("%w: algorithm %q is not argon2id", ErrInvalidHash, truncate(fields[1]))
	}
	if fields[2] != "v=19" {
		return d, fmt.Errorf("%w: version %q is not v=19", ErrInvalidHash, truncate(fields[2]))
	}
	params := strings.Split(fields[3], ",")
	if len(params) != 3 {
		return d, fmt.Errorf("%w: want parameters m, t and p", ErrInvalidHash)
	}
	m, err := parseParam(params[0], "m=", 32)
	if err != nil {
		return d, err
	}
	t, err := parseParam(params[1], "t=", 32)
	if err != nil {
		return d, err
	}
	p, err := parseParam(params[2], "p=", 8)
	if err != nil {
		return d, err
	}
	// Check the lengths before decoding, so a huge field is not decoded.
	if n := len(fields[4]); n > b64.EncodedLen(MaxSaltLen) {
		return d, fmt.Errorf("%w: salt too long", ErrInvalidHash)
	}
	if n := len(fields[5]); n > b64.EncodedLen(MaxKeyLen) {
		return d, fmt.Errorf("%w: key too long", ErrInvalidHash)
	}
	if d.salt, err = decodeB64(fields[4]); err != nil {
		return d, fmt.Errorf("%w: salt: %v", ErrInvalidHash, err)
	}
	if d.key, err = decodeB64(fields[5]); err != nil {
		return d, fmt.Errorf("%w: key: %v", ErrInvalidHash, err)
	}
	d.params = Params{
		Memory:      uint32(m),
		Iterations:  uint32(t),
		Parallelism: uint8(p),
		SaltLen:     uint32(len(d.salt)),
		KeyLen:      uint32(len(d.key)),
	}
	if err := d.params.Validate(); err != nil {
		return d, fmt.Errorf("%w: %v", ErrInvalidHash, err)
	}
	return d, nil
}

// parseParam parses "<prefix><decimal>" with no sign and no leading zeros.
func parseParam(s, prefix string, bits int) (uint64, error) {
	v, ok := strings.CutPrefix(s, prefix)
	if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
		return 0, fmt.Errorf("%w: bad parameter %q", ErrInvalidHash, truncate(s))
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: bad parameter %q", ErrInvalidHash, truncate(s))
	}
	return n, nil
}

// truncate keeps error messages short when a stored hash is garbage.
func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
