package auth

import (
	"context"
	"errors"
)

// MigrationStatus is a tenant's migration switch and counts.
type MigrationStatus struct {
	Enabled bool
	Stats   MigrationStats
	// Drain is the tenant's drain job; nil when it never had one.
	Drain *DrainJob
}

// SetMigration switches lazy migration on or off. Returns
// CodeMigrationNotReady when switching on without an active script and a
// connection.
func (s *Service) SetMigration(ctx context.Context, tenant string, enabled bool, m Meta) (*MigrationStatus, error) {
	_, err := s.store.UpdateTenant(ctx, tenant, func(t *Tenant) error {
		if enabled && (t.ActiveScript == 0 || t.Connection == nil) {
			return Errorf(CodeMigrationNotReady, "migration needs an active script and a connection")
		}
		t.MigrationEnabled = enabled
		return nil
	})
	if err != nil {
		return nil, s.tenantErr(tenant, err)
	}
	typ := EventMigrationDisabled
	if enabled {
		typ = EventMigrationEnabled
	}
	s.audit(tenant, typ, m, tenant, nil)
	return s.MigrationStatus(ctx, tenant)
}

// MigrationStatus returns the tenant's migration switch and counts.
func (s *Service) MigrationStatus(ctx context.Context, tenant string) (*MigrationStatus, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	st, err := s.store.MigrationStats(ctx, tenant)
	if err != nil {
		return nil, err
	}
	job, err := s.store.GetDrain(ctx, tenant)
	if errors.Is(err, ErrNotFound) {
		job, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &MigrationStatus{Enabled: t.MigrationEnabled, Stats: st, Drain: job}, nil
}
