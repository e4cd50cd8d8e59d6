package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// exportBatch is how many rows Export fetches from a cursor at a time;
// scripts, whose modules may be megabytes, come one at a time.
const exportBatch = 500

// Export calls emit with every record of the store, read in one REPEATABLE
// READ, READ ONLY transaction (one snapshot), in badgerstore's order: per
// tenant (by id) the tenant, its counters, scripts (by version), OpenID
// Connect clients (by id), users (by id), sessions (by id, with their refresh tokens by hash), audit events
// (newest first, then by id) and log lines (oldest first, in the order they
// were appended); then the rate limiter's states (by key). Sessions past
// their grace and passed rate limits, which the sweep removes, are left
// out; so are authorization requests and browser sessions, which no
// backup carries. Rows come through cursors a batch at a time, so the store is never
// held in memory whole. emit's error is returned as is.
func (s *Store) Export(ctx context.Context, emit func(*auth.BackupRecord) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback(context.Background())
	now := time.Now()
	err = eachRow(ctx, tx, "tenants", "SELECT "+tenantColumns+" FROM tenants ORDER BY id", nil, exportBatch,
		func(r pgx.CollectableRow) (*auth.Tenant, error) { return scanTenant(r) },
		func(t *auth.Tenant) error { return exportTenant(ctx, tx, t, now, emit) })
	if err != nil {
		return err
	}
	return eachRow(ctx, tx, "rate_limits", "SELECT key, until FROM rate_limits WHERE until > $1 ORDER BY key", []any{now.UnixNano()}, exportBatch,
		func(r pgx.CollectableRow) (*auth.RateLimitState, error) {
			var (
				k     []byte
				until int64
			)
			err := r.Scan(&k, &until)
			return &auth.RateLimitState{Key: string(k), Until: time.Unix(0, until).UTC()}, err
		},
		func(st *auth.RateLimitState) error { return emit(&auth.BackupRecord{RateLimit: st}) })
}

// exportTenant emits the records of one tenant.
func exportTenant(ctx context.Context, tx pgx.Tx, t *auth.Tenant, now time.Time, emit func(*auth.BackupRecord) error) error {
	id := t.ID
	if err := emit(&auth.BackupRecord{Tenant: t}); err != nil {
		return err
	}
	c := &auth.TenantCounters{Tenant: id}
	st := &c.Stats
	err := tx.QueryRow(ctx, `SELECT t.last_script,
		coalesce(sum(users_migrated), 0), coalesce(sum(users_registered), 0), max(last_migrated_at),
		coalesce(sum(legacy_ok), 0), coalesce(sum(legacy_rejected), 0), coalesce(sum(legacy_errors), 0),
		coalesce(sum(legacy_inactive), 0), coalesce(sum(legacy_locked), 0), coalesce(sum(users_imported), 0),
		coalesce(sum(legacy_conflicts), 0)
		FROM tenants t LEFT JOIN tenant_stats s ON s.tenant_id = t.id WHERE t.id = $1 GROUP BY t.id`, id).Scan(
		&c.LastScriptVersion, &st.UsersMigrated, &st.UsersRegistered, ns(&st.LastMigratedAt),
		&st.LegacyLoginsOK, &st.LegacyRejected, &st.LegacyErrors, &st.LegacyInactive, &st.LegacyLocked, &st.UsersImported, &st.LegacyConflicts)
	if err != nil {
		return fmt.Errorf("pgstore: export of tenant %q: %w", id, mapErr(err))
	}
	if err := emit(&auth.BackupRecord{Counters: c}); err != nil {
		return err
	}
	args := []any{id}
	err = eachRow(ctx, tx, "scripts", "SELECT "+scriptColumns+", module FROM scripts WHERE tenant_id = $1 ORDER BY version", args, 1,
		func(r pgx.CollectableRow) (*auth.ScriptVersion, error) {
			var module []byte
			sc, err := scanScript(r, id, &module)
			if err != nil {
				return nil, err
			}
			return &auth.ScriptVersion{Script: *sc, Module: module}, nil
		},
		func(sv *auth.ScriptVersion) error { return emit(&auth.BackupRecord{Script: sv}) })
	if err != nil {
		return err
	}
	err = eachRow(ctx, tx, "clients", "SELECT id, client FROM clients WHERE tenant_id = $1 ORDER BY id", args, exportBatch,
		func(r pgx.CollectableRow) (*auth.Client, error) { return scanClient(r, id) },
		func(c *auth.Client) error { return emit(&auth.BackupRecord{Client: c}) })
	if err != nil {
		return err
	}
	err = eachRow(ctx, tx, "users", "SELECT "+userColumns+" FROM users WHERE tenant_id = $1 ORDER BY id", args, exportBatch,
		func(r pgx.CollectableRow) (*auth.User, error) { return scanUser(r, id) },
		func(u *auth.User) error { return emit(&auth.BackupRecord{User: u}) })
	if err != nil {
		return err
	}
	err = eachRow(ctx, tx, "sessions", `SELECT s.id, s.user_id, s.created_at, s.expires_at, s.revoked_at, s.client_id, s.scopes, s.auth_time,
			array_agg(r.hash ORDER BY r.hash), array_agg(r.rotated ORDER BY r.hash)
		FROM sessions s JOIN refresh_tokens r ON r.tenant_id = s.tenant_id AND r.session_id = s.id
		WHERE s.tenant_id = $1 AND s.expires_at >= $2 GROUP BY s.tenant_id, s.id ORDER BY s.id`,
		[]any{id, now.Add(-sessionGrace).UnixNano()}, exportBatch,
		func(r pgx.CollectableRow) (*auth.SessionBackup, error) {
			var (
				hashes  [][]byte
				rotated []bool
			)
			sess, err := scanSession(r, id, &hashes, &rotated)
			if err != nil {
				return nil, err
			}
			sb := &auth.SessionBackup{Session: *sess, RefreshTokens: make([]auth.RefreshToken, len(hashes))}
			for i, h := range hashes {
				sb.RefreshTokens[i] = auth.RefreshToken{Hash: h, Rotated: rotated[i]}
			}
			return sb, nil
		},
		func(sb *auth.SessionBackup) error { return emit(&auth.BackupRecord{Session: sb}) })
	if err != nil {
		return err
	}
	err = eachRow(ctx, tx, "audit", "SELECT id, time, type, actor, subject, ip, detail FROM audit WHERE tenant_id = $1 ORDER BY time DESC, id", args, exportBatch,
		func(r pgx.CollectableRow) (*auth.AuditEvent, error) { return scanAudit(r, id) },
		func(e *auth.AuditEvent) error { return emit(&auth.BackupRecord{Audit: e}) })
	if err != nil {
		return err
	}
	return eachRow(ctx, tx, "script_logs", "SELECT time, level, op, message FROM script_logs WHERE tenant_id = $1 ORDER BY time, seq", args, exportBatch,
		func(r pgx.CollectableRow) (*auth.TenantLogEntry, error) {
			e := &auth.TenantLogEntry{Tenant: id}
			return e, r.Scan(ns(&e.Time), &e.Level, &e.Op, &e.Message)
		},
		func(e *auth.TenantLogEntry) error { return emit(&auth.BackupRecord{Log: e}) })
}

// eachRow runs query in tx through a cursor named name and calls fn with
// each row as scan makes it, fetching batch rows at a time. fn runs while
// no result is being read, so it may query tx itself (with other cursor
// names). fn's error is returned as is.
func eachRow[T any](ctx context.Context, tx pgx.Tx, name, query string, args []any, batch int,
	scan func(pgx.CollectableRow) (T, error), fn func(T) error) error {
	name = "export_" + name
	if _, err := tx.Exec(ctx, "DECLARE "+name+" NO SCROLL CURSOR FOR "+query, args...); err != nil {
		return fmt.Errorf("pgstore: export: %w", mapErr(err))
	}
	fetch := fmt.Sprintf("FETCH %d FROM %s", batch, name)
	for {
		rows, err := tx.Query(ctx, fetch)
		if err != nil {
			return fmt.Errorf("pgstore: export: %w", mapErr(err))
		}
		items, err := pgx.CollectRows(rows, scan)
		if err != nil {
			return fmt.Errorf("pgstore: export: %w", mapErr(err))
		}
		for _, it := range items {
			if err := fn(it); err != nil {
				return err
			}
		}
		if len(items) < batch {
			break
		}
	}
	if _, err := tx.Exec(ctx, "CLOSE "+name); err != nil {
		return fmt.Errorf("pgstore: export: %w", mapErr(err))
	}
	return nil
}
