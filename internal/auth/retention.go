package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The defaults of the operator's quota and retention settings.
var (
	// DefaultScriptQuota is 20 module versions and 256 MiB of modules per
	// tenant.
	DefaultScriptQuota = ScriptQuota{Versions: 20, Bytes: 256 << 20}
	// DefaultAuditRetention keeps audit events 90 days.
	DefaultAuditRetention = 90 * 24 * time.Hour
	// DefaultLogRetention keeps module log lines 7 days.
	DefaultLogRetention = 7 * 24 * time.Hour
)

// Pruned counts what PruneEvents removed.
type Pruned struct {
	Audit, Logs int
}

// PruneEvents removes audit events older than Config.AuditRetention and
// module log lines older than Config.LogRetention, by the time of each
// record, for every tenant. The server runs it at start and then
// periodically.
func (s *Service) PruneEvents(ctx context.Context) (Pruned, error) {
	now := s.now()
	var p Pruned
	var errA, errL error
	p.Audit, errA = s.store.DeleteAuditBefore(ctx, now.Add(-s.cfg.AuditRetention))
	p.Logs, errL = s.store.DeleteLogsBefore(ctx, now.Add(-s.cfg.LogRetention))
	if err := errors.Join(errA, errL); err != nil {
		return p, fmt.Errorf("pruning old audit events and logs: %w", err)
	}
	return p, nil
}
