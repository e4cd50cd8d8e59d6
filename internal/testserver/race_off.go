//go:build !race

package testserver

// RaceDetector reports whether the tests run under the race detector, whose
// 5-20x slowdown a timing test would measure instead of the server.
const RaceDetector = false
