package pgstore

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Limits of ListUsers.
const (
	defaultUserPage = 50
	maxUserPage     = 1000
)

// errInvalidCursor is returned for a cursor this store did not make.
var errInvalidCursor = auth.Errorf(auth.CodeInvalidRequest, "invalid cursor")

// userValues are the placeholders of the tenant and userColumns.
const userValues = `$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16`

const userColumns = `id, email, username, legacy_id, email_verified, name, profile, password_hash,
	source, created_at, updated_at, migrated_at, imported, legacy_hash, password_change_required`

// addStats adds to one shard of a tenant's counters: $1 tenant, $2 shard,
// $3 migrated, $4 registered, $5 last migration (kept if later), $6 legacy
// ok, $7 rejected, $8 errors, $9 inactive, $10 locked, $11 imported. rows
// is the SELECT or VALUES that gives them.
func addStats(rows string) string {
	return `INSERT INTO tenant_stats AS st (tenant_id, shard, users_migrated, users_registered,
		last_migrated_at, legacy_ok, legacy_rejected, legacy_errors, legacy_inactive, legacy_locked, users_imported) ` + rows + `
	ON CONFLICT (tenant_id, shard) DO UPDATE SET
		users_migrated = st.users_migrated + EXCLUDED.users_migrated,
		users_registered = st.users_registered + EXCLUDED.users_registered,
		last_migrated_at = GREATEST(st.last_migrated_at, EXCLUDED.last_migrated_at),
		legacy_ok = st.legacy_ok + EXCLUDED.legacy_ok,
		legacy_rejected = st.legacy_rejected + EXCLUDED.legacy_rejected,
		legacy_errors = st.legacy_errors + EXCLUDED.legacy_errors,
		legacy_inactive = st.legacy_inactive + EXCLUDED.legacy_inactive,
		legacy_locked = st.legacy_locked + EXCLUDED.legacy_locked,
		users_imported = st.users_imported + EXCLUDED.users_imported`
}

// shard picks the counter row a write adds to.
func shard() int { return rand.N(statsShards) }

// countUser returns the migrated and registered deltas of adding n users
// of source.
func countUser(source auth.Source, n int) (migrated, registered int) {
	if source == auth.SourceLegacy {
		return n, 0
	}
	return 0, n
}

// countImported is the imported users' count of one user.
func countImported(imported bool) int {
	if imported {
		return 1
	}
	return 0
}

// checkUser validates the fields of u the schema depends on.
func checkUser(u *auth.User) error {
	switch {
	case !validID(u.ID):
		return fmt.Errorf("pgstore: invalid user id %q", u.ID)
	case u.Email == "" && u.Username == "":
		return errors.New("pgstore: user has neither email nor username")
	case u.Source != auth.SourceLocal && u.Source != auth.SourceLegacy:
		return fmt.Errorf("pgstore: invalid user source %q", u.Source)
	}
	return nil
}

// userArgs returns u's columns in userColumns order, after the tenant.
func userArgs(u *auth.User) ([]any, error) {
	var profile []byte
	if u.Profile != nil {
		b, err := json.Marshal(u.Profile)
		if err != nil {
			return nil, fmt.Errorf("pgstore: encode profile: %w", err)
		}
		profile = b
	}
	return []any{u.Tenant, u.ID, nullText(u.Email), nullText(u.Username), nullText(u.LegacyID), u.EmailVerified,
		u.Name, profile, u.PasswordHash, string(u.Source), nanos(u.CreatedAt), nanos(u.UpdatedAt), nanos(u.MigratedAt),
		u.Imported, u.LegacyHash, u.PasswordChangeRequired}, nil
}

func scanUser(row pgx.Row, tenant string) (*auth.User, error) {
	var (
		u                       = auth.User{Tenant: tenant}
		email, username, legacy *string
		profile                 []byte
		source                  string
	)
	err := row.Scan(&u.ID, &email, &username, &legacy, &u.EmailVerified, &u.Name, &profile, &u.PasswordHash,
		&source, ns(&u.CreatedAt), ns(&u.UpdatedAt), ns(&u.MigratedAt), &u.Imported, &u.LegacyHash,
		&u.PasswordChangeRequired)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, auth.ErrNotFound
	}
	if err != nil {
		return nil, mapErr(err)
	}
	u.Email, u.Username, u.LegacyID = orEmpty(email), orEmpty(username), orEmpty(legacy)
	u.Source = auth.Source(source)
	if len(profile) > 0 {
		if err := json.Unmarshal(profile, &u.Profile); err != nil {
			return nil, fmt.Errorf("pgstore: corrupt profile of user %q: %w", u.ID, err)
		}
	}
	return &u, nil
}

// CreateUser stores a new user and counts it in the tenant's stats (and a
// legacy user in its migration hour), in one statement. It fills in CreatedAt (and UpdatedAt, and MigratedAt for a
// legacy user) when zero, and Source as local when empty. Returns
// auth.ErrNotFound for an unknown tenant, and auth.ErrLegacyIDTaken,
// auth.ErrEmailTaken or auth.ErrUsernameTaken (in that order) when another
// user of the tenant holds one of those: the unique constraints decide,
// so of concurrent calls for one email exactly one succeeds.
func (s *Store) CreateUser(ctx context.Context, u *auth.User) error {
	if u.Source == "" {
		u.Source = auth.SourceLocal
	}
	if err := checkUser(u); err != nil {
		return err
	}
	if !validID(u.Tenant) {
		return auth.ErrNotFound
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now().UTC()
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	if u.Source == auth.SourceLegacy && u.MigratedAt.IsZero() {
		u.MigratedAt = u.CreatedAt
	}
	args, err := userArgs(u)
	if err != nil {
		return err
	}
	migrated, registered := countUser(u.Source, 1)
	var last, hour any
	if u.Source == auth.SourceLegacy {
		last, hour = nanos(u.MigratedAt), migrationHour(u.MigratedAt)
	}
	args = append(args, shard(), migrated, registered, last, hour, countImported(u.Imported))
	_, err = s.pool.Exec(ctx, `WITH u AS (
		INSERT INTO users (tenant_id, `+userColumns+`) VALUES (`+userValues+`)
		RETURNING tenant_id), h AS (
		`+addHour(`SELECT tenant_id, $21::bigint, $17, 1 FROM u WHERE $21::bigint IS NOT NULL`)+`)
	`+addStats(`SELECT tenant_id, $17, $18, $19, $20::bigint, 0, 0, 0, 0, 0, $22 FROM u`), args...)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName != "users_pkey" {
		return s.takenError(ctx, u, mapErr(err))
	}
	if err != nil {
		if errors.As(err, &pe) && pe.ConstraintName == "users_pkey" {
			return fmt.Errorf("pgstore: user id %q exists in tenant %q", u.ID, u.Tenant)
		}
		return mapErr(err)
	}
	return nil
}

// takenError returns the error of the first of u's legacy id, email and
// username that another user holds, or fallback when none is held any more.
// PostgreSQL reports the first unique index it checks, which need not be
// the one the caller should hear about: the loser of two first logins of
// one legacy user must learn that the legacy id is taken, not the email.
func (s *Store) takenError(ctx context.Context, u *auth.User, fallback error) error {
	var legacy, email, username bool
	err := s.pool.QueryRow(ctx, `SELECT coalesce(bool_or(legacy_id = $2), false), coalesce(bool_or(email = $3), false),
		coalesce(bool_or(username = $4), false) FROM users
		WHERE tenant_id = $1 AND (legacy_id = $2 OR email = $3 OR username = $4)`,
		u.Tenant, nullText(u.LegacyID), nullText(u.Email), nullText(u.Username)).Scan(&legacy, &email, &username)
	switch {
	case err != nil:
		return fallback
	case legacy:
		return auth.ErrLegacyIDTaken
	case email:
		return auth.ErrEmailTaken
	case username:
		return auth.ErrUsernameTaken
	}
	return fallback
}

// GetUser returns a user by id. Returns auth.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, tenant, id string) (*auth.User, error) {
	if !validID(tenant) || !validID(id) {
		return nil, auth.ErrNotFound
	}
	u, err := scanUser(s.pool.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE tenant_id = $1 AND id = $2", tenant, id), tenant)
	if err != nil {
		return nil, fmt.Errorf("user %q: %w", id, err)
	}
	return u, nil
}

// FindUser returns the user whose email or username equals identifier, which
// must already be normalised; emails are tried first. One query. Returns
// auth.ErrNotFound.
func (s *Store) FindUser(ctx context.Context, tenant, identifier string) (*auth.User, error) {
	if identifier == "" || !validID(tenant) || !validText(identifier) {
		return nil, auth.ErrNotFound
	}
	return scanUser(s.pool.QueryRow(ctx, "SELECT "+userColumns+` FROM users
		WHERE tenant_id = $1 AND (email = $2 OR username = $2)
		ORDER BY email = $2 DESC NULLS LAST LIMIT 1`, tenant, identifier), tenant)
}

// FindUserByLegacyID returns the user migrated from legacyID. Returns
// auth.ErrNotFound.
func (s *Store) FindUserByLegacyID(ctx context.Context, tenant, legacyID string) (*auth.User, error) {
	if legacyID == "" || !validID(tenant) || !validText(legacyID) {
		return nil, auth.ErrNotFound
	}
	return scanUser(s.pool.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE tenant_id = $1 AND legacy_id = $2", tenant, legacyID), tenant)
}

// UpdateUser applies fn to the stored user, locked for the transaction,
// keeping the counters right. fn's error aborts the update and is returned
// as is. Returns auth.ErrNotFound, auth.ErrEmailTaken, auth.ErrUsernameTaken,
// auth.ErrLegacyIDTaken.
func (s *Store) UpdateUser(ctx context.Context, tenant, id string, fn func(*auth.User) error) (*auth.User, error) {
	if !validID(tenant) || !validID(id) {
		return nil, auth.ErrNotFound
	}
	var out *auth.User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		prev, err := scanUser(tx.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE", tenant, id), tenant)
		if err != nil {
			return fmt.Errorf("user %q: %w", id, err)
		}
		u := *prev
		if err := fn(&u); err != nil {
			return fnError{err}
		}
		if u.ID != id || u.Tenant != tenant {
			return errors.New("pgstore: a user's id and tenant cannot change")
		}
		if err := checkUser(&u); err != nil {
			return err
		}
		args, err := userArgs(&u)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE users SET email = $3, username = $4, legacy_id = $5, email_verified = $6, name = $7,
			profile = $8, password_hash = $9, source = $10, created_at = $11, updated_at = $12, migrated_at = $13,
			imported = $14, legacy_hash = $15, password_change_required = $16 WHERE tenant_id = $1 AND id = $2`, args...)
		if err != nil {
			return err
		}
		if prev.Source != u.Source || prev.Imported != u.Imported {
			m1, r1 := countUser(prev.Source, -1)
			m2, r2 := countUser(u.Source, 1)
			var last any
			if u.Source == auth.SourceLegacy {
				last = nanos(u.MigratedAt)
			}
			_, err := tx.Exec(ctx, addStats(`VALUES ($1, $2, $3, $4, $5::bigint, 0, 0, 0, 0, 0, $6)`), tenant, shard(), m1+m2, r1+r2, last,
				countImported(u.Imported)-countImported(prev.Imported))
			if err != nil {
				return err
			}
		}
		out = &u
		return nil
	})
	if err != nil {
		return nil, unwrapFn(err)
	}
	return out, nil
}

// DeleteUser removes a user, by cascade its sessions and refresh tokens,
// and its count in the stats, in one statement. Returns auth.ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, tenant, id string) error {
	if !validID(tenant) || !validID(id) {
		return auth.ErrNotFound
	}
	tag, err := s.pool.Exec(ctx, `WITH u AS (
		DELETE FROM users WHERE tenant_id = $1 AND id = $2 RETURNING tenant_id, source, imported)
	`+addStats(`SELECT tenant_id, $3,
		CASE WHEN source = 'legacy' THEN -1 ELSE 0 END, CASE WHEN source = 'legacy' THEN 0 ELSE -1 END,
		NULL::bigint, 0, 0, 0, 0, 0, CASE WHEN imported THEN -1 ELSE 0 END FROM u`), tenant, id, shard())
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("user %q: %w", id, auth.ErrNotFound)
	}
	return nil
}

// ListUsers returns a page of users in creation order (created_at, then id)
// and the cursor of the next page ("" at the end). Limit defaults to 50 and
// is capped at 1000. The cursor is the position of the page's last user, so
// a page resumes strictly after it even when that user is deleted. Returns
// auth.ErrNotFound for an unknown tenant and an auth.Error with code
// invalid_request for a bad cursor or source.
func (s *Store) ListUsers(ctx context.Context, tenant string, q auth.UserQuery) ([]*auth.User, string, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultUserPage
	}
	limit = min(limit, maxUserPage)
	switch q.Source {
	case "", auth.SourceLocal, auth.SourceLegacy:
	default:
		return nil, "", auth.Errorf(auth.CodeInvalidRequest, "unknown user source %q", q.Source)
	}
	after, afterID := time.Time{}, ""
	if q.Cursor != "" {
		var ok bool
		if after, afterID, ok = decodeCursor(q.Cursor); !ok {
			return nil, "", errInvalidCursor
		}
	}
	if err := s.requireTenant(ctx, tenant); err != nil {
		return nil, "", err
	}
	// Each filter is in the statement only when used, so that the index
	// scan starts at the cursor instead of filtering from the first user.
	where, args := "tenant_id = $1", []any{tenant, limit + 1}
	if q.Source != "" {
		args = append(args, string(q.Source))
		where += fmt.Sprintf(" AND source = $%d", len(args))
	}
	if afterID != "" {
		args = append(args, after.UnixNano(), afterID)
		where += fmt.Sprintf(" AND (created_at, id) > ($%d, $%d)", len(args)-1, len(args))
	}
	rows, err := s.pool.Query(ctx, "SELECT "+userColumns+" FROM users WHERE "+where+" ORDER BY created_at, id LIMIT $2", args...)
	if err != nil {
		return nil, "", mapErr(err)
	}
	defer rows.Close()
	var users []*auth.User
	for rows.Next() {
		u, err := scanUser(rows, tenant)
		if err != nil {
			return nil, "", err
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, "", mapErr(err)
	}
	next := ""
	if len(users) > limit {
		users = users[:limit]
		last := users[limit-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	return users, next, nil
}

// encodeCursor makes an opaque cursor of a position: a time and an id.
func encodeCursor(t time.Time, id string) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano()))
	return base64.RawURLEncoding.EncodeToString(append(b, id...))
}

// decodeCursor reads a cursor made by encodeCursor.
func decodeCursor(c string) (time.Time, string, bool) {
	if len(c) > 2048 {
		return time.Time{}, "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) <= 8 || !validID(string(b[8:])) {
		return time.Time{}, "", false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b))).UTC(), string(b[8:]), true
}

// MigrationStats returns the tenant's counts, the sum of its shards.
// Returns auth.ErrNotFound for an unknown tenant.
func (s *Store) MigrationStats(ctx context.Context, tenant string) (auth.MigrationStats, error) {
	var (
		out   auth.MigrationStats
		known bool
	)
	if !validID(tenant) {
		return out, auth.ErrNotFound
	}
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1),
		coalesce(sum(users_migrated), 0), coalesce(sum(users_registered), 0), max(last_migrated_at),
		coalesce(sum(legacy_ok), 0), coalesce(sum(legacy_rejected), 0), coalesce(sum(legacy_errors), 0),
		coalesce(sum(legacy_inactive), 0), coalesce(sum(legacy_locked), 0), coalesce(sum(users_imported), 0),
		coalesce(sum(legacy_conflicts), 0)
		FROM tenant_stats WHERE tenant_id = $1`, tenant).Scan(&known, &out.UsersMigrated, &out.UsersRegistered, ns(&out.LastMigratedAt),
		&out.LegacyLoginsOK, &out.LegacyRejected, &out.LegacyErrors, &out.LegacyInactive, &out.LegacyLocked, &out.UsersImported,
		&out.LegacyConflicts)
	if err != nil {
		return out, mapErr(err)
	}
	if !known {
		return auth.MigrationStats{}, fmt.Errorf("tenant %q: %w", tenant, auth.ErrNotFound)
	}
	return out, nil
}

// CountLegacyOutcome adds one to the counter of outcome (an inactive or
// locked rejection to the rejections too). Returns auth.ErrNotFound for an
// unknown tenant.
func (s *Store) CountLegacyOutcome(ctx context.Context, tenant string, outcome auth.LegacyOutcome) error {
	var ok, rejected, failed, inactive, locked int
	switch outcome {
	case auth.LegacyOK:
		ok = 1
	case auth.LegacyRejected:
		rejected = 1
	case auth.LegacyError:
		failed = 1
	case auth.LegacyInactive:
		rejected, inactive = 1, 1
	case auth.LegacyLocked:
		rejected, locked = 1, 1
	case auth.LegacyConflict:
	default:
		return fmt.Errorf("pgstore: unknown legacy outcome %d", outcome)
	}
	if !validID(tenant) {
		return auth.ErrNotFound
	}
	if outcome == auth.LegacyConflict {
		_, err := s.pool.Exec(ctx, `INSERT INTO tenant_stats AS st (tenant_id, shard, legacy_conflicts) VALUES ($1, $2, 1)
			ON CONFLICT (tenant_id, shard) DO UPDATE SET legacy_conflicts = st.legacy_conflicts + 1`, tenant, shard())
		return mapErr(err)
	}
	_, err := s.pool.Exec(ctx, addStats(`VALUES ($1, $2, 0, 0, NULL::bigint, $3, $4, $5, $6, $7, 0)`), tenant, shard(), ok, rejected, failed, inactive, locked)
	return mapErr(err)
}
