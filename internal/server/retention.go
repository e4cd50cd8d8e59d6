package server

import (
	"context"
	"time"

	"github.com/wasmauth/wasmauth/internal/cluster"
)

// pruneEvery is how often old audit events and module log lines are deleted.
const pruneEvery = time.Hour

// pruneEvents deletes the audit events and log lines older than their
// retention at once, and then every pruneEvery until ctx ends, on one node
// of a cluster at a time. It runs in the background: a first sweep over a
// large store does not delay the start.
func (s *Server) pruneEvents(ctx context.Context) {
	cluster.Every(ctx, s.leases, "prune-events", pruneEvery, func(ctx context.Context) error {
		p, err := s.svc.PruneEvents(ctx)
		if err == nil && p.Audit+p.Logs > 0 {
			s.log.Info("deleted old audit events and logs", "audit_events", p.Audit, "log_lines", p.Logs)
		}
		return err
	}, func(err error) {
		s.log.Warn("deleting old audit events and logs failed", "err", err)
	})
}
