package auth

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TrimNFC trims surrounding white space and NFC-normalises s, keeping its
// case. Scripts receive identifiers in this form.
func TrimNFC(s string) string {
	return norm.NFC.String(strings.TrimSpace(s))
}

// NormalizeIdentifier returns s trimmed, NFC-normalised and lower-cased: the
// form in which emails and usernames are stored and matched.
func NormalizeIdentifier(s string) string {
	return strings.ToLower(TrimNFC(s))
}

var tenantIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// ValidTenantID reports whether id is a valid tenant id.
func ValidTenantID(id string) bool { return tenantIDPattern.MatchString(id) }

// validateEmail checks a normalised email address loosely: one '@' with text
// on both sides, no spaces or control characters, at most 254 bytes.
func validateEmail(email string) error {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 || len(email) > 254 || strings.Count(email, "@") != 1 {
		return Errorf(CodeInvalidRequest, "email is not a valid address")
	}
	if !utf8.ValidString(email) || strings.ContainsFunc(email, isSpaceOrControl) {
		return Errorf(CodeInvalidRequest, "email is not a valid address")
	}
	return nil
}

// validateUsername checks a normalised username: 1 to 64 characters, no '@'
// (so an identifier with '@' is always an email), no spaces or control
// characters.
func validateUsername(username string) error {
	n := utf8.RuneCountInString(username)
	if n < 1 || n > 64 || !utf8.ValidString(username) {
		return Errorf(CodeInvalidRequest, "username must be 1 to 64 characters")
	}
	if strings.ContainsRune(username, '@') || strings.ContainsFunc(username, isSpaceOrControl) {
		return Errorf(CodeInvalidRequest, "username must not contain '@', spaces or control characters")
	}
	return nil
}

func isSpaceOrControl(r rune) bool {
	return r <= ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0)
}
