package badgerstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// The records below are the stored JSON form of the domain types. They are
// separate from the auth types on purpose: their json names are the on-disk
// format, and renaming a Go field in package auth must not change it. New
// fields are added with omitempty/omitzero so old records still decode.

type tenantRecord struct {
	ID               string            `json:"id"`
	Name             string            `json:"name,omitempty"`
	CreatedAt        time.Time         `json:"created_at,omitzero"`
	APIKeyHash       []byte            `json:"api_key_hash,omitempty"`
	SigningKeys      []signingKeyRec   `json:"signing_keys,omitempty"`
	ActiveScript     int               `json:"active_script,omitempty"`
	Connection       *connectionRecord `json:"connection,omitempty"`
	MigrationEnabled bool              `json:"migration_enabled,omitempty"`
	Branding         *brandingRecord   `json:"branding,omitempty"`
	WeakLegacy       string            `json:"weak_legacy_passwords,omitempty"`
	Settings         *settingsRecord   `json:"settings,omitempty"`
}

type settingsRecord struct {
	BrowserSessionSeconds int64 `json:"browser_session_seconds,omitempty"`
}

type brandingRecord struct {
	DisplayName string `json:"display_name,omitempty"`
	LogoURL     string `json:"logo_url,omitempty"`
	AccentColor string `json:"accent_color,omitempty"`
}

type signingKeyRec struct {
	ID        string    `json:"id"`
	Algorithm string    `json:"alg"`
	Private   []byte    `json:"private"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	Use       string    `json:"use,omitempty"`
}

type connectionRecord struct {
	Driver string         `json:"driver"`
	DSN    string         `json:"dsn,omitempty"`
	Config map[string]any `json:"config,omitempty"`
	Limits limitsRecord   `json:"limits,omitzero"`
}

type limitsRecord struct {
	TimeoutMS  int   `json:"timeout_ms,omitempty"`
	MemoryMB   int   `json:"memory_mb,omitempty"`
	Fuel       int64 `json:"fuel,omitempty"`
	MaxQueries int   `json:"max_queries,omitempty"`
	MaxRows    int   `json:"max_rows,omitempty"`
	Instances  int   `json:"instances,omitempty"`
}

func fromTenant(t *auth.Tenant) *tenantRecord {
	r := &tenantRecord{
		ID:               t.ID,
		Name:             t.Name,
		CreatedAt:        t.CreatedAt.UTC(),
		APIKeyHash:       t.APIKeyHash,
		ActiveScript:     t.ActiveScript,
		MigrationEnabled: t.MigrationEnabled,
		WeakLegacy:       t.WeakLegacyPasswords,
	}
	for _, k := range t.SigningKeys {
		r.SigningKeys = append(r.SigningKeys, signingKeyRec{
			ID: k.ID, Algorithm: k.Algorithm, Private: k.Private, CreatedAt: k.CreatedAt.UTC(), Use: k.Use,
		})
	}
	if t.Settings != (auth.Settings{}) {
		r.Settings = &settingsRecord{BrowserSessionSeconds: int64(t.Settings.BrowserSessionTTL / time.Second)}
	}
	if b := t.Branding; b != nil {
		r.Branding = &brandingRecord{DisplayName: b.DisplayName, LogoURL: b.LogoURL, AccentColor: b.AccentColor}
	}
	if c := t.Connection; c != nil {
		r.Connection = &connectionRecord{
			Driver: c.Driver,
			DSN:    c.DSN,
			Config: c.Config,
			Limits: limitsRecord(c.Limits),
		}
	}
	return r
}

func (r *tenantRecord) tenant() *auth.Tenant {
	t := &auth.Tenant{
		ID:                  r.ID,
		Name:                r.Name,
		CreatedAt:           r.CreatedAt,
		APIKeyHash:          r.APIKeyHash,
		ActiveScript:        r.ActiveScript,
		MigrationEnabled:    r.MigrationEnabled,
		WeakLegacyPasswords: r.WeakLegacy,
	}
	for _, k := range r.SigningKeys {
		t.SigningKeys = append(t.SigningKeys, auth.SigningKey{
			ID: k.ID, Algorithm: k.Algorithm, Private: k.Private, CreatedAt: k.CreatedAt, Use: k.Use,
		})
	}
	if st := r.Settings; st != nil {
		t.Settings.BrowserSessionTTL = time.Duration(st.BrowserSessionSeconds) * time.Second
	}
	if b := r.Branding; b != nil {
		t.Branding = &auth.Branding{DisplayName: b.DisplayName, LogoURL: b.LogoURL, AccentColor: b.AccentColor}
	}
	if c := r.Connection; c != nil {
		t.Connection = &auth.Connection{
			Driver: c.Driver,
			DSN:    c.DSN,
			Config: c.Config,
			Limits: auth.Limits(c.Limits),
		}
	}
	return t
}

type scriptRecord struct {
	Version    int       `json:"version"`
	SHA256     string    `json:"sha256"`
	Size       int       `json:"size"`
	Exports    []string  `json:"exports,omitempty"`
	UploadedAt time.Time `json:"uploaded_at,omitzero"`
}

func (r *scriptRecord) script(tenant string) *auth.Script {
	return &auth.Script{
		Tenant:     tenant,
		Version:    r.Version,
		SHA256:     r.SHA256,
		Size:       r.Size,
		Exports:    r.Exports,
		UploadedAt: r.UploadedAt,
	}
}

type userRecord struct {
	ID            string         `json:"id"`
	Email         string         `json:"email,omitempty"`
	Username      string         `json:"username,omitempty"`
	EmailVerified bool           `json:"email_verified,omitempty"`
	Name          string         `json:"name,omitempty"`
	Profile       map[string]any `json:"profile,omitempty"`
	PasswordHash  string         `json:"password_hash,omitempty"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at,omitzero"`
	Source        string         `json:"source"`
	LegacyID      string         `json:"legacy_id,omitempty"`
	MigratedAt    time.Time      `json:"migrated_at,omitzero"`
	Imported      bool           `json:"imported,omitempty"`
	LegacyHash    string         `json:"legacy_hash,omitempty"`
	ChangePW      bool           `json:"password_change_required,omitempty"`
}

func fromUser(u *auth.User) *userRecord {
	return &userRecord{
		ID:            u.ID,
		Email:         u.Email,
		Username:      u.Username,
		EmailVerified: u.EmailVerified,
		Name:          u.Name,
		Profile:       u.Profile,
		PasswordHash:  u.PasswordHash,
		CreatedAt:     u.CreatedAt.UTC(),
		UpdatedAt:     u.UpdatedAt.UTC(),
		Source:        string(u.Source),
		LegacyID:      u.LegacyID,
		MigratedAt:    u.MigratedAt.UTC(),
		Imported:      u.Imported,
		LegacyHash:    u.LegacyHash,
		ChangePW:      u.PasswordChangeRequired,
	}
}

func (r *userRecord) user(tenant string) *auth.User {
	return &auth.User{
		ID:            r.ID,
		Tenant:        tenant,
		Email:         r.Email,
		Username:      r.Username,
		EmailVerified: r.EmailVerified,
		Name:          r.Name,
		Profile:       r.Profile,
		PasswordHash:  r.PasswordHash,
		CreatedAt:     r.CreatedAt,
		UpdatedAt:     r.UpdatedAt,
		Source:        auth.Source(r.Source),
		LegacyID:      r.LegacyID,
		MigratedAt:    r.MigratedAt,
		Imported:      r.Imported,
		LegacyHash:    r.LegacyHash,

		PasswordChangeRequired: r.ChangePW,
	}
}

type sessionRecord struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	ClientID  string    `json:"client_id,omitempty"`
	Scopes    []string  `json:"scopes,omitempty"`
	AuthTime  time.Time `json:"auth_time,omitzero"`
}

func fromSession(s *auth.Session) *sessionRecord {
	return &sessionRecord{
		ID:        s.ID,
		UserID:    s.UserID,
		CreatedAt: s.CreatedAt.UTC(),
		ExpiresAt: s.ExpiresAt.UTC(),
		RevokedAt: s.RevokedAt.UTC(),
		ClientID:  s.ClientID,
		Scopes:    s.Scopes,
		AuthTime:  s.AuthTime.UTC(),
	}
}

func (r *sessionRecord) session(tenant string) *auth.Session {
	return &auth.Session{
		ID:        r.ID,
		Tenant:    tenant,
		UserID:    r.UserID,
		CreatedAt: r.CreatedAt,
		ExpiresAt: r.ExpiresAt,
		RevokedAt: r.RevokedAt,
		ClientID:  r.ClientID,
		Scopes:    r.Scopes,
		AuthTime:  r.AuthTime,
	}
}

// refreshRecord is one refresh token of a session, found by its hash.
// Rotated is set once the token has been exchanged; presenting it again is
// reuse.
type refreshRecord struct {
	SessionID string `json:"session_id"`
	Rotated   bool   `json:"rotated,omitempty"`
}

// statsRecord is one shard of a tenant's counters; MigrationStats sums the
// shards. A shard may hold negative counts (a user counted in one shard and
// deleted through another); only the sum is meaningful.
type statsRecord struct {
	UsersMigrated   int64     `json:"users_migrated,omitempty"`
	UsersRegistered int64     `json:"users_registered,omitempty"`
	LastMigratedAt  time.Time `json:"last_migrated_at,omitzero"`
	LegacyLoginsOK  int64     `json:"legacy_ok,omitempty"`
	LegacyRejected  int64     `json:"legacy_rejected,omitempty"`
	LegacyErrors    int64     `json:"legacy_errors,omitempty"`
	UsersImported   int64     `json:"users_imported,omitempty"`
	LegacyInactive  int64     `json:"legacy_inactive,omitempty"`
	LegacyLocked    int64     `json:"legacy_locked,omitempty"`
	LegacyConflicts int64     `json:"legacy_conflicts,omitempty"`
}

type auditRecord struct {
	ID      string         `json:"id"`
	Time    time.Time      `json:"time"`
	Type    string         `json:"type"`
	Actor   string         `json:"actor,omitempty"`
	Subject string         `json:"subject,omitempty"`
	IP      string         `json:"ip,omitempty"`
	Detail  map[string]any `json:"detail,omitempty"`
}

type logRecord struct {
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Op      string    `json:"op,omitempty"`
	Message string    `json:"message"`
}

// encode marshals a record. The records hold only JSON-safe types, so an
// error means a caller put something unencodable in a map field.
func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("badgerstore: encode %T: %w", v, err)
	}
	return b, nil
}

// decode unmarshals a stored record.
func decode(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("badgerstore: corrupt %T record: %w", v, err)
	}
	return nil
}
