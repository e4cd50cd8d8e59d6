//go:build wasip1

package wasmauth

import "fmt"

// Level is the level of a log line.
type Level int32

// The log levels of the ABI.
const (
	Debug Level = 0
	Info  Level = 1
	Warn  Level = 2
	Error Level = 3
)

// Log writes one line to the tenant's log. Lines over 1 KiB are cut by the host and a
// call may log at most 50 lines; the rest are dropped. Never log passwords or hashes.
func Log(level Level, msg string) {
	hostLog(int32(level), stringPtr(msg), int32(len(msg)))
}

// Logf formats a line with fmt.Sprintf and logs it.
func Logf(level Level, format string, args ...any) {
	Log(level, fmt.Sprintf(format, args...))
}
