package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wasmauth/wasmauth/internal/server"
)

// retentionConfig reads the quota and retention flags into cfg.
func (f *serverFlags) retentionConfig(cfg *server.Config) error {
	versions, err := strconv.Atoi(f.maxScriptVersions)
	if err != nil || versions <= 0 {
		return fmt.Errorf("--max-script-versions: want a positive number, got %q", f.maxScriptVersions)
	}
	bytes, err := parseSize(f.maxScriptBytes)
	if err != nil {
		return fmt.Errorf("--max-script-bytes: %w", err)
	}
	audit, err := parseDays(f.auditRetention)
	if err != nil {
		return fmt.Errorf("--audit-retention: %w", err)
	}
	logs, err := parseDays(f.logRetention)
	if err != nil {
		return fmt.Errorf("--log-retention: %w", err)
	}
	cfg.ScriptQuota.Versions, cfg.ScriptQuota.Bytes = versions, bytes
	cfg.AuditRetention, cfg.LogRetention = audit, logs
	return nil
}

// parseSize reads a positive byte count, bare or with a KiB, MiB or GiB
// suffix.
func parseSize(s string) (int64, error) {
	num, unit := s, int64(1)
	for suffix, u := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			num, unit = n, u
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/unit {
		return 0, fmt.Errorf("want a positive size such as 268435456 or 256MiB, got %q", s)
	}
	return n * unit, nil
}

// parseDays reads a positive duration: a number of days such as "90d", or
// anything time.ParseDuration reads.
func parseDays(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days > 100*365 {
			return 0, fmt.Errorf("want a duration such as 90d or 36h, got %q", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("want a duration such as 90d or 36h, got %q", s)
		}
	}
	if d <= 0 {
		return 0, errors.New("want a positive duration")
	}
	return d, nil
}
