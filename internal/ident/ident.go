// Package ident holds the rules for what an account's email, username,
// profile and legacy id may be. Registration (internal/auth) and the check
// of a module's answer (runtime.ParseAnswer) both apply them, so a user
// copied from a legacy database meets the same rules as one who registers.
package ident

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The limits of the contract.
const (
	// MaxEmail is the most characters of an email address.
	MaxEmail = 254
	// MaxEmailLocal is the most bytes before an email's '@' (RFC 5321).
	MaxEmailLocal = 64
	// MaxUsername is the most characters of a username.
	MaxUsername = 64
	// MaxProfile is the most bytes of a profile encoded as compact JSON.
	MaxProfile = 16 << 10
	// MaxLegacyID is the most bytes of a legacy id.
	MaxLegacyID = 256
)

// TrimNFC trims surrounding white space and NFC-normalises s, keeping its
// case.
func TrimNFC(s string) string {
	return norm.NFC.String(strings.TrimSpace(s))
}

// Normalize returns s trimmed, NFC-normalised and lower-cased: the form in
// which emails and usernames are stored, matched and checked.
func Normalize(s string) string {
	return strings.ToLower(TrimNFC(s))
}

// ErrEmail and ErrUsername are the errors of CheckEmail and CheckUsername.
var (
	ErrEmail    = errors.New("email is not a valid address")
	ErrUsername = errors.New("username must be 1 to 64 characters without control characters")
)

// CheckEmail checks the syntax of a normalised email address: at most
// MaxEmail characters of valid UTF-8; exactly one '@'; a local part of 1 to
// MaxEmailLocal bytes; a domain of dot-separated, non-empty labels of at
// most 63 bytes; no white space, control characters or any of <>()[]\,;:"
// (which only a quoted local part may hold, and quoted local parts are not
// accepted). Internationalised addresses are accepted.
func CheckEmail(email string) error {
	if !utf8.ValidString(email) || utf8.RuneCountInString(email) > MaxEmail {
		return ErrEmail
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || len(local) > MaxEmailLocal || domain == "" || strings.Contains(domain, "@") {
		return ErrEmail
	}
	if strings.ContainsFunc(email, func(r rune) bool { return isSpaceOrControl(r) || strings.ContainsRune(`<>()[]\,;:"`, r) }) {
		return ErrEmail
	}
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" || len(label) > 63 {
			return ErrEmail
		}
	}
	return nil
}

// CheckUsername checks a normalised username: 1 to MaxUsername characters
// of valid UTF-8 without control characters. Registration adds its own
// policy on top (see auth).
func CheckUsername(username string) error {
	n := utf8.RuneCountInString(username)
	if n < 1 || n > MaxUsername || !utf8.ValidString(username) || strings.ContainsFunc(username, unicode.IsControl) {
		return ErrUsername
	}
	return nil
}

// CheckProfile checks that a profile encodes to at most MaxProfile bytes of
// JSON.
func CheckProfile(profile map[string]any) error {
	if len(profile) == 0 {
		return nil
	}
	b, err := json.Marshal(profile)
	if err != nil {
		return fmt.Errorf("profile is not JSON: %w", err)
	}
	if len(b) > MaxProfile {
		return fmt.Errorf("profile is %d bytes of JSON, more than %d", len(b), MaxProfile)
	}
	return nil
}

// CheckLegacyID checks a legacy id: 1 to MaxLegacyID bytes.
func CheckLegacyID(id string) error {
	if id == "" || len(id) > MaxLegacyID {
		return fmt.Errorf("legacy id must be 1 to %d bytes", MaxLegacyID)
	}
	return nil
}

// isSpaceOrControl reports whether r is white space or a control character
// (NUL, C0, DEL and C1 included).
func isSpaceOrControl(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r)
}
