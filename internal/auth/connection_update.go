package auth

import (
	"context"
	"maps"
)

// UpdateConnection changes the config or limits of the tenant's connection
// and keeps its driver and DSN: edit changes a copy, which is checked like
// SetConnection's (CodeInvalidLimits) and stored. The database is opened
// and pinged again (CodeConnectionFailed) only when the number of
// instances, which sizes its pool, changes. Returns CodeNotFound when the
// tenant has no connection.
func (s *Service) UpdateConnection(ctx context.Context, tenant string, edit func(*Connection) error, m Meta) (*Connection, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if t.Connection == nil {
		return nil, Errorf(CodeNotFound, "the tenant has no connection; set one with PUT /connection")
	}
	if s.scripts == nil {
		return nil, Errorf(CodeServiceUnavailable, "scripts are disabled on this server")
	}
	next := cloneConnection(t.Connection)
	if err := edit(next); err != nil {
		return nil, err
	}
	if err := s.scripts.CheckLimits(next.Limits); err != nil {
		return nil, err
	}
	reconnect := next.Limits.Instances != t.Connection.Limits.Instances
	if reconnect {
		if err := s.scripts.Connect(ctx, tenant, next); err != nil {
			return nil, err
		}
	}
	if _, err := s.store.UpdateTenant(ctx, tenant, func(cur *Tenant) error {
		if cur.Connection == nil || cur.Connection.Driver != next.Driver || cur.Connection.DSN != next.DSN {
			return Errorf(CodeConnectionFailed, "the connection was replaced or closed meanwhile; try again")
		}
		cur.Connection = next
		return nil
	}); err != nil {
		if reconnect {
			s.scripts.Disconnect(tenant)
		}
		return nil, s.tenantErr(tenant, err)
	}
	s.legacyCounts.forget(tenant)
	s.audit(tenant, EventConnectionSet, m, next.Driver, map[string]any{"dsn_kept": true})
	return next, nil
}

// cloneConnection copies c with its own Config map.
func cloneConnection(c *Connection) *Connection {
	out := *c
	out.Config = maps.Clone(c.Config)
	if out.Config == nil {
		out.Config = map[string]any{}
	}
	return &out
}
