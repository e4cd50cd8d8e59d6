package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Import batches: statements are sent to the database this many at a time,
// or sooner once the modules queued reach importBatchBytes.
const (
	importBatch      = 500
	importBatchBytes = 16 << 20
)

// Import stores records as they are into this store, which must be empty
// (no tenant, no rate limit state): the counters as exported (one shard),
// script versions with their numbers, sessions with their refresh tokens.
// It writes in one transaction, so a failed import leaves the store empty;
// statements go in batches of importBatch. Each record's own fields are
// checked before the next is read; the database's constraints (unique ids,
// emails, usernames and legacy ids, the tenant or user a record belongs to)
// are checked when its batch is sent, so such a refusal may come up to
// importBatch records later, as an *auth.RecordError that names the record.
func (s *Store) Import(ctx context.Context, records iter.Seq2[*auth.BackupRecord, error]) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback(context.Background())
	var used bool
	err = tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM tenants) OR EXISTS (SELECT 1 FROM rate_limits)").Scan(&used)
	if err != nil {
		return mapErr(err)
	}
	if used {
		return auth.ErrStoreNotEmpty
	}
	// A tenant comes before the script it has active.
	if _, err := tx.Exec(ctx, "SET CONSTRAINTS tenants_active_script_fkey DEFERRED"); err != nil {
		return mapErr(err)
	}
	im := &importer{tx: tx, batch: &pgx.Batch{}, now: time.Now()}
	for rec, err := range records {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := im.add(ctx, rec); err != nil {
			return err
		}
	}
	if err := im.flush(ctx); err != nil {
		return err
	}
	return mapErr(tx.Commit(ctx))
}

// importer queues the statements of imported records and sends them in
// batches.
type importer struct {
	tx    pgx.Tx
	batch *pgx.Batch
	// queued says, for each queued statement, which record it stores.
	queued []queuedRecord
	bytes  int
	n      int // records read
	now    time.Time
}

// queuedRecord is the record of a queued statement: its number in the
// import (from 1) and its name.
type queuedRecord struct {
	n    int
	what string
}

// queue adds a statement of the current record, named what.
func (im *importer) queue(what, sql string, args ...any) {
	im.batch.Queue(sql, args...)
	im.queued = append(im.queued, queuedRecord{im.n, what})
}

// flush sends the queued statements; the first that fails is returned with
// the record it belongs to.
func (im *importer) flush(ctx context.Context) error {
	if im.batch.Len() == 0 {
		return nil
	}
	br := im.tx.SendBatch(ctx, im.batch)
	var err error
	for _, q := range im.queued {
		if _, e := br.Exec(); e != nil {
			err = &auth.RecordError{Record: q.n, Err: fmt.Errorf("pgstore: import of %s: %w", q.what, mapErr(e))}
			break
		}
	}
	if e := br.Close(); err == nil && e != nil {
		err = fmt.Errorf("pgstore: import: %w", mapErr(e))
	}
	im.batch, im.queued, im.bytes = &pgx.Batch{}, nil, 0
	return err
}

// add checks rec's own fields and queues the statements that store it.
func (im *importer) add(ctx context.Context, rec *auth.BackupRecord) error {
	im.n++
	if err := im.plan(rec); err != nil {
		return err
	}
	if im.batch.Len() >= importBatch || im.bytes >= importBatchBytes {
		return im.flush(ctx)
	}
	return nil
}

func (im *importer) plan(rec *auth.BackupRecord) error {
	switch {
	case rec.Tenant != nil:
		t := rec.Tenant
		if !validID(t.ID) {
			return fmt.Errorf("pgstore: invalid tenant id %q", t.ID)
		}
		if err := checkTimes("tenant "+t.ID, t.CreatedAt); err != nil {
			return err
		}
		args, err := tenantArgs(t)
		if err != nil {
			return err
		}
		im.queue(fmt.Sprintf("tenant %q", t.ID), "INSERT INTO tenants ("+tenantColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", args...)

	case rec.Counters != nil:
		c, st := rec.Counters, rec.Counters.Stats
		what := fmt.Sprintf("the counters of tenant %q", c.Tenant)
		if err := checkTimes(what, st.LastMigratedAt); err != nil {
			return err
		}
		im.queue(what, `INSERT INTO tenant_stats (tenant_id, shard, users_migrated, users_registered,
			last_migrated_at, legacy_ok, legacy_rejected, legacy_errors, legacy_inactive, legacy_locked, users_imported, legacy_conflicts)
			VALUES ($1, 0, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			c.Tenant, st.UsersMigrated, st.UsersRegistered, nanos(st.LastMigratedAt), st.LegacyLoginsOK, st.LegacyRejected, st.LegacyErrors,
			st.LegacyInactive, st.LegacyLocked, st.UsersImported, st.LegacyConflicts)
		im.queue(what, "UPDATE tenants SET last_script = GREATEST(last_script, $2) WHERE id = $1", c.Tenant, c.LastScriptVersion)

	case rec.Script != nil:
		sc := rec.Script
		what := fmt.Sprintf("script %d of tenant %q", sc.Version, sc.Tenant)
		if sc.Version <= 0 {
			return fmt.Errorf("pgstore: %s: invalid version", what)
		}
		if err := checkTimes(what, sc.UploadedAt); err != nil {
			return err
		}
		var exports []string
		if len(sc.Exports) > 0 {
			exports = sc.Exports
		}
		im.queue(what, `INSERT INTO scripts (tenant_id, version, sha256, size, exports, uploaded_at, module)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, sc.Tenant, sc.Version, sc.SHA256, sc.Size, exports, nanos(sc.UploadedAt), sc.Module)
		im.queue(what, "UPDATE tenants SET last_script = GREATEST(last_script, $2) WHERE id = $1", sc.Tenant, sc.Version)
		im.bytes += len(sc.Module)

	case rec.Client != nil:
		c := rec.Client
		what := fmt.Sprintf("client %q of tenant %q", c.ID, c.Tenant)
		if !validID(c.ID) {
			return fmt.Errorf("pgstore: %s: invalid id", what)
		}
		if err := checkTimes(what, c.CreatedAt, c.UpdatedAt); err != nil {
			return err
		}
		b, err := clientJSON(c)
		if err != nil {
			return err
		}
		im.queue(what, insertClient, c.Tenant, c.ID, nanos(c.CreatedAt), b)

	case rec.User != nil:
		u := rec.User
		what := fmt.Sprintf("user %q of tenant %q", u.ID, u.Tenant)
		if err := checkUser(u); err != nil {
			return err
		}
		if err := checkTimes(what, u.CreatedAt, u.UpdatedAt, u.MigratedAt); err != nil {
			return err
		}
		args, err := userArgs(u)
		if err != nil {
			return err
		}
		im.queue(what, "INSERT INTO users (tenant_id, "+userColumns+") VALUES ("+userValues+")", args...)

	case rec.Session != nil:
		sb := rec.Session
		what := fmt.Sprintf("session %q of tenant %q", sb.ID, sb.Tenant)
		if !validID(sb.ID) || !validID(sb.UserID) || sb.ExpiresAt.IsZero() || len(sb.RefreshTokens) == 0 {
			return fmt.Errorf("pgstore: %s: invalid id or user id, no expiry or no refresh token", what)
		}
		if err := checkTimes(what, sb.CreatedAt, sb.ExpiresAt, sb.RevokedAt, sb.AuthTime); err != nil {
			return err
		}
		hashes, rotated := make([][]byte, len(sb.RefreshTokens)), make([]bool, len(sb.RefreshTokens))
		for i, t := range sb.RefreshTokens {
			if len(t.Hash) == 0 {
				return fmt.Errorf("pgstore: %s: an empty refresh token hash", what)
			}
			hashes[i], rotated[i] = t.Hash, t.Rotated
		}
		im.queue(what, `INSERT INTO sessions (tenant_id, id, user_id, created_at, expires_at, revoked_at, client_id, scopes, auth_time)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, sb.Tenant, sb.ID, sb.UserID, nanos(sb.CreatedAt), nanos(sb.ExpiresAt), nanos(sb.RevokedAt),
			sb.ClientID, nullSlice(sb.Scopes), nanos(sb.AuthTime))
		im.queue(what, `INSERT INTO refresh_tokens (tenant_id, hash, session_id, rotated)
			SELECT $1, h, $2, r FROM unnest($3::bytea[], $4::boolean[]) AS x(h, r)`, sb.Tenant, sb.ID, hashes, rotated)

	case rec.Audit != nil:
		e := rec.Audit
		what := fmt.Sprintf("audit event %q of tenant %q", e.ID, e.Tenant)
		if !validID(e.ID) || e.Time.IsZero() {
			return fmt.Errorf("pgstore: %s: invalid id or no time", what)
		}
		if err := checkTimes(what, e.Time); err != nil {
			return err
		}
		var detail []byte
		if e.Detail != nil {
			b, err := json.Marshal(e.Detail)
			if err != nil {
				return fmt.Errorf("pgstore: %s: %w", what, err)
			}
			detail = b
		}
		im.queue(what, `INSERT INTO audit (tenant_id, id, time, type, actor, subject, ip, detail)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.Tenant, e.ID, e.Time.UnixNano(), e.Type, e.Actor, e.Subject, e.IP, detail)

	case rec.Log != nil:
		l := rec.Log
		what := fmt.Sprintf("a log line of tenant %q", l.Tenant)
		if l.Time.IsZero() {
			return fmt.Errorf("pgstore: %s: no time", what)
		}
		if err := checkTimes(what, l.Time); err != nil {
			return err
		}
		im.queue(what, "INSERT INTO script_logs (tenant_id, time, level, op, message) VALUES ($1, $2, $3, $4, $5)",
			l.Tenant, l.Time.UnixNano(), l.Level, l.Op, l.Message)

	case rec.RateLimit != nil:
		st := rec.RateLimit
		what := fmt.Sprintf("rate limit state %q", st.Key)
		if st.Key == "" {
			return fmt.Errorf("pgstore: %s: no key", what)
		}
		if err := checkTimes(what, st.Until); err != nil {
			return err
		}
		if !st.Until.After(im.now) {
			return nil // decayed: SaveRateLimits would delete it
		}
		im.queue(what, "INSERT INTO rate_limits (key, until) VALUES ($1, $2)", []byte(st.Key), st.Until.UnixNano())

	default:
		return errors.New("pgstore: import: an empty record")
	}
	return nil
}

// checkTimes refuses the record named what if one of its times is outside
// what the store holds.
func checkTimes(what string, times ...time.Time) error {
	for _, t := range times {
		if err := checkTime(what, t); err != nil {
			return err
		}
	}
	return nil
}
