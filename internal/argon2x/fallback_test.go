//go:build amd64 && !purego

package argon2x

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"golang.org/x/crypto/argon2"
)

// fallbackEnv names the implementation a child test process must have
// chosen at start-up.
const fallbackEnv = "ARGON2X_WANT_IMPLEMENTATION"

// TestFallbackDispatch runs this test binary again with CPU features turned
// off through GODEBUG (which golang.org/x/sys/cpu reads at start-up, as on a
// CPU without them) and checks, in the child, that the start-up choice falls
// back to the next implementation and still matches x/crypto and RFC 9106.
func TestFallbackDispatch(t *testing.T) {
	if want := os.Getenv(fallbackEnv); want != "" {
		checkChosen(t, want)
		return
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, tc := range []struct{ godebug, want string }{
		{"cpu.avx2=off,cpu.avx512f=off", "generic"},
		{"cpu.avx512f=off", "avx2"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if tc.want == "avx2" && len(implementations()) < 2 {
				t.Skip("this CPU has no AVX2")
			}
			cmd := exec.Command(os.Args[0], "-test.run", "^TestFallbackDispatch$", "-test.count", "1", "-test.v")
			cmd.Env = append(os.Environ(), "GODEBUG="+tc.godebug, fallbackEnv+"="+tc.want)
			out, err := cmd.CombinedOutput()
			if err != nil || !bytes.Contains(out, []byte("--- PASS: TestFallbackDispatch")) {
				t.Fatalf("GODEBUG=%s: %v\n%s", tc.godebug, err, out)
			}
		})
	}
}

// checkChosen is the child's side of TestFallbackDispatch.
func checkChosen(t *testing.T, want string) {
	if got := Implementation(); got != want {
		t.Fatalf("GODEBUG=%s: Implementation() = %s, want %s", os.Getenv("GODEBUG"), got, want)
	}
	for _, v := range rfcVectors {
		want := decodeTag(v.tag)
		got := NewPool(1).derive(v.y, bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16),
			bytes.Repeat([]byte{3}, 8), bytes.Repeat([]byte{4}, 12), 3, 32, 4, 32)
		if !bytes.Equal(got, want) {
			t.Errorf("type %d: got %x, want %x", v.y, got, want)
		}
	}
	password, salt := []byte("password"), []byte("0123456789abcdef")
	if got, want := IDKey(password, salt, 2, 1024, 1, 32), argon2.IDKey(password, salt, 2, 1024, 1, 32); !bytes.Equal(got, want) {
		t.Errorf("IDKey = %x, x/crypto %x", got, want)
	}
}
