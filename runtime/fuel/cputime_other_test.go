//go:build !linux

package fuel_test

// threadCPU is unavailable on this system.
func threadCPU() (int64, bool) { return 0, false }
