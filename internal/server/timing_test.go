package server

import (
	"testing"

	"github.com/wasmauth/wasmauth/host/legacyhash"
)

// TestCeilingHashesVerify checks that legacyhash does the full work for
// each ceiling hash: one it refused (a format it no longer reads, or a cost
// over its caps) would take no time, and the ceiling would be no ceiling.
func TestCeilingHashesVerify(t *testing.T) {
	for _, h := range ceilingHashes {
		if ok, err := legacyhash.Verify([]byte(h), []byte("not the password")); ok || err != nil {
			t.Errorf("Verify(%.20s...) = %v, %v; want false, nil", h, ok, err)
		}
	}
}
