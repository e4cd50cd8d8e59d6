package auth

import (
	"context"
	"encoding/json"
	"time"
)

// Script operations a tenant module exports.
const (
	OpLogin   = "login"
	OpGetUser = "get_user"
	// OpListUsers, OpVerifyHash and OpCountUsers are optional exports (ABI v1.1).
	OpListUsers  = "list_users"
	OpVerifyHash = "verify_hash"
	OpCountUsers = "count_users"
)

// LegacyUser is a user as a tenant's script describes it.
type LegacyUser struct {
	ID            string
	Email         string
	Username      string
	EmailVerified bool
	Name          string
	Profile       map[string]any
	// PasswordHash is the legacy hash a list_users page or an import gives;
	// "" when none.
	PasswordHash string
}

// InvalidLegacyUser is a user of a list_users page that breaks the rules.
type InvalidLegacyUser struct {
	ID      string // its id, when it has a string one
	Message string
}

// ScriptCall is one call of a tenant's module.
type ScriptCall struct {
	Tenant *Tenant
	// Version is the script version to run.
	Version    int
	Op         string
	Identifier string
	// Password is set for OpLogin and OpVerifyHash.
	Password string
	// PasswordHash is the hash OpVerifyHash checks Password against.
	PasswordHash string
	// Cursor (nil for the first page) and Limit are OpListUsers's.
	Cursor *string
	Limit  int
	// Background marks a call no request waits for: it runs only when it
	// delays no other call.
	Background bool
	// DryRun marks an administrator's test call: it always runs, even while
	// the module's circuit breaker holds other calls back.
	DryRun bool
}

// ScriptResult is what a call of a tenant's module produced. It is returned
// also with a failure, for its logs.
type ScriptResult struct {
	// User is the answer's user; nil means no such user or a wrong password.
	User *LegacyUser
	// Reason is the module's optional "not_found", "wrong_password",
	// "inactive" or "locked".
	Reason string
	// ID is the legacy id of the account a rejection is about, when the
	// module names it (ABI v1.1); failures then count against that account.
	ID string
	// Users, Invalid and NextCursor are an OpListUsers page; NextCursor is
	// nil after the last page.
	Users      []*LegacyUser
	Invalid    []InvalidLegacyUser
	NextCursor *string
	// OK is OpVerifyHash's answer.
	OK bool
	// Count is OpCountUsers's answer: how many users the legacy database holds.
	Count int64
	// Output is the module's answer as it gave it.
	Output   json.RawMessage
	Logs     []LogEntry
	FuelUsed int64
	Duration time.Duration
}

// ScriptError is a failed module call. Kind is one of "trap",
// "out_of_fuel", "deadline", "bad_output", "limit", "script_failed" or
// "unavailable" (no connection pool, no module).
type ScriptError struct {
	Kind    string
	Message string
}

func (e *ScriptError) Error() string { return e.Kind + ": " + e.Message }

// ModuleInfo describes a validated module.
type ModuleInfo struct {
	SHA256  string
	Size    int
	Exports []string
}

// Scripts runs tenant modules against their legacy databases. The runtime
// adapter in internal/scripts implements it.
type Scripts interface {
	// Validate checks and compiles an uploaded module. Returns CodeInvalidModule
	// or CodeModuleTooLarge.
	Validate(ctx context.Context, module []byte) (ModuleInfo, error)
	// Call runs one operation. A failure is a *ScriptError; the result is
	// returned with it.
	Call(ctx context.Context, c ScriptCall) (*ScriptResult, error)
	// CheckLimits refuses a tenant's limits that are negative or above the
	// operator's maxima. Returns CodeInvalidLimits.
	CheckLimits(l Limits) error
	// Connect opens and pings a tenant's legacy database, replacing the
	// current pool when it succeeds. Returns CodeConnectionFailed.
	Connect(ctx context.Context, tenant string, c *Connection) error
	// Disconnect closes a tenant's legacy database, if open.
	Disconnect(tenant string)
	// Forget drops everything the runtime holds for a tenant.
	Forget(tenant string)
	// ForgetVersion drops what the runtime holds for a deleted version of a
	// tenant's module.
	ForgetVersion(tenant string, version int)
	// CheckLegacyHash reports whether the server verifies hash itself (the
	// verifiers and cost caps of the ABI's verify_password): nil, or why
	// not. It hashes nothing.
	CheckLegacyHash(hash string) error
	// VerifyLegacyHash checks pw against a legacy hash for tenant, in the
	// legacy hash pool verify_password uses.
	VerifyLegacyHash(ctx context.Context, tenant, hash, pw string) (bool, error)
}
