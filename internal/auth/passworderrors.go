package auth

import (
	"errors"

	"github.com/wasmauth/wasmauth/internal/password"
)

// hashErr maps a password hashing failure to a client error.
func hashErr(err error) error {
	if errors.Is(err, password.ErrBusy) {
		return &Error{Code: CodeOverloaded, Message: "the server is busy; try again shortly", RetryAfter: password.RetryAfter(err), Err: err}
	}
	return err
}

// policyErr maps a password policy failure to CodeWeakPassword.
func policyErr(err error) error {
	if errors.Is(err, password.ErrWeak) {
		return Wrap(err, CodeWeakPassword, weakPasswordMessage(err))
	}
	return err
}

func weakPasswordMessage(err error) string {
	switch {
	case errors.Is(err, password.ErrTooShort):
		return "the password must be at least 8 characters"
	case errors.Is(err, password.ErrTooLong):
		return "the password must be at most 256 characters"
	case errors.Is(err, password.ErrCommon):
		return "the password is too common"
	}
	return "the password is too weak"
}
