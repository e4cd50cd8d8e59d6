package runtime

import (
	"strings"
	"testing"
)

// TestPrecheckNameSection checks that validation applies the name-section
// rule of internal/wasmbin: a subsection must be exactly as long as it
// declares (wazero would read on past its end).
func TestPrecheckNameSection(t *testing.T) {
	header := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	custom := func(payload ...byte) []byte {
		return append(append(header[:len(header):len(header)], 0, byte(len(payload))), payload...)
	}
	name := []byte{4, 'n', 'a', 'm', 'e'}
	if _, _, err := precheck(custom(append(name, 0, 3, 2, 'm', 'n')...)); err != nil {
		t.Fatalf("a well-formed module name is refused: %v", err)
	}
	for _, tt := range []struct {
		sub  []byte
		want string
	}{
		{sub: []byte{0, 1, 2, 'm', 'n'}, want: "subsection 0 is 3 bytes, not the 1 it declares"},
		{sub: []byte{1, 5, 0, 0xaa, 0xbb, 0xcc, 0xdd}, want: "subsection 1 is 1 bytes, not the 5 it declares"},
	} {
		_, _, err := precheck(custom(append(name, tt.sub...)...))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("subsection % x: err = %v, want one containing %q", tt.sub, err, tt.want)
		}
	}
}
