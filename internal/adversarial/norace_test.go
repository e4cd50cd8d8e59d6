//go:build !race

package adversarial_test

// raceEnabled reports that the race detector is on.
const raceEnabled = false
