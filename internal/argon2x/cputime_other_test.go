//go:build !unix

package argon2x

import "time"

// cpuTime is not measured on this system.
func cpuTime() time.Duration { return 0 }
