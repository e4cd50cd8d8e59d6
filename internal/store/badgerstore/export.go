package badgerstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Export calls emit with every record of the store, all read in one
// transaction: per tenant (in id order) the tenant, its counters, scripts,
// OpenID Connect clients, users, sessions, audit events (newest first) and log lines (oldest first,
// so that Import, appending them, keeps their order); then the rate
// limiter's states. Expired records are left out.
func (s *Store) Export(ctx context.Context, emit func(*auth.BackupRecord) error) error {
	return s.view(ctx, func(txn *badger.Txn) error {
		err := scan(txn, tenantRecordPrefix, nil, true, func(item *badger.Item) (bool, error) {
			var rec tenantRecord
			if err := item.Value(func(b []byte) error { return decode(b, &rec) }); err != nil {
				return false, err
			}
			return true, exportTenant(ctx, txn, rec.tenant(), emit)
		})
		if err != nil {
			return err
		}
		now := time.Now()
		return scan(txn, rateLimitPrefix, nil, true, func(item *badger.Item) (bool, error) {
			return true, item.Value(func(v []byte) error {
				if len(v) != 8 {
					return fmt.Errorf("badgerstore: corrupt rate limit state %q", item.Key())
				}
				st := auth.RateLimitState{
					Key:   string(item.Key()[len(rateLimitPrefix):]),
					Until: time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC(),
				}
				if !st.Until.After(now) {
					return nil // decayed: the limiter would not load it either
				}
				return emit(&auth.BackupRecord{RateLimit: &st})
			})
		})
	})
}

// exportTenant emits the records of one tenant.
func exportTenant(ctx context.Context, txn *badger.Txn, t *auth.Tenant, emit func(*auth.BackupRecord) error) error {
	id := t.ID
	if err := emit(&auth.BackupRecord{Tenant: t}); err != nil {
		return err
	}
	counters, err := tenantCounters(txn, id)
	if err != nil {
		return err
	}
	if err := emit(&auth.BackupRecord{Counters: counters}); err != nil {
		return err
	}
	// each scans the values under the tenant's kind and emits what fn
	// makes of each; it stops when ctx ends.
	each := func(kind string, reverse bool, fn func(k, v []byte) (*auth.BackupRecord, error)) error {
		p := prefix(id, kind)
		return scanValues(txn, p, reverse, func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			rec, err := fn(k[len(p):], v)
			if err != nil {
				return err
			}
			return emit(rec)
		})
	}
	steps := []struct {
		kind    string
		reverse bool
		fn      func(k, v []byte) (*auth.BackupRecord, error)
	}{
		{kindScriptMeta, false, func(_, v []byte) (*auth.BackupRecord, error) {
			var rec scriptRecord
			if err := decode(v, &rec); err != nil {
				return nil, err
			}
			module, err := readModule(txn, id, rec.Version, rec.Size)
			if err != nil {
				return nil, err
			}
			return &auth.BackupRecord{Script: &auth.ScriptVersion{Script: *rec.script(id), Module: module}}, nil
		}},
		{kindClient, false, func(_, v []byte) (*auth.BackupRecord, error) {
			var rec clientRecord
			if err := decode(v, &rec); err != nil {
				return nil, err
			}
			return &auth.BackupRecord{Client: rec.client(id)}, nil
		}},
		{kindUser, false, func(_, v []byte) (*auth.BackupRecord, error) {
			var rec userRecord
			if err := decode(v, &rec); err != nil {
				return nil, err
			}
			return &auth.BackupRecord{User: rec.user(id)}, nil
		}},
		{kindSession, false, func(_, v []byte) (*auth.BackupRecord, error) {
			var rec sessionRecord
			if err := decode(v, &rec); err != nil {
				return nil, err
			}
			tokens, err := refreshTokens(txn, id, rec.ID)
			if err != nil {
				return nil, err
			}
			return &auth.BackupRecord{Session: &auth.SessionBackup{Session: *rec.session(id), RefreshTokens: tokens}}, nil
		}},
		{kindAudit, false, func(_, v []byte) (*auth.BackupRecord, error) {
			var rec auditRecord
			if err := decode(v, &rec); err != nil {
				return nil, err
			}
			return &auth.BackupRecord{Audit: &auth.AuditEvent{
				ID: rec.ID, Tenant: id, Time: rec.Time, Type: rec.Type,
				Actor: rec.Actor, Subject: rec.Subject, IP: rec.IP, Detail: rec.Detail,
			}}, nil
		}},
		{kindLog, true, func(_, v []byte) (*auth.BackupRecord, error) {
			var rec logRecord
			if err := decode(v, &rec); err != nil {
				return nil, err
			}
			return &auth.BackupRecord{Log: &auth.TenantLogEntry{
				Tenant:   id,
				LogEntry: auth.LogEntry{Time: rec.Time, Level: rec.Level, Op: rec.Op, Message: rec.Message},
			}}, nil
		}},
	}
	for _, st := range steps {
		if err := each(st.kind, st.reverse, st.fn); err != nil {
			return fmt.Errorf("badgerstore: export of tenant %q: %w", id, err)
		}
	}
	return nil
}

// tenantCounters reads the tenant's stats (summed over the shards) and its
// script version counter.
func tenantCounters(txn *badger.Txn, tenant string) (*auth.TenantCounters, error) {
	c := &auth.TenantCounters{Tenant: tenant}
	err := scanValues(txn, prefix(tenant, kindStats), false, func(_, v []byte) error {
		var st statsRecord
		if err := decode(v, &st); err != nil {
			return err
		}
		addShard(&c.Stats, &st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.LastScriptVersion, err = lastScriptVersion(txn, tenant)
	return c, err
}

// readModule reads the pieces of a module version.
func readModule(txn *badger.Txn, tenant string, version, size int) ([]byte, error) {
	module := make([]byte, 0, size)
	err := scanValues(txn, key(tenant, kindScriptModule, versionPart(version)), false, func(_, v []byte) error {
		module = append(module, v...)
		return nil
	})
	return module, err
}

// refreshTokens returns the refresh tokens of a session, in hash order.
func refreshTokens(txn *badger.Txn, tenant, sid string) ([]auth.RefreshToken, error) {
	var out []auth.RefreshToken
	p := prefix(tenant, kindSessionTokens, sid)
	err := scan(txn, p, nil, false, func(item *badger.Item) (bool, error) {
		hash := item.KeyCopy(nil)[len(p):]
		var r refreshRecord
		if err := getJSON(txn, key(tenant, kindRefresh, string(hash)), &r); err != nil {
			return false, fmt.Errorf("refresh token of session %q: %w", sid, err)
		}
		out = append(out, auth.RefreshToken{Hash: hash, Rotated: r.Rotated})
		return true, nil
	})
	return out, err
}

// scanValues calls fn with the key and value of each record under p, in key
// order or, with reverse, in reverse key order. The slices are valid only
// during the call.
func scanValues(txn *badger.Txn, p []byte, reverse bool, fn func(k, v []byte) error) error {
	o := badger.DefaultIteratorOptions
	o.Prefix = p
	o.PrefetchSize = 16
	o.Reverse = reverse
	it := txn.NewIterator(o)
	defer it.Close()
	start := p
	if reverse {
		start = prefixEnd(p)
	}
	for it.Seek(start); it.ValidForPrefix(p); it.Next() {
		item := it.Item()
		if err := item.Value(func(v []byte) error { return fn(item.Key(), v) }); err != nil {
			return err
		}
	}
	return nil
}

// prefixEnd returns the smallest key greater than every key under p, where
// a reverse scan of p starts. Every prefix of this store ends in sep, so
// that is p with its last byte incremented.
func prefixEnd(p []byte) []byte {
	end := append([]byte{}, p...)
	end[len(end)-1]++
	return end
}
