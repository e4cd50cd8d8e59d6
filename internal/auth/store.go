package auth

import (
	"context"
	"iter"
	"time"
)

// Store keeps everything the server knows. Implementations must be safe for
// concurrent use, make every acknowledged write durable, and keep tenants
// apart: no method returns or changes another tenant's records.
//
// All backends pass the one conformance suite in internal/store/storetest.
type Store interface {
	ConsoleSessionStore

	// Ping reports whether the store is open and usable.
	Ping(ctx context.Context) error
	// Close flushes and closes the store.
	Close() error

	// CreateTenant stores a new tenant. Returns ErrTenantExists if the id is taken.
	CreateTenant(ctx context.Context, t *Tenant) error
	// GetTenant returns a tenant. Returns ErrNotFound.
	GetTenant(ctx context.Context, id string) (*Tenant, error)
	// ListTenants returns every tenant ordered by id.
	ListTenants(ctx context.Context) ([]*Tenant, error)
	// UpdateTenant applies fn to the stored tenant atomically and returns the
	// result. fn may run more than once; an error from it aborts the update and
	// is returned as is. Returns ErrNotFound for an unknown tenant, and when fn
	// sets ActiveScript to a version that is not stored.
	UpdateTenant(ctx context.Context, id string, fn func(*Tenant) error) (*Tenant, error)
	// DeleteTenant removes the tenant and all its records. Returns ErrNotFound.
	DeleteTenant(ctx context.Context, id string) error

	// AddScript stores a module and its metadata as the tenant's next version,
	// setting s.Version (1, 2, ...). When activate is true it also becomes the
	// tenant's active script, in the same transaction. Returns ErrNotFound for
	// an unknown tenant, and ErrQuotaExceeded when the tenant's versions, this
	// one included, would be more than q allows; the check and the write are
	// one atomic step, also under concurrent calls.
	AddScript(ctx context.Context, s *Script, module []byte, activate bool, q ScriptQuota) error
	// ListScripts returns the tenant's script versions, oldest first.
	ListScripts(ctx context.Context, tenant string) ([]*Script, error)
	// GetScript returns one version's metadata and module. Returns ErrNotFound.
	GetScript(ctx context.Context, tenant string, version int) (*Script, []byte, error)
	// DeleteScript removes one version's metadata and module; its number is
	// not given out again. Returns ErrNotFound for an unknown tenant or
	// version, and ErrScriptActive when it is the active version (checked
	// atomically with the delete, so a concurrent UpdateTenant cannot make it
	// active meanwhile).
	DeleteScript(ctx context.Context, tenant string, version int) error

	// CreateUser stores a new user and counts it in the tenant's stats
	// (registered or migrated, by u.Source). Returns ErrEmailTaken,
	// ErrUsernameTaken or ErrLegacyIDTaken when another user of the tenant
	// holds one of those; checks and insert are one atomic step, also under
	// concurrent calls.
	CreateUser(ctx context.Context, u *User) error
	// GetUser returns a user by id. Returns ErrNotFound.
	GetUser(ctx context.Context, tenant, id string) (*User, error)
	// FindUser returns the user whose normalised email or username equals
	// identifier (email first). Returns ErrNotFound.
	FindUser(ctx context.Context, tenant, identifier string) (*User, error)
	// FindUserByLegacyID returns the user migrated from legacyID. Returns ErrNotFound.
	FindUserByLegacyID(ctx context.Context, tenant, legacyID string) (*User, error)
	// UpdateUser applies fn to the stored user atomically, keeping the email
	// and username indexes right. Returns ErrNotFound, ErrEmailTaken, ErrUsernameTaken.
	UpdateUser(ctx context.Context, tenant, id string, fn func(*User) error) (*User, error)
	// DeleteUser removes a user, its sessions, and its count in the stats.
	// Returns ErrNotFound.
	DeleteUser(ctx context.Context, tenant, id string) error
	// ListUsers returns a page of users in creation order and the cursor of the
	// next page ("" at the end).
	ListUsers(ctx context.Context, tenant string, q UserQuery) ([]*User, string, error)

	// ImportUsers stores the users of one drain page or import batch in
	// one transaction; see ImportOutcome. Each user is a new legacy user
	// (ID, LegacyID, Imported set). With dryRun nothing but the job is
	// written. When job is not nil, the drain job it returns for the
	// outcomes is saved in the same transaction, so a page's users, its
	// counts and its cursor are committed together. Returns ErrNotFound for
	// an unknown tenant.
	ImportUsers(ctx context.Context, tenant string, users []*User, dryRun bool, job func([]ImportOutcome) *DrainJob) ([]ImportOutcome, error)
	// GetDrain returns the tenant's drain job. Returns ErrNotFound.
	GetDrain(ctx context.Context, tenant string) (*DrainJob, error)
	// SaveDrain stores the tenant's drain job. Returns ErrNotFound for an
	// unknown tenant.
	SaveDrain(ctx context.Context, tenant string, job *DrainJob) error

	// MigrationStats returns the tenant's counts.
	MigrationStats(ctx context.Context, tenant string) (MigrationStats, error)
	// CountLegacyOutcome adds one to the counter of outcome; LegacyInactive
	// and LegacyLocked add one to LegacyRejected as well.
	CountLegacyOutcome(ctx context.Context, tenant string, outcome LegacyOutcome) error

	// CreateSession stores a session with its first refresh token's hash.
	CreateSession(ctx context.Context, s *Session, refreshHash []byte) error
	// CreateCodeSession is CreateSession for the exchange of the code of
	// the authorization request authRequestID (of s's tenant): in the same
	// atomic step it marks the request used, setting its SessionID to s.ID.
	// Returns ErrCodeUsed, storing nothing, when the request already has a
	// session (of two concurrent exchanges one gets it), and ErrNotFound
	// when the request is unknown or expired.
	CreateCodeSession(ctx context.Context, s *Session, refreshHash []byte, authRequestID string) error
	// GetSession returns a session. Returns ErrNotFound.
	GetSession(ctx context.Context, tenant, id string) (*Session, error)
	// RotateRefreshToken exchanges the refresh token with hash oldHash for one
	// with newHash, in one atomic step, and returns the session. Returns
	// ErrNotFound for an unknown token, ErrSessionEnded for a revoked or expired
	// session, and ErrRefreshReused for a token already rotated — in which case
	// the whole session has been revoked.
	RotateRefreshToken(ctx context.Context, tenant string, oldHash, newHash []byte, now time.Time) (*Session, error)
	// RevokeRefreshToken revokes the session of a refresh token. An unknown
	// token is not an error.
	RevokeRefreshToken(ctx context.Context, tenant string, hash []byte, now time.Time) error
	// RevokeSession revokes one session. Returns ErrNotFound.
	RevokeSession(ctx context.Context, tenant, id string, now time.Time) error
	// RevokeUserSessions revokes every session of the user except keep.
	RevokeUserSessions(ctx context.Context, tenant, userID, keep string, now time.Time) error

	// AppendAudit stores audit events in as few writes as it can, setting
	// e.ID when empty. Events of an unknown tenant are skipped and reported
	// with ErrNotFound; the others are stored.
	AppendAudit(ctx context.Context, events ...*AuditEvent) error
	// ListAudit returns the tenant's events newest first, and the next cursor.
	ListAudit(ctx context.Context, tenant string, limit int, cursor string) ([]*AuditEvent, string, error)

	// AppendLogs stores lines of the tenant's script log.
	AppendLogs(ctx context.Context, tenant string, entries []LogEntry) error
	// ListLogs returns the tenant's newest log lines, newest first.
	ListLogs(ctx context.Context, tenant string, limit int) ([]LogEntry, error)

	// DeleteAuditBefore removes every tenant's audit events whose Time is
	// before t and returns how many it removed.
	DeleteAuditBefore(ctx context.Context, t time.Time) (int, error)
	// DeleteLogsBefore removes every tenant's log lines whose Time is before
	// t and returns how many it removed.
	DeleteLogsBefore(ctx context.Context, t time.Time) (int, error)
	// SaveRateLimits stores the rate limiter's changed keys, in as few
	// writes as it can. A state whose Until is zero or past is deleted;
	// the others replace the key's state and may be dropped once Until
	// passes.
	SaveRateLimits(ctx context.Context, states []RateLimitState) error
	// LoadRateLimits returns every stored state whose Until is after now.
	LoadRateLimits(ctx context.Context, now time.Time) ([]RateLimitState, error)

	// CreateClient stores a new OpenID Connect client. Returns ErrNotFound
	// for an unknown tenant.
	CreateClient(ctx context.Context, c *Client) error
	// GetClient returns a client. Returns ErrNotFound.
	GetClient(ctx context.Context, tenant, id string) (*Client, error)
	// ListClients returns the tenant's clients in creation order.
	ListClients(ctx context.Context, tenant string) ([]*Client, error)
	// UpdateClient applies fn to the stored client atomically and returns the
	// result; fn may run more than once and its error is returned as is.
	// Returns ErrNotFound.
	UpdateClient(ctx context.Context, tenant, id string, fn func(*Client) error) (*Client, error)
	// DeleteClient removes a client. Returns ErrNotFound.
	DeleteClient(ctx context.Context, tenant, id string) error

	// SessionByRefreshToken returns the session of a refresh token, current
	// or already rotated, without changing anything. Returns ErrNotFound.
	SessionByRefreshToken(ctx context.Context, tenant string, hash []byte) (*Session, error)

	// CreateAuthRequest stores a pending authorization request until
	// r.ExpiresAt. Returns ErrNotFound for an unknown tenant.
	CreateAuthRequest(ctx context.Context, r *AuthRequest) error
	// GetAuthRequest returns an authorization request. Returns ErrNotFound,
	// also once it has expired.
	GetAuthRequest(ctx context.Context, tenant, id string) (*AuthRequest, error)
	// AuthRequestByCode returns the authorization request whose code has
	// the hash codeHash. Returns ErrNotFound.
	AuthRequestByCode(ctx context.Context, tenant string, codeHash []byte) (*AuthRequest, error)
	// UpdateAuthRequest applies fn to the stored request atomically (fn may
	// run more than once; its error is returned as is) and keeps the code
	// index and the expiry right. Returns ErrNotFound.
	UpdateAuthRequest(ctx context.Context, tenant, id string, fn func(*AuthRequest) error) (*AuthRequest, error)
	// DeleteAuthRequest removes an authorization request. Returns ErrNotFound.
	DeleteAuthRequest(ctx context.Context, tenant, id string) error

	// CreateBrowserSession stores a browser session until its ExpiresAt.
	// Returns ErrNotFound for an unknown tenant.
	CreateBrowserSession(ctx context.Context, b *BrowserSession) error
	// GetBrowserSession returns the browser session with the id hash.
	// Returns ErrNotFound, also once it has expired.
	GetBrowserSession(ctx context.Context, tenant string, idHash []byte) (*BrowserSession, error)
	// DeleteBrowserSession ends a browser session. An unknown one is not an
	// error.
	DeleteBrowserSession(ctx context.Context, tenant string, idHash []byte) error

	// Export calls emit with every record of the store, read from one
	// consistent snapshot, in the order BackupRecord describes. It stops at
	// emit's first error and returns it. Backups (WriteBackup) are made of
	// it, so two backends with the same data export the same records.
	Export(ctx context.Context, emit func(*BackupRecord) error) error
	// Import stores records as they are into an empty store: nothing is
	// recounted, renumbered or given new times, so a later Export gives the
	// same records. It returns the first error records yields, and refuses
	// a record that breaks the store's rules (a duplicate id, email,
	// username or legacy id, a record of an unknown tenant or user). An
	// error about a record comes while that record is the last one read,
	// or names the record as a *RecordError (a store that writes in
	// batches learns of some refusals later). Returns
	// ErrStoreNotEmpty when the store holds data. The store must not be in
	// use by other calls meanwhile; a failed Import leaves part of the
	// records stored.
	Import(ctx context.Context, records iter.Seq2[*BackupRecord, error]) error

	// GetLoginTiming returns what the tenant's login-time equalizer has
	// learned. Returns ErrNotFound when nothing is stored.
	GetLoginTiming(ctx context.Context, tenant string) (*LoginTiming, error)
	// PutLoginTiming replaces it. Returns ErrNotFound for an unknown tenant.
	PutLoginTiming(ctx context.Context, tenant string, lt *LoginTiming) error

	// PutResetToken stores a password reset token until its ExpiresAt,
	// replacing the earlier token of the same Subject in the same atomic
	// step. Returns ErrNotFound for an unknown tenant.
	PutResetToken(ctx context.Context, t *ResetToken) error
	// GetResetToken returns the unexpired token whose hash is hash.
	// Returns ErrNotFound.
	GetResetToken(ctx context.Context, tenant string, hash []byte) (*ResetToken, error)
	// DeleteResetToken removes the token whose hash is hash. Returns
	// ErrNotFound when none is stored, so that of two uses of one token
	// only one succeeds.
	DeleteResetToken(ctx context.Context, tenant string, hash []byte) error
	// EnqueueMail stores m in the outbox, setting ID (time-ordered) when
	// empty. Returns ErrNotFound for an unknown tenant.
	EnqueueMail(ctx context.Context, m *Mail) error
	// DueMail returns up to limit mails of every tenant whose NextAttempt
	// is not after now, oldest first.
	DueMail(ctx context.Context, now time.Time, limit int) ([]*Mail, error)
	// UpdateMail stores a mail's Attempts, NextAttempt and LastError.
	// Returns ErrNotFound.
	UpdateMail(ctx context.Context, m *Mail) error
	// DeleteMail removes a mail from the outbox. Returns ErrNotFound.
	DeleteMail(ctx context.Context, id string) error
}
