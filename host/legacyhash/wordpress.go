package legacyhash

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
)

// wpPrehashKey is the HMAC key WordPress 6.8 uses for domain separation.
const wpPrehashKey = "wp-sha384"

// verifyWordPressBcrypt checks WordPress 6.8's "$wp$2y$10$...": "$wp"
// followed by a bcrypt hash of the base64 of HMAC-SHA384(key "wp-sha384",
// password), as wp_check_password verifies it. The password is used as
// given: WordPress trims it before hashing and at its login form, so a
// module for WordPress passes the trimmed password.
func verifyWordPressBcrypt(l *limits, hash, password []byte) (bool, error) {
	mac := hmac.New(sha512.New384, []byte(wpPrehashKey))
	mac.Write(password)
	pre := base64.StdEncoding.AppendEncode(make([]byte, 0, 64), mac.Sum(nil))
	return verifyBcrypt(l, hash[len("$wp"):], pre)
}
