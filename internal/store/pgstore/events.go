package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Limits of ListAudit and ListLogs.
const (
	defaultEventPage = 100
	maxEventPage     = 1000
)

// AppendAudit stores audit events in one statement, setting each e.ID (a
// UUIDv7) when empty and e.Time when zero. An event whose id is stored
// already is kept once. Events of an unknown tenant are skipped and
// reported with auth.ErrNotFound; the others are stored.
func (s *Store) AppendAudit(ctx context.Context, events ...*auth.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	n := len(events)
	var (
		tenants, ids, types, actors, subjects, ips = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		times                                      = make([]int64, n)
		details                                    = make([][]byte, n)
	)
	for i, e := range events {
		if e.ID == "" {
			id, err := uuid.NewV7()
			if err != nil {
				return fmt.Errorf("pgstore: audit id: %w", err)
			}
			e.ID = id.String()
		}
		if !validID(e.ID) {
			return fmt.Errorf("pgstore: invalid audit event id %q", e.ID)
		}
		if e.Time.IsZero() {
			e.Time = time.Now().UTC()
		}
		tenants[i], ids[i], types[i] = clean(e.Tenant), e.ID, clean(e.Type)
		actors[i], subjects[i], ips[i] = clean(e.Actor), clean(e.Subject), clean(e.IP)
		times[i] = e.Time.UnixNano()
		if e.Detail != nil {
			b, err := json.Marshal(cleanValue(e.Detail))
			if err != nil {
				return fmt.Errorf("pgstore: encode audit detail: %w", err)
			}
			details[i] = b
		}
	}
	var missing int
	err := s.pool.QueryRow(ctx, `WITH ins AS (
		INSERT INTO audit (tenant_id, id, time, type, actor, subject, ip, detail)
		SELECT e.* FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
			AS e(tenant_id, id, time, type, actor, subject, ip, detail)
		WHERE EXISTS (SELECT 1 FROM tenants t WHERE t.id = e.tenant_id)
		ON CONFLICT (tenant_id, id) DO NOTHING)
	SELECT count(*) FROM unnest($1::text[]) AS x(id) WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = x.id)`,
		tenants, ids, times, types, actors, subjects, ips, details).Scan(&missing)
	if err != nil {
		return mapErr(err)
	}
	if missing > 0 {
		return fmt.Errorf("pgstore: %d audit events of unknown tenants: %w", missing, auth.ErrNotFound)
	}
	return nil
}

// cleanValue returns v (decoded JSON) with every string made storable.
func cleanValue(v any) any {
	switch v := v.(type) {
	case string:
		return clean(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[clean(k)] = cleanValue(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = cleanValue(x)
		}
		return out
	}
	return v
}

// ListAudit returns the tenant's events newest first (by Time, then ID) and
// the cursor of the next page ("" at the end). limit defaults to 100 and is
// capped at 1000. Returns auth.ErrNotFound for an unknown tenant.
func (s *Store) ListAudit(ctx context.Context, tenant string, limit int, cursor string) ([]*auth.AuditEvent, string, error) {
	if limit <= 0 {
		limit = defaultEventPage
	}
	limit = min(limit, maxEventPage)
	before, afterID := time.Time{}, ""
	if cursor != "" {
		var ok bool
		if before, afterID, ok = decodeCursor(cursor); !ok {
			return nil, "", errInvalidCursor
		}
	}
	if err := s.requireTenant(ctx, tenant); err != nil {
		return nil, "", err
	}
	// The cursor's condition is in the statement only when used; "time <=
	// cursor" bounds the index scan, the rest drops the few rows at that
	// instant already listed.
	where, args := "tenant_id = $1", []any{tenant, limit + 1}
	if afterID != "" {
		args = append(args, before.UnixNano(), afterID)
		where += " AND time <= $3 AND (time < $3 OR id > $4)"
	}
	rows, err := s.pool.Query(ctx, "SELECT id, time, type, actor, subject, ip, detail FROM audit WHERE "+where+
		" ORDER BY time DESC, id LIMIT $2", args...)
	if err != nil {
		return nil, "", mapErr(err)
	}
	defer rows.Close()
	var out []*auth.AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows, tenant)
		if err != nil {
			return nil, "", err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", mapErr(err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor(last.Time, last.ID)
	}
	return out, next, nil
}

// scanAudit reads a row of id, time, type, actor, subject, ip, detail.
func scanAudit(row pgx.Row, tenant string) (*auth.AuditEvent, error) {
	e := &auth.AuditEvent{Tenant: tenant}
	var detail []byte
	if err := row.Scan(&e.ID, ns(&e.Time), &e.Type, &e.Actor, &e.Subject, &e.IP, &detail); err != nil {
		return nil, mapErr(err)
	}
	if len(detail) > 0 {
		if err := json.Unmarshal(detail, &e.Detail); err != nil {
			return nil, fmt.Errorf("pgstore: corrupt audit detail: %w", err)
		}
	}
	return e, nil
}

// AppendLogs stores lines of the tenant's script log in one statement,
// setting a zero Time to now. Lines of one time keep their order (a later
// line is newer). A tenant keeps about LogCap lines. Returns
// auth.ErrNotFound for an unknown tenant.
func (s *Store) AppendLogs(ctx context.Context, tenant string, entries []auth.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if !validID(tenant) {
		return auth.ErrNotFound
	}
	now := time.Now().UnixNano()
	n := len(entries)
	times, levels, ops, messages := make([]int64, n), make([]string, n), make([]string, n), make([]string, n)
	for i, e := range entries {
		times[i] = e.Time.UnixNano()
		if e.Time.IsZero() {
			times[i] = now
		}
		levels[i], ops[i], messages[i] = clean(e.Level), clean(e.Op), clean(e.Message)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO script_logs (tenant_id, time, level, op, message)
		SELECT $1, t, l, o, m FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS x(t, l, o, m, n)
		ORDER BY n`, tenant, times, levels, ops, messages)
	if err != nil {
		return mapErr(err)
	}
	return s.maybeTrimLogs(ctx, tenant, n)
}

// maybeTrimLogs trims the tenant's log to LogCap lines once this process
// has appended a tenth of LogCap lines (at least one) since its last trim.
func (s *Store) maybeTrimLogs(ctx context.Context, tenant string, appended int) error {
	s.logMu.Lock()
	s.logAppended[tenant] += appended
	due := s.logAppended[tenant] >= max(1, s.logCap/10)
	if due {
		delete(s.logAppended, tenant)
	}
	s.logMu.Unlock()
	if !due {
		return nil
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM script_logs WHERE tenant_id = $1 AND seq IN (
		SELECT seq FROM script_logs WHERE tenant_id = $1 ORDER BY time DESC, seq DESC OFFSET $2)`, tenant, s.logCap)
	return mapErr(err)
}

// ListLogs returns the tenant's newest log lines, newest first. limit
// defaults to 100 and is capped at LogCap. Returns auth.ErrNotFound for an
// unknown tenant.
func (s *Store) ListLogs(ctx context.Context, tenant string, limit int) ([]auth.LogEntry, error) {
	if limit <= 0 {
		limit = defaultEventPage
	}
	limit = min(limit, s.logCap)
	if err := s.requireTenant(ctx, tenant); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT time, level, op, message FROM script_logs
		WHERE tenant_id = $1 ORDER BY time DESC, seq DESC LIMIT $2`, tenant, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.LogEntry, error) {
		var e auth.LogEntry
		err := r.Scan(ns(&e.Time), &e.Level, &e.Op, &e.Message)
		return e, err
	})
	if len(out) == 0 {
		out = nil
	}
	return out, mapErr(err)
}

// DeleteAuditBefore removes every tenant's audit events whose Time is before
// t and returns how many it removed.
func (s *Store) DeleteAuditBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM audit WHERE time < $1", t.UnixNano())
	if err != nil {
		return 0, mapErr(err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteLogsBefore removes every tenant's log lines whose Time is before t
// and returns how many it removed.
func (s *Store) DeleteLogsBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM script_logs WHERE time < $1", t.UnixNano())
	if err != nil {
		return 0, mapErr(err)
	}
	return int(tag.RowsAffected()), nil
}

// maxRateLimitKey bounds a stored limiter key; longer ones are not kept.
const maxRateLimitKey = 4096

// SaveRateLimits stores the states in one round trip: states whose Until
// has passed are deleted, the others replace the key's state. Keys are
// written in sorted order, so that concurrent saves by several servers lock
// rows in one order; a deadlock that happens anyway is retried. Passed
// states of other keys go in the store's periodic sweep.
func (s *Store) SaveRateLimits(ctx context.Context, states []auth.RateLimitState) error {
	now := time.Now()
	last := make(map[string]int, len(states)) // the last state of each key wins
	for i, st := range states {
		if len(st.Key) > 0 && len(st.Key) <= maxRateLimitKey {
			last[st.Key] = i
		}
	}
	sorted := make([]string, 0, len(last))
	for k := range last {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	var (
		keys, gone [][]byte
		until      []int64
	)
	for _, k := range sorted {
		if st := states[last[k]]; st.Until.After(now) {
			keys = append(keys, []byte(k))
			until = append(until, st.Until.UnixNano())
		} else {
			gone = append(gone, []byte(k))
		}
	}
	return retry(func() error {
		b := &pgx.Batch{}
		b.Queue("DELETE FROM rate_limits WHERE key = ANY($1)", gone)
		b.Queue(`INSERT INTO rate_limits (key, until) SELECT * FROM unnest($1::bytea[], $2::bigint[])
			ON CONFLICT (key) DO UPDATE SET until = EXCLUDED.until`, keys, until)
		return s.pool.SendBatch(ctx, b).Close()
	})
}

// LoadRateLimits returns the stored states whose Until is after now.
func (s *Store) LoadRateLimits(ctx context.Context, now time.Time) ([]auth.RateLimitState, error) {
	rows, err := s.pool.Query(ctx, "SELECT key, until FROM rate_limits WHERE until > $1", now.UnixNano())
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.RateLimitState, error) {
		var (
			k     []byte
			until int64
		)
		err := r.Scan(&k, &until)
		return auth.RateLimitState{Key: string(k), Until: time.Unix(0, until)}, err
	})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, mapErr(err)
	}
	return out, nil
}
