package httpapi

import (
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// userJSON is the contract's user object.
type userJSON struct {
	ID            string         `json:"id"`
	Email         *string        `json:"email"`
	Username      *string        `json:"username"`
	EmailVerified bool           `json:"email_verified"`
	Name          *string        `json:"name"`
	Profile       map[string]any `json:"profile"`
	CreatedAt     time.Time      `json:"created_at"`
	Source        auth.Source    `json:"source"`
	LegacyID      *string        `json:"legacy_id"`
	MigratedAt    *time.Time     `json:"migrated_at"`
	// PasswordChangeRequired is set, and true, for a user whose migrated
	// legacy password fails the policy (weak_legacy_passwords "flag").
	PasswordChangeRequired bool `json:"password_change_required"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toUser(u *auth.User) userJSON {
	profile := u.Profile
	if profile == nil {
		profile = map[string]any{}
	}
	return userJSON{
		ID:            u.ID,
		Email:         optional(u.Email),
		Username:      optional(u.Username),
		EmailVerified: u.EmailVerified,
		Name:          optional(u.Name),
		Profile:       profile,
		CreatedAt:     u.CreatedAt,
		Source:        u.Source,
		LegacyID:      optional(u.LegacyID),
		MigratedAt:    optionalTime(u.MigratedAt),

		PasswordChangeRequired: u.PasswordChangeRequired,
	}
}

type tenantJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func toTenant(t *auth.Tenant) tenantJSON {
	return tenantJSON{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt}
}

type scriptJSON struct {
	Version    int       `json:"version"`
	SHA256     string    `json:"sha256"`
	Size       int       `json:"size"`
	Exports    []string  `json:"exports"`
	UploadedAt time.Time `json:"uploaded_at"`
	Active     *bool     `json:"active,omitempty"`
}

func toScript(s *auth.Script) scriptJSON {
	exports := s.Exports
	if exports == nil {
		exports = []string{}
	}
	return scriptJSON{Version: s.Version, SHA256: s.SHA256, Size: s.Size, Exports: exports, UploadedAt: s.UploadedAt}
}

type tokenJSON struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type"`
	ExpiresIn    int       `json:"expires_in"`
	RefreshToken string    `json:"refresh_token"`
	Scope        string    `json:"scope,omitempty"`
	User         *userJSON `json:"user,omitempty"`
}

func toTokens(ts *auth.TokenSet, withUser bool) tokenJSON {
	out := tokenJSON{AccessToken: ts.AccessToken, TokenType: "Bearer", ExpiresIn: ts.ExpiresIn, RefreshToken: ts.RefreshToken}
	if withUser {
		u := toUser(ts.User)
		out.User = &u
	}
	return out
}

type migrationJSON struct {
	Enabled         bool       `json:"enabled"`
	UsersTotal      int64      `json:"users_total"`
	UsersMigrated   int64      `json:"users_migrated"`
	UsersRegistered int64      `json:"users_registered"`
	LastMigratedAt  *time.Time `json:"last_migrated_at"`
	Legacy          legacyJSON `json:"legacy"`
	Drain           *drainJSON `json:"drain"`
	UsersImported   int64      `json:"users_imported"`
	// LegacyUsers is the active module's count_users answer, or null.
	LegacyUsers *int64 `json:"legacy_users"`
	// WeakLegacyPasswords is "allow" or "flag".
	WeakLegacyPasswords string `json:"weak_legacy_passwords"`
}

type legacyJSON struct {
	LoginsOK       int64 `json:"logins_ok"`
	LoginsRejected int64 `json:"logins_rejected"`
	Errors         int64 `json:"errors"`
	LoginsInactive int64 `json:"logins_inactive"` // rejected as "inactive", within logins_rejected
	LoginsLocked   int64 `json:"logins_locked"`   // rejected as "locked", within logins_rejected
	// Conflicts are logins the module accepted whose user was not copied
	// (409 migration_conflict); a drain's are in drain.conflicts.
	Conflicts int64 `json:"conflicts"`
}

func toMigration(m *auth.MigrationStatus) migrationJSON {
	st := m.Stats
	return migrationJSON{
		Enabled:         m.Enabled,
		UsersTotal:      st.UsersMigrated + st.UsersRegistered,
		UsersMigrated:   st.UsersMigrated,
		UsersRegistered: st.UsersRegistered,
		LastMigratedAt:  optionalTime(st.LastMigratedAt),
		Legacy: legacyJSON{LoginsOK: st.LegacyLoginsOK, LoginsRejected: st.LegacyRejected, Errors: st.LegacyErrors,
			LoginsInactive: st.LegacyInactive, LoginsLocked: st.LegacyLocked, Conflicts: st.LegacyConflicts},
		Drain:         toDrain(m.Drain),
		UsersImported: st.UsersImported,
		LegacyUsers:   m.LegacyUsers,

		WeakLegacyPasswords: m.WeakLegacyPasswords,
	}
}

type connectionJSON struct {
	Driver string         `json:"driver"`
	DSNSet bool           `json:"dsn_set"`
	Config map[string]any `json:"config"`
	Limits auth.Limits    `json:"limits"`
}

type auditJSON struct {
	Time    time.Time      `json:"time"`
	Type    string         `json:"type"`
	Actor   string         `json:"actor"`
	Subject string         `json:"subject"`
	IP      string         `json:"ip"`
	Detail  map[string]any `json:"detail"`
}

type logJSON struct {
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Op      string    `json:"op"`
	Message string    `json:"message"`
}

type testLogJSON struct {
	Level   string `json:"level"`
	Message string `json:"message"`
}
