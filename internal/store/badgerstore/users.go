package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Limits of ListUsers.
const (
	defaultUserPage = 50
	maxUserPage     = 1000
)

// errInvalidCursor is returned for a cursor this store did not make.
var errInvalidCursor = auth.Errorf(auth.CodeInvalidRequest, "invalid cursor")

// checkUser validates the fields of u that the key layout depends on.
func checkUser(u *auth.User) error {
	switch {
	case !validID(u.ID):
		return fmt.Errorf("badgerstore: invalid user id %q", u.ID)
	case u.Email == "" && u.Username == "":
		return errors.New("badgerstore: user has neither email nor username")
	case u.Source != auth.SourceLocal && u.Source != auth.SourceLegacy:
		return fmt.Errorf("badgerstore: invalid user source %q", u.Source)
	}
	return nil
}

// CreateUser stores a new user and counts it in the tenant's stats. It fills
// in CreatedAt (and UpdatedAt, and MigratedAt for a legacy user) when zero,
// and Source as local when empty. Returns auth.ErrNotFound for an unknown
// tenant, and auth.ErrLegacyIDTaken, auth.ErrEmailTaken or
// auth.ErrUsernameTaken (checked in that order) when another user of the
// tenant holds one of those.
// The checks and the insert are one transaction, retried on conflict, so
// concurrent calls cannot both take an email.
func (s *Store) CreateUser(ctx context.Context, u *auth.User) error {
	if u.Source == "" {
		u.Source = auth.SourceLocal
	}
	if err := checkUser(u); err != nil {
		return err
	}
	now := time.Now().UTC()
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	if u.Source == auth.SourceLegacy && u.MigratedAt.IsZero() {
		u.MigratedAt = u.CreatedAt
	}
	tenant := u.Tenant
	rec := fromUser(u)
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, tenant); err != nil {
			return err
		}
		if ok, err := exists(txn, key(tenant, kindUser, u.ID)); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("badgerstore: user id %q exists in tenant %q", u.ID, tenant)
		}
		if err := claimIndexes(txn, tenant, u.ID, nil, rec); err != nil {
			return err
		}
		if err := setJSON(txn, key(tenant, kindUser, u.ID), rec, time.Time{}); err != nil {
			return err
		}
		if err := setOrder(txn, tenant, rec); err != nil {
			return err
		}
		if err := addStats(txn, tenant, func(st *statsRecord) { countUser(st, rec, 1) }); err != nil {
			return err
		}
		return countMigration(txn, tenant, rec)
	})
}

// uniqueIndex is one unique secondary index entry of a user.
type uniqueIndex struct {
	kind  string // the index's key kind
	value string // the user's value; "" when the user has none
	taken error  // returned when another user holds the value
}

// indexes are the unique secondary indexes of a user. The legacy id comes
// first: when the same legacy user is copied twice, its email is taken too,
// and ErrLegacyIDTaken is the answer that tells the caller to use the copy.
func indexes(r *userRecord) [3]uniqueIndex {
	return [3]uniqueIndex{
		{kindLegacyID, r.LegacyID, auth.ErrLegacyIDTaken},
		{kindEmail, r.Email, auth.ErrEmailTaken},
		{kindUsername, r.Username, auth.ErrUsernameTaken},
	}
}

// claimIndexes points the unique indexes of next at user id, removing those
// of prev (nil for a new user) that changed. It fails with the index's
// error if another user holds a value. The reads are tracked, so a
// concurrent claim of the same value makes one commit conflict.
func claimIndexes(txn *badger.Txn, tenant, id string, prev, next *userRecord) error {
	var old [3]uniqueIndex
	if prev != nil {
		old = indexes(prev)
	}
	for i, ix := range indexes(next) {
		if ix.value == old[i].value {
			continue
		}
		if ix.value != "" {
			k := key(tenant, ix.kind, ix.value)
			holder, err := getString(txn, k)
			switch {
			case err == nil && holder != id:
				return ix.taken
			case err != nil && !errors.Is(err, auth.ErrNotFound):
				return err
			}
			if err := set(txn, k, []byte(id), time.Time{}); err != nil {
				return err
			}
		}
		if old[i].value != "" {
			if err := txn.Delete(key(tenant, ix.kind, old[i].value)); err != nil {
				return err
			}
		}
	}
	return nil
}

// orderSuffix is a user's position in creation order: created_at, then id.
func orderSuffix(r *userRecord) string {
	return string(sortableTime(r.CreatedAt)) + r.ID
}

// setOrder writes the creation-order index entries of r.
func setOrder(txn *badger.Txn, tenant string, r *userRecord) error {
	suffix := orderSuffix(r)
	if err := txn.Set(key(tenant, kindOrder, suffix), nil); err != nil {
		return err
	}
	return txn.Set(key(tenant, kindSourceOrder, r.Source, suffix), nil)
}

// deleteOrder removes the creation-order index entries of r.
func deleteOrder(txn *badger.Txn, tenant string, r *userRecord) error {
	suffix := orderSuffix(r)
	if err := txn.Delete(key(tenant, kindOrder, suffix)); err != nil {
		return err
	}
	return txn.Delete(key(tenant, kindSourceOrder, r.Source, suffix))
}

// countUser adds delta to the counter of r's source, and to the imported
// users' when r is one.
func countUser(st *statsRecord, r *userRecord, delta int64) {
	if r.Imported {
		st.UsersImported += delta
	}
	if auth.Source(r.Source) == auth.SourceLegacy {
		st.UsersMigrated += delta
		if delta > 0 && r.MigratedAt.After(st.LastMigratedAt) {
			st.LastMigratedAt = r.MigratedAt
		}
		return
	}
	st.UsersRegistered += delta
}

// addStats applies fn to one randomly chosen shard of the tenant's counters.
// The shard is read in the transaction, so concurrent updates of it conflict
// and retry: the counts stay exact.
func addStats(txn *badger.Txn, tenant string, fn func(*statsRecord)) error {
	k := key(tenant, kindStats, shardPart(rand.N(statsShards)))
	var st statsRecord
	if err := getJSON(txn, k, &st); err != nil && !errors.Is(err, auth.ErrNotFound) {
		return err
	}
	fn(&st)
	return setJSON(txn, k, &st, time.Time{})
}

// GetUser returns a user by id. Returns auth.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, tenant, id string) (*auth.User, error) {
	var u *auth.User
	err := s.view(ctx, func(txn *badger.Txn) error {
		rec, err := getUser(txn, tenant, id)
		if err == nil {
			u = rec.user(tenant)
		}
		return err
	})
	return u, err
}

func getUser(txn *badger.Txn, tenant, id string) (*userRecord, error) {
	if !validID(tenant) || !validID(id) {
		return nil, auth.ErrNotFound
	}
	var rec userRecord
	if err := getJSON(txn, key(tenant, kindUser, id), &rec); err != nil {
		return nil, fmt.Errorf("user %q: %w", id, err)
	}
	return &rec, nil
}

// FindUser returns the user whose email or username equals identifier, which
// must already be normalised; emails are tried first. Returns
// auth.ErrNotFound.
func (s *Store) FindUser(ctx context.Context, tenant, identifier string) (*auth.User, error) {
	return s.findBy(ctx, tenant, identifier, kindEmail, kindUsername)
}

// FindUserByLegacyID returns the user migrated from legacyID. Returns
// auth.ErrNotFound.
func (s *Store) FindUserByLegacyID(ctx context.Context, tenant, legacyID string) (*auth.User, error) {
	return s.findBy(ctx, tenant, legacyID, kindLegacyID)
}

// findBy looks value up in each index kind in turn.
func (s *Store) findBy(ctx context.Context, tenant, value string, kinds ...string) (*auth.User, error) {
	if value == "" || !validID(tenant) {
		return nil, auth.ErrNotFound
	}
	var u *auth.User
	err := s.view(ctx, func(txn *badger.Txn) error {
		for _, kind := range kinds {
			id, err := getString(txn, key(tenant, kind, value))
			if errors.Is(err, auth.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			rec, err := getUser(txn, tenant, id)
			if err != nil {
				return fmt.Errorf("badgerstore: index %q points to missing user %q: %w", kind, id, err)
			}
			u = rec.user(tenant)
			return nil
		}
		return auth.ErrNotFound
	})
	return u, err
}

// UpdateUser applies fn to the stored user atomically, keeping the indexes
// and the counters right. fn may run more than once; its error aborts the
// update and is returned as is. Returns auth.ErrNotFound,
// auth.ErrEmailTaken, auth.ErrUsernameTaken, auth.ErrLegacyIDTaken.
func (s *Store) UpdateUser(ctx context.Context, tenant, id string, fn func(*auth.User) error) (*auth.User, error) {
	var out *auth.User
	err := s.update(ctx, func(txn *badger.Txn) error {
		prev, err := getUser(txn, tenant, id)
		if err != nil {
			return err
		}
		u := prev.user(tenant)
		if err := fn(u); err != nil {
			return err
		}
		if u.ID != id || u.Tenant != tenant {
			return errors.New("badgerstore: a user's id and tenant cannot change")
		}
		if err := checkUser(u); err != nil {
			return err
		}
		next := fromUser(u)
		if err := claimIndexes(txn, tenant, id, prev, next); err != nil {
			return err
		}
		if !prev.CreatedAt.Equal(next.CreatedAt) || prev.Source != next.Source {
			if err := deleteOrder(txn, tenant, prev); err != nil {
				return err
			}
			if err := setOrder(txn, tenant, next); err != nil {
				return err
			}
		}
		if prev.Source != next.Source || prev.Imported != next.Imported {
			err := addStats(txn, tenant, func(st *statsRecord) {
				countUser(st, prev, -1)
				countUser(st, next, 1)
			})
			if err != nil {
				return err
			}
		}
		out = u
		return setJSON(txn, key(tenant, kindUser, id), next, time.Time{})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteUser removes a user, its index entries, its sessions and its count in
// the stats. Returns auth.ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, tenant, id string) error {
	var sessions []string
	err := s.update(ctx, func(txn *badger.Txn) error {
		sessions = sessions[:0]
		rec, err := getUser(txn, tenant, id)
		if err != nil {
			return err
		}
		if err := txn.Delete(key(tenant, kindUser, id)); err != nil {
			return err
		}
		for _, ix := range indexes(rec) {
			if ix.value != "" {
				if err := txn.Delete(key(tenant, ix.kind, ix.value)); err != nil {
					return err
				}
			}
		}
		if err := deleteOrder(txn, tenant, rec); err != nil {
			return err
		}
		if err := addStats(txn, tenant, func(st *statsRecord) { countUser(st, rec, -1) }); err != nil {
			return err
		}
		p := prefix(tenant, kindUserSession, id)
		err = scan(txn, p, nil, false, func(item *badger.Item) (bool, error) {
			k := item.KeyCopy(nil)
			sessions = append(sessions, string(k[len(p):]))
			return true, txn.Delete(k)
		})
		if err != nil {
			return err
		}
		for _, sid := range sessions {
			if err := txn.Delete(key(tenant, kindSession, sid)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The sessions are gone, so their refresh records are dead (a rotation
	// finds no session and fails with ErrNotFound); removing them is
	// cleanup, done in batches outside the main transaction. A crash here
	// leaves them to expire by TTL.
	for _, sid := range sessions {
		if err := s.dropRefreshRecords(ctx, tenant, sid); err != nil {
			return err
		}
	}
	return nil
}

// dropRefreshRecords deletes the refresh records of a deleted session.
func (s *Store) dropRefreshRecords(ctx context.Context, tenant, sid string) error {
	const batch = 500
	p := prefix(tenant, kindSessionTokens, sid)
	for {
		n := 0
		err := s.update(ctx, func(txn *badger.Txn) error {
			n = 0
			return scan(txn, p, nil, false, func(item *badger.Item) (bool, error) {
				k := item.KeyCopy(nil)
				if err := txn.Delete(key(tenant, kindRefresh, string(k[len(p):]))); err != nil {
					return false, err
				}
				n++
				return n < batch, txn.Delete(k)
			})
		})
		if err != nil || n < batch {
			return err
		}
	}
}

// ListUsers returns a page of users in creation order (created_at, then id)
// and the cursor of the next page ("" at the end). Limit defaults to 50 and
// is capped at 1000. Returns auth.ErrNotFound for an unknown tenant and an
// auth.Error with code invalid_request for a bad cursor or source.
func (s *Store) ListUsers(ctx context.Context, tenant string, q auth.UserQuery) ([]*auth.User, string, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultUserPage
	}
	limit = min(limit, maxUserPage)
	var p []byte
	switch q.Source {
	case "":
		p = prefix(tenant, kindOrder)
	case auth.SourceLocal, auth.SourceLegacy:
		p = prefix(tenant, kindSourceOrder, string(q.Source))
	default:
		return nil, "", auth.Errorf(auth.CodeInvalidRequest, "unknown user source %q", q.Source)
	}
	var from []byte
	if q.Cursor != "" {
		c, ok := decodeCursor(q.Cursor)
		if !ok || len(c) <= 8 {
			return nil, "", errInvalidCursor
		}
		from = afterKey(append(append([]byte{}, p...), c...))
	}
	var (
		users []*auth.User
		next  string
	)
	err := s.view(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, tenant); err != nil {
			return err
		}
		var last []byte
		return scan(txn, p, from, false, func(item *badger.Item) (bool, error) {
			suffix := item.Key()[len(p):]
			if len(users) == limit {
				next = encodeCursor(last)
				return false, nil
			}
			if len(suffix) <= 8 {
				return false, fmt.Errorf("badgerstore: corrupt user order key in tenant %q", tenant)
			}
			rec, err := getUser(txn, tenant, string(suffix[8:]))
			if err != nil {
				return false, fmt.Errorf("badgerstore: order index points to missing user: %w", err)
			}
			users = append(users, rec.user(tenant))
			last = append(last[:0], suffix...)
			return true, ctx.Err()
		})
	})
	if err != nil {
		return nil, "", err
	}
	return users, next, nil
}

// MigrationStats returns the tenant's counts. Returns auth.ErrNotFound for an
// unknown tenant.
func (s *Store) MigrationStats(ctx context.Context, tenant string) (auth.MigrationStats, error) {
	var out auth.MigrationStats
	err := s.view(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, tenant); err != nil {
			return err
		}
		return scan(txn, prefix(tenant, kindStats), nil, true, func(item *badger.Item) (bool, error) {
			var st statsRecord
			if err := item.Value(func(b []byte) error { return decode(b, &st) }); err != nil {
				return false, err
			}
			addShard(&out, &st)
			return true, nil
		})
	})
	return out, err
}

// addShard adds one shard of a tenant's counters to out.
func addShard(out *auth.MigrationStats, st *statsRecord) {
	out.UsersMigrated += st.UsersMigrated
	out.UsersRegistered += st.UsersRegistered
	out.LegacyLoginsOK += st.LegacyLoginsOK
	out.LegacyRejected += st.LegacyRejected
	out.LegacyErrors += st.LegacyErrors
	out.UsersImported += st.UsersImported
	out.LegacyInactive += st.LegacyInactive
	out.LegacyLocked += st.LegacyLocked
	out.LegacyConflicts += st.LegacyConflicts
	if st.LastMigratedAt.After(out.LastMigratedAt) {
		out.LastMigratedAt = st.LastMigratedAt
	}
}

// CountLegacyOutcome adds one to the counter of outcome (an inactive or
// locked rejection to the rejections too). Returns
// auth.ErrNotFound for an unknown tenant.
func (s *Store) CountLegacyOutcome(ctx context.Context, tenant string, outcome auth.LegacyOutcome) error {
	var add func(*statsRecord)
	switch outcome {
	case auth.LegacyOK:
		add = func(st *statsRecord) { st.LegacyLoginsOK++ }
	case auth.LegacyRejected:
		add = func(st *statsRecord) { st.LegacyRejected++ }
	case auth.LegacyError:
		add = func(st *statsRecord) { st.LegacyErrors++ }
	case auth.LegacyInactive:
		add = func(st *statsRecord) { st.LegacyRejected++; st.LegacyInactive++ }
	case auth.LegacyLocked:
		add = func(st *statsRecord) { st.LegacyRejected++; st.LegacyLocked++ }
	case auth.LegacyConflict:
		add = func(st *statsRecord) { st.LegacyConflicts++ }
	default:
		return fmt.Errorf("badgerstore: unknown legacy outcome %d", outcome)
	}
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, tenant); err != nil {
			return err
		}
		return addStats(txn, tenant, add)
	})
}
