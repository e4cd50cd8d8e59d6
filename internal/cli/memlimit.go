package cli

import (
	"errors"
	"log/slog"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// memoryLimitShare is the share of the container's memory limit given to the
// Go runtime as its memory limit. The rest is headroom for memory the
// cgroup charges but the Go runtime does not manage: wazero's compiled
// code, Badger's memory-mapped files, thread stacks.
const memoryLimitShare = 0.8

// setMemoryLimit sets the Go memory limit to memoryLimitShare of the
// container's memory limit, which limit reads (memlimit.FromCgroup: cgroup
// v2, v1 or both), unless GOMEMLIMIT is set, and logs the limit in force.
func setMemoryLimit(getenv func(string) string, limit func() (uint64, error), log *slog.Logger) {
	if v := getenv("GOMEMLIMIT"); v != "" {
		log.Info("memory limit from GOMEMLIMIT", "go_memory_limit", v)
		return
	}
	cgroup, err := limit()
	switch {
	case errors.Is(err, memlimit.ErrNoLimit):
		log.Info("no memory limit: the container sets none and GOMEMLIMIT is unset")
	case err != nil:
		log.Warn("no memory limit: reading the container's", "err", err)
	default:
		goLimit := int64(float64(cgroup) * memoryLimitShare)
		debug.SetMemoryLimit(goLimit)
		log.Info("memory limit from the container", "go_memory_limit", goLimit, "container_limit", cgroup)
	}
}
