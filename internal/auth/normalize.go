package auth

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/wasmauth/wasmauth/internal/ident"
)

// TrimNFC trims surrounding white space and NFC-normalises s, keeping its
// case. Scripts receive identifiers in this form.
func TrimNFC(s string) string { return ident.TrimNFC(s) }

// NormalizeIdentifier returns s trimmed, NFC-normalised and lower-cased: the
// form in which emails and usernames are stored and matched.
func NormalizeIdentifier(s string) string { return ident.Normalize(s) }

var tenantIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// ValidTenantID reports whether id is a valid tenant id.
func ValidTenantID(id string) bool { return tenantIDPattern.MatchString(id) }

// validateEmail checks a normalised email address by ident.CheckEmail.
func validateEmail(email string) error {
	if err := ident.CheckEmail(email); err != nil {
		return Wrap(err, CodeInvalidRequest, err.Error())
	}
	return nil
}

// validateUsername checks a normalised username by ident.CheckUsername and
// the registration policy: no '@' (so an identifier with '@' is always an
// email) and no white space. Legacy usernames need only pass the first.
func validateUsername(username string) error {
	if err := ident.CheckUsername(username); err != nil {
		return Wrap(err, CodeInvalidRequest, err.Error())
	}
	if strings.ContainsRune(username, '@') || strings.ContainsFunc(username, unicode.IsSpace) {
		return Errorf(CodeInvalidRequest, "username must not contain '@' or spaces")
	}
	return nil
}

// validateProfile checks a profile's size by ident.CheckProfile.
func validateProfile(profile map[string]any) error {
	if err := ident.CheckProfile(profile); err != nil {
		return Wrap(err, CodeInvalidRequest, err.Error())
	}
	return nil
}
