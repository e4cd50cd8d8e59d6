package auth

import "context"

// Audit returns a page of the tenant's audit trail, newest first.
func (s *Service) Audit(ctx context.Context, tenant string, limit int, cursor string) ([]*AuditEvent, string, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, "", err
	}
	s.events.Flush()
	if limit <= 0 {
		limit = 100
	}
	return s.store.ListAudit(ctx, tenant, min(limit, 1000), cursor)
}

// Logs returns the tenant's newest script log lines.
func (s *Service) Logs(ctx context.Context, tenant string, limit int) ([]LogEntry, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, err
	}
	s.events.Flush()
	if limit <= 0 {
		limit = 100
	}
	return s.store.ListLogs(ctx, tenant, min(limit, 1000))
}
