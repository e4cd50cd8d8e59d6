package bench

import (
	_ "embed"
	"fmt"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
)

// Guests of this package, built from the WAT beside them by
// testdata/build.sh.
var (
	// cpuWasm exports CPU-bound functions hash(n) and fib(n), for the fuel
	// overhead; it imports nothing.
	//go:embed testdata/cpu.wasm
	cpuWasm []byte

	// spinWasm is a tenant module whose login and get_user loop forever,
	// for the noisy neighbour.
	//go:embed testdata/spin.wasm
	spinWasm []byte

	// sleepWasm is a tenant module whose login and get_user sleep 2 s in
	// poll_oneoff, for the sleeping neighbours.
	//go:embed testdata/sleep.wasm
	sleepWasm []byte
)

// seedUser is the seed user the login measurements use: dave, whose legacy
// hash is salted SHA-256, so that a legacy login costs the script's own work
// and not a slow legacy hash.
const seedUser = "dave"

// seedPassword returns the plaintext password of a seed user.
func seedPassword(username string) (string, error) {
	for _, u := range examples.SeedUsers() {
		if u.Username == username {
			return u.Password, nil
		}
	}
	return "", fmt.Errorf("no seed user %q", username)
}
