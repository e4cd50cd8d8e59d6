package auth

import (
	"context"
	"errors"
	"time"
)

// migrationOn reports whether the tenant's module is called for unknown users.
func (s *Service) migrationOn(t *Tenant) bool {
	return s.scripts != nil && t.MigrationEnabled && t.ActiveScript > 0 && t.Connection != nil
}

// callScript runs a module call, records its logs and outcome, and maps a
// failure to CodeLegacyUnavailable.
func (s *Service) callScript(ctx context.Context, c ScriptCall) (*ScriptResult, error) {
	res, err := s.scripts.Call(ctx, c)
	outcome := "ok"
	var se *ScriptError
	if errors.As(err, &se) {
		outcome = se.Kind
	} else if err != nil {
		outcome = "unavailable"
	}
	if res != nil {
		s.events.Logs(c.Tenant.ID, res.Logs)
		s.observe.ScriptCall(c.Tenant.ID, c.Op, outcome, res.Duration, res.FuelUsed)
	} else {
		s.observe.ScriptCall(c.Tenant.ID, c.Op, outcome, 0, 0)
	}
	if err != nil {
		if c.Op == OpLogin {
			s.observe.Login(OutcomeLegacyError)
			s.countLegacy(c.Tenant.ID, LegacyError)
		}
		s.log.Warn("tenant script failed", "tenant", c.Tenant.ID, "op", c.Op, "err", err)
		return res, Wrap(err, CodeLegacyUnavailable, "the legacy user store is unavailable; try again later")
	}
	return res, nil
}

func (s *Service) countLegacy(tenant string, o LegacyOutcome) {
	// The count must not be lost because the client went away.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.store.CountLegacyOutcome(ctx, tenant, o); err != nil {
		s.log.Error("counting legacy outcome", "tenant", tenant, "err", err)
	}
}
