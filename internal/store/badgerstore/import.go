package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Import stores records as they are into this store, which must be empty:
// the counters as exported (one shard), the script versions with their
// numbers, sessions with their refresh tokens and expiries. Each record is
// checked against what is already imported (the tenant exists, ids and the
// unique indexes are free, a session's user exists) before the next is read;
// writes are committed in transactions of about half the size Badger takes,
// each one disk sync. Import holds the store exclusively until it returns.
func (s *Store) Import(ctx context.Context, records iter.Seq2[*auth.BackupRecord, error]) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	empty := true
	err := s.db.View(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.PrefetchValues = false
		it := txn.NewIterator(o)
		defer it.Close()
		it.Rewind()
		empty = !it.Valid()
		return nil
	})
	if err != nil {
		return err
	}
	if !empty {
		return auth.ErrStoreNotEmpty
	}
	im := &importer{s: s, txn: s.db.NewTransaction(true), now: time.Now()}
	defer func() { im.txn.Discard() }()
	for rec, err := range records {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := im.add(rec); err != nil {
			return err
		}
	}
	return im.commit()
}

// importer writes imported records in transactions it commits when they
// grow to half of Badger's limits.
type importer struct {
	s           *Store
	txn         *badger.Txn
	count, size int64 // entries and estimated bytes in txn
	now         time.Time
}

// add checks rec against the imported records and writes it.
func (im *importer) add(rec *auth.BackupRecord) error {
	entries, err := im.plan(rec)
	if err != nil {
		return err
	}
	var size int64
	for _, e := range entries {
		// Badger's own estimate, with every value counted in full.
		size += int64(len(e.Key)+len(e.Value)) + 2 + 10
	}
	count := int64(len(entries))
	if im.count > 0 && (im.count+count >= im.s.db.MaxBatchCount()/2 || im.size+size >= im.s.db.MaxBatchSize()/2) {
		if err := im.commit(); err != nil {
			return err
		}
		im.txn = im.s.db.NewTransaction(true)
	}
	for _, e := range entries {
		if err := im.txn.SetEntry(e); err != nil {
			return fmt.Errorf("badgerstore: import: %w", err)
		}
	}
	im.count += count
	im.size += size
	return nil
}

func (im *importer) commit() error {
	im.count, im.size = 0, 0
	if err := im.txn.Commit(); err != nil {
		return fmt.Errorf("badgerstore: import: %w", err)
	}
	return nil
}

// plan checks rec against the store as imported so far (im.txn sees its own
// writes) and returns the entries that store it.
func (im *importer) plan(rec *auth.BackupRecord) ([]*badger.Entry, error) {
	txn := im.txn
	switch {
	case rec.Tenant != nil:
		t := rec.Tenant
		if !validID(t.ID) {
			return nil, fmt.Errorf("badgerstore: invalid tenant id %q", t.ID)
		}
		if err := absent(txn, tenantKey(t.ID), "tenant %q", t.ID); err != nil {
			return nil, err
		}
		return entries(tenantKey(t.ID), fromTenant(t))

	case rec.Counters != nil:
		c := rec.Counters
		if err := requireTenant(txn, c.Tenant); err != nil {
			return nil, err
		}
		k := key(c.Tenant, kindStats, shardPart(0))
		if err := absent(txn, k, "counters of tenant %q", c.Tenant); err != nil {
			return nil, err
		}
		st := c.Stats
		out, err := entries(k, &statsRecord{
			UsersMigrated: st.UsersMigrated, UsersRegistered: st.UsersRegistered,
			LastMigratedAt: st.LastMigratedAt.UTC(), LegacyLoginsOK: st.LegacyLoginsOK,
			LegacyRejected: st.LegacyRejected, LegacyErrors: st.LegacyErrors,
			UsersImported: st.UsersImported, LegacyInactive: st.LegacyInactive, LegacyLocked: st.LegacyLocked,
			LegacyConflicts: st.LegacyConflicts,
		})
		if err != nil {
			return nil, err
		}
		return raiseScriptVersion(txn, c.Tenant, c.LastScriptVersion, out)

	case rec.Script != nil:
		sc := rec.Script
		if err := requireTenant(txn, sc.Tenant); err != nil {
			return nil, err
		}
		if sc.Version <= 0 || len(sc.Module) > MaxModuleSize {
			return nil, fmt.Errorf("badgerstore: script %d of tenant %q: invalid version or a module over %d bytes", sc.Version, sc.Tenant, MaxModuleSize)
		}
		vp := versionPart(sc.Version)
		k := key(sc.Tenant, kindScriptMeta, vp)
		if err := absent(txn, k, "script %d of tenant %q", sc.Version, sc.Tenant); err != nil {
			return nil, err
		}
		out, err := entries(k, &scriptRecord{
			Version: sc.Version, SHA256: sc.SHA256, Size: sc.Size,
			Exports: sc.Exports, UploadedAt: sc.UploadedAt.UTC(),
		})
		if err != nil {
			return nil, err
		}
		for i := 0; i*moduleChunk < len(sc.Module); i++ {
			chunk := sc.Module[i*moduleChunk : min((i+1)*moduleChunk, len(sc.Module))]
			out = append(out, badger.NewEntry(moduleChunkKey(sc.Tenant, vp, i), chunk))
		}
		return raiseScriptVersion(txn, sc.Tenant, sc.Version, out)

	case rec.Client != nil:
		c := rec.Client
		if err := requireTenant(txn, c.Tenant); err != nil {
			return nil, err
		}
		if !validID(c.ID) {
			return nil, fmt.Errorf("badgerstore: invalid client id %q", c.ID)
		}
		k := key(c.Tenant, kindClient, c.ID)
		if err := absent(txn, k, "client %q of tenant %q", c.ID, c.Tenant); err != nil {
			return nil, err
		}
		r := fromClient(c)
		out, err := entries(k, r)
		if err != nil {
			return nil, err
		}
		return append(out, badger.NewEntry(clientOrderKey(c.Tenant, r), nil)), nil

	case rec.User != nil:
		return planUser(txn, rec.User)

	case rec.Session != nil:
		return planSession(txn, rec.Session)

	case rec.Audit != nil:
		e := rec.Audit
		if err := requireTenant(txn, e.Tenant); err != nil {
			return nil, err
		}
		if !validID(e.ID) {
			return nil, fmt.Errorf("badgerstore: invalid audit event id %q", e.ID)
		}
		k := key(e.Tenant, kindAudit, string(newestFirstTime(e.Time))+e.ID)
		if err := absent(txn, k, "audit event %q of tenant %q", e.ID, e.Tenant); err != nil {
			return nil, err
		}
		return entries(k, &auditRecord{
			ID: e.ID, Time: e.Time.UTC(), Type: e.Type, Actor: e.Actor,
			Subject: e.Subject, IP: e.IP, Detail: e.Detail,
		})

	case rec.Log != nil:
		l := rec.Log
		if err := requireTenant(txn, l.Tenant); err != nil {
			return nil, err
		}
		return entries(im.s.logKey(l.Tenant, l.Time), &logRecord{Time: l.Time.UTC(), Level: l.Level, Op: l.Op, Message: l.Message})

	case rec.RateLimit != nil:
		st := rec.RateLimit
		if len(st.Key) == 0 || len(st.Key) > maxRateLimitKey {
			return nil, fmt.Errorf("badgerstore: a rate limit key of %d bytes", len(st.Key))
		}
		k := append(append([]byte{}, rateLimitPrefix...), st.Key...)
		if err := absent(txn, k, "rate limit state %q", st.Key); err != nil {
			return nil, err
		}
		if !st.Until.After(im.now) {
			return nil, nil // decayed: SaveRateLimits would delete it
		}
		e := rateLimitEntry(k, st.Until)
		return []*badger.Entry{e}, nil
	}
	return nil, errors.New("badgerstore: import: an empty record")
}

// planUser checks a user's id and unique indexes and returns its entries:
// the user, its indexes and its creation order. It is not counted: the
// counters come as their own record.
func planUser(txn *badger.Txn, u *auth.User) ([]*badger.Entry, error) {
	if err := requireTenant(txn, u.Tenant); err != nil {
		return nil, err
	}
	if err := checkUser(u); err != nil {
		return nil, err
	}
	rec := fromUser(u)
	k := key(u.Tenant, kindUser, u.ID)
	if err := absent(txn, k, "user %q of tenant %q", u.ID, u.Tenant); err != nil {
		return nil, err
	}
	out, err := entries(k, rec)
	if err != nil {
		return nil, err
	}
	for _, ix := range indexes(rec) {
		if ix.value == "" {
			continue
		}
		ik := key(u.Tenant, ix.kind, ix.value)
		if ok, err := exists(txn, ik); err != nil {
			return nil, err
		} else if ok {
			return nil, fmt.Errorf("user %q of tenant %q: %w", u.ID, u.Tenant, ix.taken)
		}
		out = append(out, badger.NewEntry(ik, []byte(u.ID)))
	}
	suffix := orderSuffix(rec)
	return append(out,
		badger.NewEntry(key(u.Tenant, kindOrder, suffix), nil),
		badger.NewEntry(key(u.Tenant, kindSourceOrder, rec.Source, suffix), nil),
	), nil
}

// planSession checks a session, its user and its refresh tokens and returns
// its entries, which expire like those CreateSession writes.
func planSession(txn *badger.Txn, sb *auth.SessionBackup) ([]*badger.Entry, error) {
	tenant := sb.Tenant
	if err := requireTenant(txn, tenant); err != nil {
		return nil, err
	}
	if !validID(sb.ID) || sb.ExpiresAt.IsZero() || len(sb.RefreshTokens) == 0 {
		return nil, fmt.Errorf("badgerstore: session %q: invalid id, no expiry or no refresh token", sb.ID)
	}
	if !validID(sb.UserID) {
		return nil, fmt.Errorf("badgerstore: session %q: invalid user id %q", sb.ID, sb.UserID)
	}
	if ok, err := exists(txn, key(tenant, kindUser, sb.UserID)); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("session %q: user %q: %w", sb.ID, sb.UserID, auth.ErrNotFound)
	}
	rec := fromSession(&sb.Session)
	exp := expiry(rec)
	k := key(tenant, kindSession, sb.ID)
	if err := absent(txn, k, "session %q of tenant %q", sb.ID, tenant); err != nil {
		return nil, err
	}
	out, err := entries(k, rec)
	if err != nil {
		return nil, err
	}
	out = append(out, badger.NewEntry(key(tenant, kindUserSession, sb.UserID, sb.ID), nil))
	seen := map[string]bool{}
	for _, t := range sb.RefreshTokens {
		h := string(t.Hash)
		if h == "" || seen[h] {
			return nil, fmt.Errorf("badgerstore: session %q: an empty or repeated refresh token hash", sb.ID)
		}
		seen[h] = true
		rk := key(tenant, kindRefresh, h)
		if err := absent(txn, rk, "a refresh token of session %q", sb.ID); err != nil {
			return nil, err
		}
		r, err := entries(rk, &refreshRecord{SessionID: sb.ID, Rotated: t.Rotated})
		if err != nil {
			return nil, err
		}
		out = append(out, r[0], badger.NewEntry(key(tenant, kindSessionTokens, sb.ID, h), nil))
	}
	for _, e := range out {
		e.ExpiresAt = uint64(exp.Unix()) + 1
	}
	return out, nil
}

// raiseScriptVersion appends to out the entry that raises the tenant's
// script version counter to v, unless it is already there or above.
func raiseScriptVersion(txn *badger.Txn, tenant string, v int, out []*badger.Entry) ([]*badger.Entry, error) {
	last, err := lastScriptVersion(txn, tenant)
	if err != nil || v <= last {
		return out, err
	}
	return append(out, badger.NewEntry(key(tenant, kindScriptSeq), []byte(versionPart(v)))), nil
}

// absent fails unless k is absent; the error names the record with format
// and args.
func absent(txn *badger.Txn, k []byte, format string, args ...any) error {
	ok, err := exists(txn, k)
	if err != nil {
		return err
	}
	if ok {
		return fmt.Errorf("badgerstore: %s is there already", fmt.Sprintf(format, args...))
	}
	return nil
}

// entries returns the entry that stores v as JSON at k.
func entries(k []byte, v any) ([]*badger.Entry, error) {
	b, err := encode(v)
	if err != nil {
		return nil, err
	}
	return []*badger.Entry{badger.NewEntry(k, b)}, nil
}
