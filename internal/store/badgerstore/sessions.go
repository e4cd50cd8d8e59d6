package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// expiry is when Badger drops the records of a session: sessionGrace after
// it ends, so that late refreshes still get a precise answer until then.
func expiry(r *sessionRecord) time.Time { return r.ExpiresAt.Add(sessionGrace) }

// CreateSession stores a session with its first refresh token's hash. It
// fills in CreatedAt when zero. Returns auth.ErrNotFound for an unknown
// tenant or user.
func (s *Store) CreateSession(ctx context.Context, sess *auth.Session, refreshHash []byte) error {
	rec, err := newSessionRecord(sess, refreshHash)
	if err != nil {
		return err
	}
	return s.update(ctx, func(txn *badger.Txn) error { return putNewSession(txn, sess.Tenant, rec, refreshHash) })
}

// CreateCodeSession stores a session and marks the authorization request
// whose code it is exchanged for used. The request is in memory: it is
// claimed first, so that of two concurrent exchanges one waits and then
// finds it used, and marked once the session's write is durable. Returns
// auth.ErrCodeUsed when the request already has a session, auth.ErrNotFound
// when it is unknown or expired.
func (s *Store) CreateCodeSession(ctx context.Context, sess *auth.Session, refreshHash []byte, authRequestID string) error {
	rec, err := newSessionRecord(sess, refreshHash)
	if err != nil {
		return err
	}
	release, err := s.pending.claim(ctx, sess.Tenant, authRequestID)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(txn *badger.Txn) error { return putNewSession(txn, sess.Tenant, rec, refreshHash) })
	if err != nil {
		release("")
		return err
	}
	release(sess.ID)
	return nil
}

// newSessionRecord checks a new session and returns its record, filling in
// CreatedAt when zero.
func newSessionRecord(sess *auth.Session, refreshHash []byte) (*sessionRecord, error) {
	switch {
	case !validID(sess.ID):
		return nil, fmt.Errorf("badgerstore: invalid session id %q", sess.ID)
	case !validID(sess.UserID):
		return nil, fmt.Errorf("badgerstore: invalid user id %q", sess.UserID)
	case len(refreshHash) == 0:
		return nil, errors.New("badgerstore: empty refresh token hash")
	case sess.ExpiresAt.IsZero():
		return nil, errors.New("badgerstore: session has no expiry")
	}
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = time.Now().UTC()
	}
	return fromSession(sess), nil
}

// putNewSession writes a new session, its user index and its first refresh
// token in txn.
func putNewSession(txn *badger.Txn, tenant string, rec *sessionRecord, refreshHash []byte) error {
	if err := requireTenant(txn, tenant); err != nil {
		return err
	}
	// Reading the user makes a concurrent DeleteUser conflict, so no
	// session outlives its user.
	if _, err := getUser(txn, tenant, rec.UserID); err != nil {
		return err
	}
	if ok, err := exists(txn, key(tenant, kindSession, rec.ID)); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("badgerstore: session %q exists", rec.ID)
	}
	exp := expiry(rec)
	if err := setJSON(txn, key(tenant, kindSession, rec.ID), rec, exp); err != nil {
		return err
	}
	if err := set(txn, key(tenant, kindUserSession, rec.UserID, rec.ID), nil, exp); err != nil {
		return err
	}
	return addRefresh(txn, tenant, rec, refreshHash, exp)
}

// addRefresh stores a new current refresh token of session r.
func addRefresh(txn *badger.Txn, tenant string, r *sessionRecord, hash []byte, exp time.Time) error {
	k := key(tenant, kindRefresh, string(hash))
	if ok, err := exists(txn, k); err != nil {
		return err
	} else if ok {
		return errors.New("badgerstore: refresh token hash already in use")
	}
	if err := setJSON(txn, k, &refreshRecord{SessionID: r.ID}, exp); err != nil {
		return err
	}
	return set(txn, key(tenant, kindSessionTokens, r.ID, string(hash)), nil, exp)
}

// GetSession returns a session. Returns auth.ErrNotFound.
func (s *Store) GetSession(ctx context.Context, tenant, id string) (*auth.Session, error) {
	var out *auth.Session
	err := s.view(ctx, func(txn *badger.Txn) error {
		rec, err := getSession(txn, tenant, id)
		if err == nil {
			out = rec.session(tenant)
		}
		return err
	})
	return out, err
}

func getSession(txn *badger.Txn, tenant, id string) (*sessionRecord, error) {
	if !validID(tenant) || !validID(id) {
		return nil, auth.ErrNotFound
	}
	var rec sessionRecord
	if err := getJSON(txn, key(tenant, kindSession, id), &rec); err != nil {
		return nil, fmt.Errorf("session %q: %w", id, err)
	}
	return &rec, nil
}

// putSession rewrites a session record, keeping its expiry.
func putSession(txn *badger.Txn, tenant string, r *sessionRecord) error {
	return setJSON(txn, key(tenant, kindSession, r.ID), r, expiry(r))
}

// lookupRefresh returns the refresh record of hash and its session.
func lookupRefresh(txn *badger.Txn, tenant string, hash []byte) (*refreshRecord, *sessionRecord, error) {
	if !validID(tenant) || len(hash) == 0 {
		return nil, nil, auth.ErrNotFound
	}
	var r refreshRecord
	if err := getJSON(txn, key(tenant, kindRefresh, string(hash)), &r); err != nil {
		return nil, nil, fmt.Errorf("refresh token: %w", err)
	}
	sess, err := getSession(txn, tenant, r.SessionID)
	if err != nil {
		return nil, nil, err
	}
	return &r, sess, nil
}

// RotateRefreshToken exchanges the refresh token with hash oldHash for one
// with newHash in one transaction and returns the session. Returns
// auth.ErrNotFound for an unknown token, auth.ErrSessionEnded for a revoked
// or expired session, and auth.ErrRefreshReused for a token already rotated,
// after revoking its session; with ErrRefreshReused it also returns that
// (revoked) session, so the caller can audit which one it was. Of two
// concurrent rotations of one token at most one succeeds; the other is reuse.
func (s *Store) RotateRefreshToken(ctx context.Context, tenant string, oldHash, newHash []byte, now time.Time) (*auth.Session, error) {
	if len(newHash) == 0 {
		return nil, errors.New("badgerstore: empty refresh token hash")
	}
	var (
		out    *auth.Session
		reused bool
	)
	err := s.update(ctx, func(txn *badger.Txn) error {
		reused, out = false, nil
		r, sess, err := lookupRefresh(txn, tenant, oldHash)
		if err != nil {
			return err
		}
		if r.Rotated {
			reused = true
			out = sess.session(tenant)
			if sess.RevokedAt.IsZero() {
				sess.RevokedAt = now.UTC()
				out.RevokedAt = sess.RevokedAt
				return putSession(txn, tenant, sess)
			}
			return nil
		}
		if !sess.session(tenant).Active(now) {
			return auth.ErrSessionEnded
		}
		exp := expiry(sess)
		r.Rotated = true
		if err := setJSON(txn, key(tenant, kindRefresh, string(oldHash)), r, exp); err != nil {
			return err
		}
		if err := addRefresh(txn, tenant, sess, newHash, exp); err != nil {
			return err
		}
		out = sess.session(tenant)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if reused {
		return out, auth.ErrRefreshReused
	}
	return out, nil
}

// RevokeRefreshToken revokes the session of a refresh token. An unknown
// token is not an error.
func (s *Store) RevokeRefreshToken(ctx context.Context, tenant string, hash []byte, now time.Time) error {
	return s.update(ctx, func(txn *badger.Txn) error {
		_, sess, err := lookupRefresh(txn, tenant, hash)
		if errors.Is(err, auth.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return revoke(txn, tenant, sess, now)
	})
}

// revoke marks a session revoked at now unless it already is.
func revoke(txn *badger.Txn, tenant string, sess *sessionRecord, now time.Time) error {
	if !sess.RevokedAt.IsZero() {
		return nil
	}
	sess.RevokedAt = now.UTC()
	return putSession(txn, tenant, sess)
}

// RevokeSession revokes one session. Returns auth.ErrNotFound.
func (s *Store) RevokeSession(ctx context.Context, tenant, id string, now time.Time) error {
	return s.update(ctx, func(txn *badger.Txn) error {
		sess, err := getSession(txn, tenant, id)
		if err != nil {
			return err
		}
		return revoke(txn, tenant, sess, now)
	})
}

// RevokeUserSessions revokes every session of the user except keep (which
// may be empty). Sessions are revoked in batches; each batch is atomic.
func (s *Store) RevokeUserSessions(ctx context.Context, tenant, userID, keep string, now time.Time) error {
	if !validID(tenant) || !validID(userID) {
		return nil
	}
	var ids []string
	p := prefix(tenant, kindUserSession, userID)
	err := s.view(ctx, func(txn *badger.Txn) error {
		return scan(txn, p, nil, false, func(item *badger.Item) (bool, error) {
			if id := string(item.Key()[len(p):]); id != keep {
				ids = append(ids, id)
			}
			return true, nil
		})
	})
	if err != nil {
		return err
	}
	const batch = 256
	for len(ids) > 0 {
		n := min(batch, len(ids))
		err := s.update(ctx, func(txn *badger.Txn) error {
			for _, id := range ids[:n] {
				sess, err := getSession(txn, tenant, id)
				if errors.Is(err, auth.ErrNotFound) {
					continue // deleted or expired meanwhile
				}
				if err != nil {
					return err
				}
				if err := revoke(txn, tenant, sess, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}
