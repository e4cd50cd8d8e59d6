//go:build wasip1

package wasmauth

import "strconv"

// Status is a negative result of a host function, returned as an error.
type Status int32

// The statuses of the ABI.
const (
	// StatusBadMemory means a pointer or length was outside the guest's memory.
	StatusBadMemory Status = -1
	// StatusTooLarge means an output or a response was over its limit.
	StatusTooLarge Status = -2
	// StatusNoConnection means the tenant has no database connection configured.
	StatusNoConnection Status = -3
	// StatusLimit means a per-call limit (such as the number of queries) was reached.
	StatusLimit Status = -4
	// StatusUnknownHash means verify_password does not know the hash's format.
	StatusUnknownHash Status = -5
)

// Error returns a short description of the status.
func (s Status) Error() string {
	switch s {
	case StatusBadMemory:
		return "wasmauth: bad memory (-1)"
	case StatusTooLarge:
		return "wasmauth: too large (-2)"
	case StatusNoConnection:
		return "wasmauth: no connection configured (-3)"
	case StatusLimit:
		return "wasmauth: per-call limit reached (-4)"
	case StatusUnknownHash:
		return "wasmauth: unknown hash format (-5)"
	}
	return "wasmauth: host status " + strconv.Itoa(int(s))
}
