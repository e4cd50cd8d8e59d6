package badgerstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/google/uuid"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Limits of ListAudit and ListLogs.
const (
	defaultEventPage = 100
	maxEventPage     = 1000
	// maxLogBatch is the most log lines written in one transaction.
	maxLogBatch = 1000
)

// AppendAudit stores audit events, setting each e.ID (a UUIDv7) when empty
// and e.Time when zero, up to maxLogBatch in one transaction (one disk sync).
// Events of an unknown tenant are skipped and reported with
// auth.ErrNotFound; the others are stored.
func (s *Store) AppendAudit(ctx context.Context, events ...*auth.AuditEvent) error {
	type item struct {
		tenant string
		k, b   []byte
	}
	items := make([]item, 0, len(events))
	for _, e := range events {
		if e.ID == "" {
			id, err := uuid.NewV7()
			if err != nil {
				return fmt.Errorf("badgerstore: audit id: %w", err)
			}
			e.ID = id.String()
		}
		if !validID(e.ID) {
			return fmt.Errorf("badgerstore: invalid audit event id %q", e.ID)
		}
		if e.Time.IsZero() {
			e.Time = time.Now().UTC()
		}
		b, err := encode(&auditRecord{
			ID: e.ID, Time: e.Time.UTC(), Type: e.Type, Actor: e.Actor,
			Subject: e.Subject, IP: e.IP, Detail: e.Detail,
		})
		if err != nil {
			return err
		}
		items = append(items, item{e.Tenant, key(e.Tenant, kindAudit, string(newestFirstTime(e.Time))+e.ID), b})
	}
	var missing error
	for len(items) > 0 {
		batch := items[:min(len(items), maxLogBatch)]
		items = items[len(batch):]
		err := s.update(ctx, func(txn *badger.Txn) error {
			missing = nil
			known := map[string]error{}
			for _, it := range batch {
				terr, seen := known[it.tenant]
				if !seen {
					terr = requireTenant(txn, it.tenant)
					known[it.tenant] = terr
				}
				if errors.Is(terr, auth.ErrNotFound) {
					missing = terr
					continue
				} else if terr != nil {
					return terr
				}
				if err := set(txn, it.k, it.b, time.Time{}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return missing
}

// ListAudit returns the tenant's events newest first (by Time, then ID) and
// the cursor of the next page ("" at the end). limit defaults to 100 and is
// capped at 1000. Returns auth.ErrNotFound for an unknown tenant.
func (s *Store) ListAudit(ctx context.Context, tenant string, limit int, cursor string) ([]*auth.AuditEvent, string, error) {
	if limit <= 0 {
		limit = defaultEventPage
	}
	limit = min(limit, maxEventPage)
	p := prefix(tenant, kindAudit)
	var from []byte
	if cursor != "" {
		c, ok := decodeCursor(cursor)
		if !ok {
			return nil, "", errInvalidCursor
		}
		from = afterKey(append(append([]byte{}, p...), c...))
	}
	var (
		out  []*auth.AuditEvent
		next string
	)
	err := s.view(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, tenant); err != nil {
			return err
		}
		var last []byte
		return scan(txn, p, from, true, func(item *badger.Item) (bool, error) {
			if len(out) == limit {
				next = encodeCursor(last)
				return false, nil
			}
			var rec auditRecord
			if err := item.Value(func(b []byte) error { return decode(b, &rec) }); err != nil {
				return false, err
			}
			out = append(out, &auth.AuditEvent{
				ID: rec.ID, Tenant: tenant, Time: rec.Time, Type: rec.Type,
				Actor: rec.Actor, Subject: rec.Subject, IP: rec.IP, Detail: rec.Detail,
			})
			last = append(last[:0], item.Key()[len(p):]...)
			return true, nil
		})
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// AppendLogs stores lines of the tenant's script log, setting a zero Time to
// now. A tenant keeps about LogCap lines; DeleteLogsBefore removes old ones.
// Returns auth.ErrNotFound for an unknown tenant.
func (s *Store) AppendLogs(ctx context.Context, tenant string, entries []auth.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	now := time.Now().UTC()
	type kv struct{ k, v []byte }
	kvs := make([]kv, 0, len(entries))
	for _, e := range entries {
		t := e.Time
		if t.IsZero() {
			t = now
		}
		b, err := encode(&logRecord{Time: t.UTC(), Level: e.Level, Op: e.Op, Message: e.Message})
		if err != nil {
			return err
		}
		kvs = append(kvs, kv{s.logKey(tenant, t), b})
	}
	for len(kvs) > 0 {
		n := min(len(kvs), maxLogBatch)
		err := s.update(ctx, func(txn *badger.Txn) error {
			if err := requireTenant(txn, tenant); err != nil {
				return err
			}
			for _, e := range kvs[:n] {
				if err := set(txn, e.k, e.v, time.Time{}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		kvs = kvs[n:]
	}
	return s.maybeTrimLogs(ctx, tenant, len(entries))
}

// logKey is the key of a new log line of the tenant at t. Within one
// nanosecond, later lines sort first too.
func (s *Store) logKey(tenant string, t time.Time) []byte {
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], ^s.logSeq.Add(1))
	return key(tenant, kindLog, string(newestFirstTime(t))+string(seq[:]))
}

// maybeTrimLogs trims the tenant's log to LogCap lines once a tenth of LogCap
// lines (at least one) have been appended since the last trim.
func (s *Store) maybeTrimLogs(ctx context.Context, tenant string, appended int) error {
	s.logMu.Lock()
	s.logAppended[tenant] += appended
	due := s.logAppended[tenant] >= max(1, s.logCap/10)
	if due {
		s.logAppended[tenant] = 0
	}
	s.logMu.Unlock()
	if !due {
		return nil
	}
	var old [][]byte
	p := prefix(tenant, kindLog)
	n := 0
	err := s.view(ctx, func(txn *badger.Txn) error {
		return scan(txn, p, nil, false, func(item *badger.Item) (bool, error) {
			if n++; n > s.logCap {
				old = append(old, item.KeyCopy(nil))
			}
			return true, nil
		})
	})
	if err != nil {
		return err
	}
	for len(old) > 0 {
		n := min(len(old), maxLogBatch)
		err := s.update(ctx, func(txn *badger.Txn) error {
			for _, k := range old[:n] {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		old = old[n:]
	}
	return nil
}

// ListLogs returns the tenant's newest log lines, newest first. limit
// defaults to 100 and is capped at LogCap. Returns auth.ErrNotFound for an
// unknown tenant.
func (s *Store) ListLogs(ctx context.Context, tenant string, limit int) ([]auth.LogEntry, error) {
	if limit <= 0 {
		limit = defaultEventPage
	}
	limit = min(limit, s.logCap)
	var out []auth.LogEntry
	err := s.view(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, tenant); err != nil {
			return err
		}
		return scan(txn, prefix(tenant, kindLog), nil, true, func(item *badger.Item) (bool, error) {
			var rec logRecord
			if err := item.Value(func(b []byte) error { return decode(b, &rec) }); err != nil {
				return false, err
			}
			out = append(out, auth.LogEntry{Time: rec.Time, Level: rec.Level, Op: rec.Op, Message: rec.Message})
			return len(out) < limit, nil
		})
	})
	return out, err
}
