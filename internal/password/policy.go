package password

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Length bounds of a new password, in characters (runes) after NFC
// normalisation.
const (
	MinLength = 8
	MaxLength = 256
)

// ErrWeak is wrapped by every policy error, so callers can test
// errors.Is(err, ErrWeak).
var ErrWeak = errors.New("password: too weak")

// Policy errors returned by Validate. Each wraps ErrWeak.
var (
	ErrTooShort = fmt.Errorf("%w: shorter than %d characters", ErrWeak, MinLength)
	ErrTooLong  = fmt.Errorf("%w: longer than %d characters", ErrWeak, MaxLength)
	ErrCommon   = fmt.Errorf("%w: on the list of common passwords", ErrWeak)
	ErrNotUTF8  = fmt.Errorf("%w: not valid UTF-8", ErrWeak)
)

// Validate applies the policy for a new password and returns it NFC
// normalised; hash the normalised form. The password must be valid UTF-8,
// MinLength to MaxLength characters long after normalisation and not on the
// common-password list (compared case-insensitively). Returns ErrNotUTF8,
// ErrTooShort, ErrTooLong or ErrCommon.
func Validate(password string) (normalized string, err error) {
	if !utf8.ValidString(password) {
		return "", ErrNotUTF8
	}
	// Refuse absurd inputs before normalising them. NFC composes at most a
	// few runes into one (a Hangul syllable from three jamo, a letter with
	// stacked accents), so a password that is within MaxLength after
	// normalisation is well within this many bytes before it.
	if len(password) > 4*utf8.UTFMax*MaxLength {
		return "", ErrTooLong
	}
	normalized = norm.NFC.String(password)
	switch n := utf8.RuneCountInString(normalized); {
	case n < MinLength:
		return "", ErrTooShort
	case n > MaxLength:
		return "", ErrTooLong
	}
	if IsCommon(normalized) {
		return "", ErrCommon
	}
	return normalized, nil
}
