package runtime

import (
	"errors"
	"fmt"
)

// ErrModuleTooLarge is wrapped by the ModuleError of a module over the size
// limit (HTTP 413 module_too_large).
var ErrModuleTooLarge = errors.New("module too large")

// ErrClosed is returned by an Engine's methods after Close.
var ErrClosed = errors.New("runtime: engine closed")

// ModuleError is the refusal of an uploaded module, with a reason meant for
// the tenant (HTTP 400 invalid_module, or 413 when it wraps ErrModuleTooLarge).
type ModuleError struct {
	Reason string
	err    error
}

func (e *ModuleError) Error() string { return "invalid module: " + e.Reason }

// Unwrap returns ErrModuleTooLarge for a module over the size limit, else nil.
func (e *ModuleError) Unwrap() error { return e.err }

func moduleErrorf(format string, args ...any) *ModuleError {
	return &ModuleError{Reason: fmt.Sprintf(format, args...)}
}

// Kinds of CallError, as reported by POST /script/test.
const (
	KindTrap         = "trap"          // the guest trapped, aborted or was ended by a host fault
	KindOutOfFuel    = "out_of_fuel"   // the guest spent its fuel budget
	KindDeadline     = "deadline"      // the call's time ran out (or its context was cancelled)
	KindBadOutput    = "bad_output"    // no answer, or an answer that is not the ABI's JSON
	KindLimit        = "limit"         // input, memory or another limit exceeded
	KindScriptFailed = "script_failed" // the guest returned non-zero or exited with a non-zero code
)

// CallError is the failure of a guest call. Kind is one of the Kind constants;
// Message says what happened, for the tenant's log. Failures of the engine
// itself (the module cannot be loaded, the engine is closed) are other errors.
type CallError struct {
	Kind    string
	Message string
	// Overload is set on a KindDeadline failure whose time ran out while
	// the call waited for the server — an execution slot, a free instance,
	// a legacy hash slot — rather than in the module's own work: not the
	// module's fault.
	Overload bool
}

func (e *CallError) Error() string { return e.Kind + ": " + e.Message }

func callErrorf(kind, format string, args ...any) *CallError {
	return &CallError{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// overloadf returns a KindDeadline CallError caused by waiting for the server.
func overloadf(format string, args ...any) *CallError {
	e := callErrorf(KindDeadline, format, args...)
	e.Overload = true
	return e
}

// IsOverload reports whether err is a deadline caused by waiting for the
// server rather than by the module (CallError.Overload).
func IsOverload(err error) bool {
	var ce *CallError
	return errors.As(err, &ce) && ce.Overload
}

// ErrorKind returns the Kind of err when it is a *CallError, else "".
func ErrorKind(err error) string {
	var ce *CallError
	if errors.As(err, &ce) {
		return ce.Kind
	}
	return ""
}
