package auth

import "time"

// Login outcomes reported to an Observer.
const (
	OutcomeLocalOK        = "local_ok"
	OutcomeLegacyMigrated = "legacy_migrated"
	OutcomeRejected       = "rejected"
	OutcomeLegacyError    = "legacy_error"
	OutcomeRateLimited    = "rate_limited"
	OutcomeConflict       = "migration_conflict"
)

// Observer receives what the service does, for metrics. Implementations
// must be cheap and safe for concurrent use.
type Observer interface {
	// Login counts one login attempt by outcome.
	Login(outcome string)
	// ScriptCall reports one module call: outcome is "ok" or a failure kind.
	ScriptCall(tenant, op, outcome string, d time.Duration, fuel int64)
	// ForgetTenant drops what is kept per tenant, once it is deleted.
	ForgetTenant(tenant string)
}

type nopObserver struct{}

func (nopObserver) Login(string)                                            {}
func (nopObserver) ScriptCall(string, string, string, time.Duration, int64) {}
func (nopObserver) ForgetTenant(string)                                     {}
