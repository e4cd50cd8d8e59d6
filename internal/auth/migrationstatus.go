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
	// LegacyUsers is how many users the legacy database holds, as the active
	// module's count_users (ABI v1.1) says; nil when it does not export it,
	// there is no connection or the call failed.
	LegacyUsers *int64
	// WeakLegacyPasswords is the tenant's setting, WeakAllow or WeakFlag.
	WeakLegacyPasswords string
}

// SetWeakLegacyPasswords sets what migration does with a legacy password
// that fails the password policy: WeakAllow or WeakFlag. Returns
// CodeInvalidRequest for another value.
func (s *Service) SetWeakLegacyPasswords(ctx context.Context, tenant, mode string, m Meta) (*MigrationStatus, error) {
	if mode != WeakAllow && mode != WeakFlag {
		return nil, Errorf(CodeInvalidRequest, `weak_legacy_passwords must be "allow" or "flag"`)
	}
	if _, err := s.store.UpdateTenant(ctx, tenant, func(t *Tenant) error {
		t.WeakLegacyPasswords = mode
		if mode == WeakAllow {
			t.WeakLegacyPasswords = ""
		}
		return nil
	}); err != nil {
		return nil, s.tenantErr(tenant, err)
	}
	s.audit(tenant, EventMigrationSettings, m, tenant, map[string]any{"weak_legacy_passwords": mode})
	return s.MigrationStatus(ctx, tenant)
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
	weak := t.WeakLegacyPasswords
	if weak == "" {
		weak = WeakAllow
	}
	return &MigrationStatus{Enabled: t.MigrationEnabled, Stats: st, Drain: job, LegacyUsers: s.countLegacyUsers(ctx, t), WeakLegacyPasswords: weak}, nil
}

// countLegacyUsers asks the active module's count_users, when it has one,
// how many users the legacy database holds; nil when it cannot say. The
// answer is reused for LegacyCountTTL (legacyCounts).
func (s *Service) countLegacyUsers(ctx context.Context, t *Tenant) *int64 {
	if s.scripts == nil || t.Connection == nil {
		return nil
	}
	return s.legacyCounts.get(ctx, t.ID, legacyCountKey(t), s.now(), func() *int64 { return s.callCountUsers(ctx, t) })
}

// callCountUsers calls the active module's count_users, when it has one.
func (s *Service) callCountUsers(ctx context.Context, t *Tenant) *int64 {
	if ok, err := s.exports(ctx, t, OpCountUsers); err != nil || !ok {
		return nil
	}
	res, err := s.callScript(ctx, ScriptCall{Tenant: t, Version: t.ActiveScript, Op: OpCountUsers})
	if err != nil {
		return nil
	}
	return &res.Count
}
