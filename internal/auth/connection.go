package auth

import (
	"context"
	"time"
)

// SetConnection opens and pings the tenant's legacy database, then stores
// the connection. Returns CodeInvalidRequest, CodeInvalidLimits,
// CodeConnectionFailed.
func (s *Service) SetConnection(ctx context.Context, tenant string, c *Connection, m Meta) error {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return err
	}
	switch c.Driver {
	case "postgres", "mysql", "sqlite":
	default:
		return Errorf(CodeInvalidRequest, `driver must be "postgres", "mysql" or "sqlite"`)
	}
	if c.DSN == "" {
		return Errorf(CodeInvalidRequest, "dsn is required")
	}
	if s.scripts == nil {
		return Errorf(CodeServiceUnavailable, "scripts are disabled on this server")
	}
	if err := s.scripts.CheckLimits(c.Limits); err != nil {
		return err
	}
	if err := s.scripts.Connect(ctx, tenant, c); err != nil {
		return err
	}
	if _, err := s.store.UpdateTenant(ctx, tenant, func(t *Tenant) error {
		t.Connection = c
		return nil
	}); err != nil {
		s.scripts.Disconnect(tenant)
		return s.tenantErr(tenant, err)
	}
	s.legacyCounts.forget(tenant)
	s.audit(tenant, EventConnectionSet, m, c.Driver, nil)
	return nil
}

// Connection returns the tenant's connection, or nil.
func (s *Service) Connection(ctx context.Context, tenant string) (*Connection, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return t.Connection, nil
}

// DeleteConnection closes the tenant's legacy database, forgets its DSN and
// switches migration off.
func (s *Service) DeleteConnection(ctx context.Context, tenant string, m Meta) error {
	if _, err := s.store.UpdateTenant(ctx, tenant, func(t *Tenant) error {
		t.Connection = nil
		t.MigrationEnabled = false
		return nil
	}); err != nil {
		return s.tenantErr(tenant, err)
	}
	if s.scripts != nil {
		s.scripts.Disconnect(tenant)
	}
	s.legacyCounts.forget(tenant)
	s.audit(tenant, EventConnectionClosed, m, tenant, nil)
	return nil
}

// RestoreConnections reopens the legacy connections of every tenant that has
// one, after a restart. Failures are logged: the database may come back later.
func (s *Service) RestoreConnections(ctx context.Context) {
	if s.scripts == nil {
		return
	}
	tenants, err := s.store.ListTenants(ctx)
	if err != nil {
		s.log.Error("listing tenants to reconnect", "err", err)
		return
	}
	for _, t := range tenants {
		if t.Connection == nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := s.scripts.Connect(cctx, t.ID, t.Connection); err != nil {
			s.log.Warn("reconnecting legacy database", "tenant", t.ID, "err", err)
		}
		cancel()
	}
}
