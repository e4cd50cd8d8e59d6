package auth

import (
	"time"
)

// Tenant is one customer of the server, with its own users, keys, script and
// legacy connection.
type Tenant struct {
	ID        string
	Name      string
	CreatedAt time.Time
	// APIKeyHash is the SHA-256 of the tenant's current admin API key.
	APIKeyHash []byte
	// SigningKeys signs the tenant's access tokens, newest first.
	SigningKeys []SigningKey
	// ActiveScript is the active script version, 0 when none.
	ActiveScript int
	// Connection is the legacy database connection, nil when none is set.
	Connection *Connection
	// MigrationEnabled switches lazy migration on.
	MigrationEnabled bool
	// Branding is how the hosted pages look; nil means the defaults.
	Branding *Branding
	// WeakLegacyPasswords is what a migration does with a legacy password
	// that fails today's policy: WeakAllow ("" too) or WeakFlag.
	WeakLegacyPasswords string
	// Settings are the tenant's adjustable policies; zero fields mean the
	// defaults.
	Settings Settings
}

// Settings are a tenant's adjustable policies. A zero field takes the
// default.
type Settings struct {
	// BrowserSessionTTL is how long a sign-in on the hosted pages lasts:
	// the single sign-on lifetime (DefaultBrowserSessionTTL).
	BrowserSessionTTL time.Duration
}

// Bounds of a tenant's browser session lifetime.
const (
	DefaultBrowserSessionTTL = 24 * time.Hour
	MinBrowserSessionTTL     = time.Minute
	MaxBrowserSessionTTL     = 30 * 24 * time.Hour
)

// BrowserSessionTTL returns how long the tenant's browser sessions last.
func (t *Tenant) BrowserSessionTTL() time.Duration {
	if t.Settings.BrowserSessionTTL > 0 {
		return t.Settings.BrowserSessionTTL
	}
	return DefaultBrowserSessionTTL
}

// The values of Tenant.WeakLegacyPasswords.
const (
	// WeakAllow migrates a weak legacy password like any other.
	WeakAllow = "allow"
	// WeakFlag migrates it and marks the user PasswordChangeRequired.
	WeakFlag = "flag"
)

// Branding is what a tenant's hosted pages show.
type Branding struct {
	// DisplayName replaces the tenant's name on the pages.
	DisplayName string
	// LogoURL is an https image shown above the form.
	LogoURL string
	// AccentColor is the buttons' colour, "#rrggbb".
	AccentColor string
}

// SigningKey is a private key that signs a tenant's access tokens or its
// ID tokens.
type SigningKey struct {
	ID        string
	Algorithm string // "ES256", "EdDSA" or "RS256"
	Private   []byte // PKCS#8 DER
	CreatedAt time.Time
	// Use is KeyUseIDToken for a key that signs ID tokens, empty for an
	// access token key. An RS256 key signs ID tokens whatever Use says.
	Use string
}

// KeyUseIDToken marks a key that signs ID tokens.
const KeyUseIDToken = "id_token"

// SignsIDTokens reports whether k signs ID tokens rather than access tokens.
func (k SigningKey) SignsIDTokens() bool {
	return k.Use == KeyUseIDToken || k.Algorithm == "RS256"
}

// Connection is a tenant's legacy database, its script settings and limits.
type Connection struct {
	Driver string // "postgres", "mysql" or "sqlite"
	DSN    string
	// Config is handed to the tenant's script as input.config.
	Config map[string]any
	Limits Limits
}

// Limits lowers the runtime's defaults for one tenant. A zero field means the
// default.
type Limits struct {
	TimeoutMS  int   `json:"timeout_ms,omitempty"`
	MemoryMB   int   `json:"memory_mb,omitempty"`
	Fuel       int64 `json:"fuel,omitempty"`
	MaxQueries int   `json:"max_queries,omitempty"`
	MaxRows    int   `json:"max_rows,omitempty"`
	Instances  int   `json:"instances,omitempty"`
}

// Script is the metadata of one uploaded module version.
type Script struct {
	Tenant     string
	Version    int
	SHA256     string
	Size       int
	Exports    []string
	UploadedAt time.Time
}

// ScriptQuota bounds the modules a tenant stores. A zero field is no bound.
type ScriptQuota struct {
	// Versions is the most versions stored at once.
	Versions int
	// Bytes is the most bytes of modules stored at once.
	Bytes int64
}

// Source tells where a user came from.
type Source string

// The sources of a user.
const (
	SourceLocal  Source = "local"
	SourceLegacy Source = "legacy"
)

// User is an account stored locally. Email and Username are normalised
// (trimmed, NFC, lower-case) and unique within the tenant; either may be
// empty but not both.
type User struct {
	ID            string
	Tenant        string
	Email         string
	Username      string
	EmailVerified bool
	Name          string
	Profile       map[string]any
	PasswordHash  string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Source        Source
	// LegacyID is the id in the legacy database; unique within the tenant.
	LegacyID   string
	MigratedAt time.Time
	// Imported marks a user a drain or an import stored, until its first
	// login; LegacyHash is its legacy password hash until then ("" when it
	// has none the server or the module can verify). Never shown. Whatever
	// gives such a user a password (a reset) clears both; a user with a
	// PasswordHash is checked against it only.
	Imported   bool
	LegacyHash string
	// PasswordChangeRequired marks a user whose migrated legacy password
	// fails the password policy (Tenant.WeakLegacyPasswords "flag"); a
	// change of password clears it.
	PasswordChangeRequired bool
}

// UserQuery selects a page of users.
type UserQuery struct {
	// Source filters by source when non-empty.
	Source Source
	Limit  int
	// Cursor is the opaque next_cursor of the previous page.
	Cursor string
}

// Session is one login of a user: a family of rotated refresh tokens.
type Session struct {
	ID        string
	Tenant    string
	UserID    string
	CreatedAt time.Time
	// ExpiresAt is the absolute end of the session; refreshing never extends it.
	ExpiresAt time.Time
	RevokedAt time.Time
	// ClientID is the OpenID Connect client the session was issued to; empty
	// for a v1 login, whose refresh tokens only v1's refresh grant takes.
	ClientID string
	// Scopes are the scopes granted to ClientID.
	Scopes []string
	// AuthTime is when the user last entered a password for ClientID's
	// session; zero for v1 logins, where it is CreatedAt.
	AuthTime time.Time
}

// Active reports whether the session is usable at now.
func (s *Session) Active(now time.Time) bool {
	return s.RevokedAt.IsZero() && now.Before(s.ExpiresAt)
}

// MigrationStats counts a tenant's users and legacy outcomes. Every field is
// kept exact by the store.
type MigrationStats struct {
	UsersMigrated   int64
	UsersRegistered int64
	LastMigratedAt  time.Time
	LegacyLoginsOK  int64
	LegacyRejected  int64
	LegacyErrors    int64
	// UsersImported counts the users a drain or an import stored that have
	// not logged in yet.
	UsersImported int64
	// LegacyInactive and LegacyLocked count the rejections whose reason was
	// "inactive" or "locked"; LegacyRejected includes them.
	LegacyInactive int64
	LegacyLocked   int64
	// LegacyConflicts counts the logins the module accepted whose user was
	// not copied, its email or username belonging to another local user
	// (409 migration_conflict). A drain's conflicts are counted in its job.
	LegacyConflicts int64
}

// LegacyOutcome is the result of one call of a tenant's module.
type LegacyOutcome int

// The legacy outcomes counted in MigrationStats. LegacyInactive and
// LegacyLocked are rejections, counted both as such and on their own;
// LegacyConflict is an accepted login whose user could not be copied.
const (
	LegacyOK LegacyOutcome = iota + 1
	LegacyRejected
	LegacyError
	LegacyInactive
	LegacyLocked
	LegacyConflict
)

// AuditEvent is one entry of a tenant's audit trail.
type AuditEvent struct {
	ID      string
	Tenant  string
	Time    time.Time
	Type    string
	Actor   string
	Subject string
	IP      string
	Detail  map[string]any
}

// LogEntry is one line of a tenant's script log.
type LogEntry struct {
	Time    time.Time
	Level   string // "debug", "info", "warn", "error"
	Op      string // "login", "get_user", "test", "host"
	Message string
}
