package auth

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, snake_case error code. Clients branch on it; the HTTP
// adapter maps each code to a status in one table.
type Code string

// The error codes of the HTTP contract, plus the internal ones the store uses.
const (
	CodeInternal           Code = "internal_error"
	CodeInvalidRequest     Code = "invalid_request"
	CodeBodyTooLarge       Code = "body_too_large"
	CodeUnauthorized       Code = "unauthorized"
	CodeForbidden          Code = "forbidden"
	CodeNotFound           Code = "not_found"
	CodeTenantNotFound     Code = "tenant_not_found"
	CodeInvalidTenantID    Code = "invalid_tenant_id"
	CodeTenantExists       Code = "tenant_exists"
	CodeUserExists         Code = "user_exists"
	CodeInvalidCredentials Code = "invalid_credentials"
	CodeWeakPassword       Code = "weak_password"
	CodeRateLimited        Code = "rate_limited"
	CodeOverloaded         Code = "overloaded"
	CodeInvalidModule      Code = "invalid_module"
	CodeModuleTooLarge     Code = "module_too_large"
	CodeInvalidLimits      Code = "invalid_limits"
	CodeConnectionFailed   Code = "connection_failed"
	CodeMigrationNotReady  Code = "migration_not_ready"
	CodeMigrationConflict  Code = "migration_conflict"
	CodeLegacyUnavailable  Code = "legacy_unavailable"
	CodeInvalidGrant       Code = "invalid_grant"
	CodeUnsupportedGrant   Code = "unsupported_grant_type"
	CodeServiceUnavailable Code = "service_unavailable"
	CodeMethodNotAllowed   Code = "method_not_allowed"
	CodeUnsupportedMedia   Code = "unsupported_media_type"
	CodeRequestTimeout     Code = "request_timeout"
	CodeHeadersTooLarge    Code = "headers_too_large"
	CodeQuotaExceeded      Code = "quota_exceeded"
	CodeScriptActive       Code = "script_active"
	CodeDrainRunning       Code = "drain_running"
	CodeDrainUnsupported   Code = "drain_unsupported"
	CodeInvalidRedirectURI Code = "invalid_redirect_uri"
	CodeInvalidToken       Code = "invalid_token"
)

// Error is a domain error with a stable code and a message safe to show to
// the client. Err, when set, is the underlying cause; it is logged, never
// shown.
type Error struct {
	Code    Code
	Message string
	// RetryAfter, when positive, tells the client when to try again.
	RetryAfter time.Duration
	Err        error
}

// Error returns the message, with the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the given code and message whose cause is err.
func Wrap(err error, code Code, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, CodeNotFound
// for ErrNotFound, and CodeInternal for anything else (nil gives "").
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return CodeNotFound
	case errors.Is(err, ErrTenantExists):
		return CodeTenantExists
	case errors.Is(err, ErrEmailTaken), errors.Is(err, ErrUsernameTaken):
		return CodeUserExists
	case errors.Is(err, ErrUnavailable):
		return CodeServiceUnavailable
	}
	return CodeInternal
}

// ErrorMessage returns the client-safe message of err: the message of its
// *Error, or "internal error" for anything else.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	switch ErrorCode(err) {
	case CodeNotFound:
		return "not found"
	case CodeTenantExists:
		return "a tenant with this id exists"
	case CodeUserExists:
		return "a user with this email or username exists"
	case CodeServiceUnavailable:
		return "the store is not available; try again later"
	}
	return "internal error"
}

// Errors a Store returns. Compare with errors.Is.
var (
	// ErrNotFound means the record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrTenantExists means the tenant id is taken.
	ErrTenantExists = errors.New("tenant exists")
	// ErrEmailTaken means another user of the tenant has the email.
	ErrEmailTaken = errors.New("email taken")
	// ErrUsernameTaken means another user of the tenant has the username.
	ErrUsernameTaken = errors.New("username taken")
	// ErrLegacyIDTaken means a user migrated from the same legacy id exists.
	ErrLegacyIDTaken = errors.New("legacy id taken")
	// ErrRefreshReused means a refresh token was presented after it had been
	// rotated; the store has revoked its session.
	ErrRefreshReused = errors.New("refresh token reused")
	// ErrCodeUsed means an authorization request's code was already
	// exchanged for a session (its SessionID is set).
	ErrCodeUsed = errors.New("authorization code already used")
	// ErrSessionEnded means the session was revoked or has expired.
	ErrSessionEnded = errors.New("session ended")
	// ErrQuotaExceeded means storing a module would take the tenant over
	// its quota of module versions or bytes.
	ErrQuotaExceeded = errors.New("quota exceeded")
	// ErrScriptActive means the script version is the tenant's active one.
	ErrScriptActive = errors.New("script version is active")
	// ErrUnavailable means the store cannot be reached now (its database
	// is down or refuses connections); the call may succeed later.
	ErrUnavailable = errors.New("store unavailable")
	// ErrStoreNotEmpty means Import was given a store that holds data.
	ErrStoreNotEmpty = errors.New("the store is not empty: a backup is restored only into an empty store")
)
