package server

import (
	"context"
	"time"
)

// pruneEvery is how often old audit events and module log lines are deleted.
const pruneEvery = time.Hour

// pruneEvents deletes the audit events and log lines older than their
// retention at once, and then every pruneEvery until ctx ends. It runs in the
// background: a first sweep over a large store does not delay the start.
func (s *Server) pruneEvents(ctx context.Context) {
	tick := time.NewTicker(pruneEvery)
	defer tick.Stop()
	for {
		p, err := s.svc.PruneEvents(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("deleting old audit events and logs failed", "err", err)
		case p.Audit+p.Logs > 0:
			s.log.Info("deleted old audit events and logs", "audit_events", p.Audit, "log_lines", p.Logs)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
