package host_test

import (
	"testing"

	"github.com/wasmauth/wasmauth/host"
)

// TestLevelString: the names a tenant's log shows for the ABI's levels.
func TestLevelString(t *testing.T) {
	for level, want := range map[host.Level]string{
		host.LevelDebug: "debug",
		host.LevelInfo:  "info",
		host.LevelWarn:  "warn",
		host.LevelError: "error",
		7:               "level(7)",
	} {
		if got := level.String(); got != want {
			t.Errorf("Level(%d).String() = %q, want %q", int(level), got, want)
		}
	}
}
