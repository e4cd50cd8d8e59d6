package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// signingKeyRec, brandingRec and connectionRec are the jsonb forms of a
// tenant's keys, branding and connection; their json names are the stored format.
type signingKeyRec struct {
	ID        string    `json:"id"`
	Algorithm string    `json:"alg"`
	Private   []byte    `json:"private"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	Use       string    `json:"use,omitempty"`
}

type brandingRec struct {
	DisplayName string `json:"display_name,omitempty"`
	LogoURL     string `json:"logo_url,omitempty"`
	AccentColor string `json:"accent_color,omitempty"`
}

type settingsRec struct {
	BrowserSessionSeconds int64 `json:"browser_session_seconds,omitempty"`
}

type connectionRec struct {
	Driver string         `json:"driver"`
	DSN    string         `json:"dsn,omitempty"`
	Config map[string]any `json:"config,omitempty"`
	Limits auth.Limits    `json:"limits,omitzero"`
}

const tenantColumns = "id, name, created_at, api_key_hash, signing_keys, active_script, connection, migration_enabled, branding, weak_legacy_passwords, settings"

// tenantArgs returns the column values of t, in tenantColumns order.
func tenantArgs(t *auth.Tenant) ([]any, error) {
	var keys []byte
	if len(t.SigningKeys) > 0 {
		recs := make([]signingKeyRec, len(t.SigningKeys))
		for i, k := range t.SigningKeys {
			recs[i] = signingKeyRec{ID: k.ID, Algorithm: k.Algorithm, Private: k.Private, CreatedAt: k.CreatedAt.UTC(), Use: k.Use}
		}
		b, err := json.Marshal(recs)
		if err != nil {
			return nil, err
		}
		keys = b
	}
	var conn []byte
	if c := t.Connection; c != nil {
		b, err := json.Marshal(connectionRec{Driver: c.Driver, DSN: c.DSN, Config: c.Config, Limits: c.Limits})
		if err != nil {
			return nil, fmt.Errorf("pgstore: encode connection: %w", err)
		}
		conn = b
	}
	var active any
	if t.ActiveScript != 0 {
		active = t.ActiveScript
	}
	var branding []byte
	if t.Branding != nil {
		b, err := json.Marshal(brandingRec(*t.Branding))
		if err != nil {
			return nil, err
		}
		branding = b
	}
	var settings []byte
	if t.Settings != (auth.Settings{}) {
		b, err := json.Marshal(settingsRec{BrowserSessionSeconds: int64(t.Settings.BrowserSessionTTL / time.Second)})
		if err != nil {
			return nil, err
		}
		settings = b
	}
	return []any{t.ID, t.Name, nanos(t.CreatedAt), t.APIKeyHash, keys, active, conn, t.MigrationEnabled, branding, t.WeakLegacyPasswords, settings}, nil
}

// scanTenant reads a row of tenantColumns.
func scanTenant(row pgx.Row) (*auth.Tenant, error) {
	var (
		t        auth.Tenant
		keys     []byte
		active   *int
		conn     []byte
		branding []byte
		settings []byte
	)
	if err := row.Scan(&t.ID, &t.Name, ns(&t.CreatedAt), &t.APIKeyHash, &keys, &active, &conn, &t.MigrationEnabled, &branding, &t.WeakLegacyPasswords, &settings); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, auth.ErrNotFound
		}
		return nil, mapErr(err)
	}
	if active != nil {
		t.ActiveScript = *active
	}
	if len(keys) > 0 {
		var recs []signingKeyRec
		if err := json.Unmarshal(keys, &recs); err != nil {
			return nil, fmt.Errorf("pgstore: corrupt signing keys of tenant %q: %w", t.ID, err)
		}
		for _, k := range recs {
			t.SigningKeys = append(t.SigningKeys, auth.SigningKey{ID: k.ID, Algorithm: k.Algorithm, Private: k.Private, CreatedAt: k.CreatedAt, Use: k.Use})
		}
	}
	if len(conn) > 0 {
		var c connectionRec
		if err := json.Unmarshal(conn, &c); err != nil {
			return nil, fmt.Errorf("pgstore: corrupt connection of tenant %q: %w", t.ID, err)
		}
		t.Connection = &auth.Connection{Driver: c.Driver, DSN: c.DSN, Config: c.Config, Limits: c.Limits}
	}
	if len(branding) > 0 {
		var b brandingRec
		if err := json.Unmarshal(branding, &b); err != nil {
			return nil, fmt.Errorf("pgstore: corrupt branding of tenant %q: %w", t.ID, err)
		}
		t.Branding = (*auth.Branding)(&b)
	}
	if len(settings) > 0 {
		var st settingsRec
		if err := json.Unmarshal(settings, &st); err != nil {
			return nil, fmt.Errorf("pgstore: corrupt settings of tenant %q: %w", t.ID, err)
		}
		t.Settings.BrowserSessionTTL = time.Duration(st.BrowserSessionSeconds) * time.Second
	}
	return &t, nil
}

// CreateTenant stores a new tenant. Returns auth.ErrTenantExists if the id is
// taken.
func (s *Store) CreateTenant(ctx context.Context, t *auth.Tenant) error {
	if !validID(t.ID) {
		return fmt.Errorf("pgstore: invalid tenant id %q", t.ID)
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now().UTC()
	}
	args, err := tenantArgs(t)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, "INSERT INTO tenants ("+tenantColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", args...)
	return mapErr(err)
}

// GetTenant returns a tenant. Returns auth.ErrNotFound.
func (s *Store) GetTenant(ctx context.Context, id string) (*auth.Tenant, error) {
	if !validID(id) {
		return nil, auth.ErrNotFound
	}
	t, err := scanTenant(s.pool.QueryRow(ctx, "SELECT "+tenantColumns+" FROM tenants WHERE id = $1", id))
	if err != nil {
		return nil, fmt.Errorf("tenant %q: %w", id, err)
	}
	return t, nil
}

// ListTenants returns every tenant ordered by id.
func (s *Store) ListTenants(ctx context.Context) ([]*auth.Tenant, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+tenantColumns+" FROM tenants ORDER BY id")
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*auth.Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, mapErr(rows.Err())
}

// UpdateTenant applies fn to the stored tenant, locked for the transaction,
// and returns the result. fn's error aborts the update and is returned as
// is. Returns auth.ErrNotFound for an unknown tenant, and when fn sets
// ActiveScript to a version that is not stored (the foreign key says so).
func (s *Store) UpdateTenant(ctx context.Context, id string, fn func(*auth.Tenant) error) (*auth.Tenant, error) {
	if !validID(id) {
		return nil, auth.ErrNotFound
	}
	var out *auth.Tenant
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		t, err := scanTenant(tx.QueryRow(ctx, "SELECT "+tenantColumns+" FROM tenants WHERE id = $1 FOR UPDATE", id))
		if err != nil {
			return fmt.Errorf("tenant %q: %w", id, err)
		}
		if err := fn(t); err != nil {
			return fnError{err}
		}
		if t.ID != id {
			return fmt.Errorf("pgstore: tenant id cannot change (%q to %q)", id, t.ID)
		}
		args, err := tenantArgs(t)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE tenants SET name = $2, created_at = $3, api_key_hash = $4,
			signing_keys = $5, active_script = $6, connection = $7, migration_enabled = $8, branding = $9, weak_legacy_passwords = $10, settings = $11 WHERE id = $1`, args...)
		if err != nil {
			return err
		}
		out = t
		return nil
	})
	if err != nil {
		return nil, unwrapFn(err)
	}
	return out, nil
}

// fnError carries a caller's callback error through the transaction, so
// that it is returned as is.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// unwrapFn returns a callback's error as is, and others mapped.
func unwrapFn(err error) error {
	var fe fnError
	if errors.As(err, &fe) {
		return fe.err
	}
	return err
}

// DeleteTenant removes the tenant and, by cascade, all its records; a
// trigger announces it to every store's Watch. Returns auth.ErrNotFound.
func (s *Store) DeleteTenant(ctx context.Context, id string) error {
	if !validID(id) {
		return auth.ErrNotFound
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM tenants WHERE id = $1", id)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("tenant %q: %w", id, auth.ErrNotFound)
	}
	return nil
}

// AddScript stores a module as the tenant's next version and sets
// s.Version, s.Tenant, and s.Size, s.SHA256 and s.UploadedAt when unset.
// With activate it also becomes the active script, in the same transaction.
// Taking the next number locks the tenant's row, so concurrent uploads of
// one tenant take turns and each sees the versions the others stored when
// checking q. Returns auth.ErrNotFound for an unknown tenant and
// auth.ErrQuotaExceeded when the versions, this one included, would be over q.
func (s *Store) AddScript(ctx context.Context, sc *auth.Script, module []byte, activate bool, q auth.ScriptQuota) error {
	if !validID(sc.Tenant) {
		return auth.ErrNotFound
	}
	if sc.Size == 0 {
		sc.Size = len(module)
	}
	if sc.SHA256 == "" {
		sum := sha256.Sum256(module)
		sc.SHA256 = hex.EncodeToString(sum[:])
	}
	if sc.UploadedAt.IsZero() {
		sc.UploadedAt = time.Now().UTC()
	}
	var version int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, "UPDATE tenants SET last_script = last_script + 1 WHERE id = $1 RETURNING last_script", sc.Tenant).Scan(&version)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("tenant %q: %w", sc.Tenant, auth.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if q.Versions > 0 || q.Bytes > 0 {
			var versions, bytes int64
			err := tx.QueryRow(ctx, "SELECT count(*), coalesce(sum(size), 0) FROM scripts WHERE tenant_id = $1", sc.Tenant).Scan(&versions, &bytes)
			if err != nil {
				return err
			}
			versions, bytes = versions+1, bytes+int64(len(module))
			if q.Versions > 0 && versions > int64(q.Versions) {
				return fmt.Errorf("tenant %q would hold %d module versions, the quota is %d: %w", sc.Tenant, versions, q.Versions, auth.ErrQuotaExceeded)
			}
			if q.Bytes > 0 && bytes > q.Bytes {
				return fmt.Errorf("tenant %q would hold %d bytes of modules, the quota is %d: %w", sc.Tenant, bytes, q.Bytes, auth.ErrQuotaExceeded)
			}
		}
		var exports []string
		if len(sc.Exports) > 0 {
			exports = sc.Exports
		}
		_, err = tx.Exec(ctx, `INSERT INTO scripts (tenant_id, version, sha256, size, exports, uploaded_at, module)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, sc.Tenant, version, sc.SHA256, sc.Size, exports, nanos(sc.UploadedAt), module)
		if err != nil {
			return err
		}
		if activate {
			_, err := tx.Exec(ctx, "UPDATE tenants SET active_script = $2 WHERE id = $1", sc.Tenant, version)
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	sc.Version = version
	return nil
}

const scriptColumns = "version, sha256, size, exports, uploaded_at"

func scanScript(row pgx.Row, tenant string, extra ...any) (*auth.Script, error) {
	sc := &auth.Script{Tenant: tenant}
	dest := append([]any{&sc.Version, &sc.SHA256, &sc.Size, &sc.Exports, ns(&sc.UploadedAt)}, extra...)
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, auth.ErrNotFound
		}
		return nil, mapErr(err)
	}
	return sc, nil
}

// ListScripts returns the tenant's script versions, oldest first. Returns
// auth.ErrNotFound for an unknown tenant.
func (s *Store) ListScripts(ctx context.Context, tenant string) ([]*auth.Script, error) {
	if err := s.requireTenant(ctx, tenant); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, "SELECT "+scriptColumns+" FROM scripts WHERE tenant_id = $1 ORDER BY version", tenant)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*auth.Script
	for rows.Next() {
		sc, err := scanScript(rows, tenant)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, mapErr(rows.Err())
}

// GetScript returns one version's metadata and module. Returns
// auth.ErrNotFound.
func (s *Store) GetScript(ctx context.Context, tenant string, version int) (*auth.Script, []byte, error) {
	if version <= 0 || !validID(tenant) {
		return nil, nil, auth.ErrNotFound
	}
	var module []byte
	sc, err := scanScript(s.pool.QueryRow(ctx, "SELECT "+scriptColumns+", module FROM scripts WHERE tenant_id = $1 AND version = $2",
		tenant, version), tenant, &module)
	if err != nil {
		return nil, nil, fmt.Errorf("script %d of tenant %q: %w", version, tenant, err)
	}
	return sc, module, nil
}

// DeleteScript removes one version. Returns auth.ErrNotFound for an unknown
// tenant or version, and auth.ErrScriptActive for the active version: the
// tenant's foreign key to its active script refuses the delete, and makes a
// concurrent activation wait for it or fail.
func (s *Store) DeleteScript(ctx context.Context, tenant string, version int) error {
	if version <= 0 || !validID(tenant) {
		return auth.ErrNotFound
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM scripts WHERE tenant_id = $1 AND version = $2", tenant, version)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.ConstraintName == "tenants_active_script_fkey" {
		return fmt.Errorf("script %d of tenant %q: %w", version, tenant, auth.ErrScriptActive)
	}
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("script %d of tenant %q: %w", version, tenant, auth.ErrNotFound)
	}
	return nil
}

// requireTenant returns auth.ErrNotFound unless the tenant exists.
func (s *Store) requireTenant(ctx context.Context, tenant string) error {
	if !validID(tenant) {
		return auth.ErrNotFound
	}
	var ok bool
	if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1)", tenant).Scan(&ok); err != nil {
		return mapErr(err)
	}
	if !ok {
		return fmt.Errorf("tenant %q: %w", tenant, auth.ErrNotFound)
	}
	return nil
}
