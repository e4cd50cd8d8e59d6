package cli

import (
	"fmt"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/server"
)

// tokenConfig reads --access-ttl, --session-ttl and --signing-alg into cfg,
// refusing what auth.CheckTokenSettings refuses.
func (f *serverFlags) tokenConfig(cfg *server.Config) error {
	access, err := parseDays(f.accessTTL)
	if err != nil {
		return fmt.Errorf("--access-ttl: %w", err)
	}
	session, err := parseDays(f.sessionTTL)
	if err != nil {
		return fmt.Errorf("--session-ttl: %w", err)
	}
	if err := auth.CheckTokenSettings(access, session, f.signingAlg); err != nil {
		return fmt.Errorf("--access-ttl, --session-ttl, --signing-alg: %w", err)
	}
	cfg.AccessTTL, cfg.SessionTTL, cfg.SigningAlgorithm = access, session, f.signingAlg
	return nil
}

// formatDuration writes d as parseDays reads it, in whole days, hours,
// minutes or seconds when it is one of those: a flag's default as a person
// would type it.
func formatDuration(d time.Duration) string {
	for _, u := range []struct {
		unit   time.Duration
		suffix string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d%u.unit == 0 {
			return fmt.Sprintf("%d%s", d/u.unit, u.suffix)
		}
	}
	return d.String()
}

// formatSize writes n as parseSize reads it, in the largest binary unit
// that divides it.
func formatSize(n int64) string {
	for _, u := range []struct {
		unit   int64
		suffix string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n%u.unit == 0 {
			return fmt.Sprintf("%d%s", n/u.unit, u.suffix)
		}
	}
	return fmt.Sprint(n)
}
