//go:build race

package adversarial_test

// raceEnabled reports that the race detector is on: timing measurements
// are meaningless then, and the tests that make them skip.
const raceEnabled = true
