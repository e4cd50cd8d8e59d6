package auth

import (
	"context"
	"time"
)

// EventSettingsSet is the audit event of a change of a tenant's settings.
const EventSettingsSet = "settings_set"

// SetSettings replaces the tenant's settings; a zero field returns to its
// default. The browser session lifetime is a whole number of seconds from
// MinBrowserSessionTTL to MaxBrowserSessionTTL. Sessions already started
// keep the end they were given. Returns CodeTenantNotFound and
// CodeInvalidRequest.
func (s *Service) SetSettings(ctx context.Context, tenant string, in Settings, m Meta) (*Settings, error) {
	if d := in.BrowserSessionTTL; d != 0 && (d < MinBrowserSessionTTL || d > MaxBrowserSessionTTL || d%time.Second != 0) {
		return nil, Errorf(CodeInvalidRequest, "browser_session_seconds must be from %d to %d (0 for the default, %d)",
			int(MinBrowserSessionTTL/time.Second), int(MaxBrowserSessionTTL/time.Second), int(DefaultBrowserSessionTTL/time.Second))
	}
	_, err := s.store.UpdateTenant(ctx, tenant, func(t *Tenant) error {
		t.Settings = in
		return nil
	})
	if err != nil {
		return nil, s.tenantErr(tenant, err)
	}
	s.audit(tenant, EventSettingsSet, m, tenant, map[string]any{"browser_session_seconds": int(in.BrowserSessionTTL / time.Second)})
	return &in, nil
}
