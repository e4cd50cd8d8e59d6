package badgerstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// rateLimitPrefix is the prefix of the rate limiter's keys: "R␀{key}",
// valued with Until in Unix nanoseconds (8 bytes, big-endian). They live
// outside every tenant's prefix: the limiter's keys name the tenant
// themselves, and those of a deleted tenant expire within a window.
var rateLimitPrefix = []byte("R" + sep)

// maxRateLimitKey bounds a stored limiter key; longer ones are not kept.
const maxRateLimitKey = 4096

// SaveRateLimits writes the states in one write batch (one transaction and
// one disk sync per batch Badger can hold). Each stored state expires at
// its Until; a zero or past Until deletes the key.
func (s *Store) SaveRateLimits(ctx context.Context, states []auth.RateLimitState) error {
	done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	now := time.Now()
	wb := s.db.NewWriteBatch()
	for _, st := range states {
		if len(st.Key) == 0 || len(st.Key) > maxRateLimitKey {
			continue
		}
		k := append(append([]byte{}, rateLimitPrefix...), st.Key...)
		if !st.Until.After(now) {
			err = wb.Delete(k)
		} else {
			err = wb.SetEntry(rateLimitEntry(k, st.Until))
		}
		if err != nil {
			wb.Cancel()
			return fmt.Errorf("badgerstore: saving rate limits: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("badgerstore: saving rate limits: %w", err)
	}
	return nil
}

// LoadRateLimits returns the stored states whose Until is after now.
func (s *Store) LoadRateLimits(ctx context.Context, now time.Time) ([]auth.RateLimitState, error) {
	var out []auth.RateLimitState
	err := s.view(ctx, func(txn *badger.Txn) error {
		return scan(txn, rateLimitPrefix, nil, true, func(item *badger.Item) (bool, error) {
			return true, item.Value(func(v []byte) error {
				if len(v) != 8 {
					return nil // not a state this code wrote: skip it rather than fail the start
				}
				until := time.Unix(0, int64(binary.BigEndian.Uint64(v)))
				if until.After(now) {
					out = append(out, auth.RateLimitState{Key: string(item.Key()[len(rateLimitPrefix):]), Until: until})
				}
				return nil
			})
		})
	})
	return out, err
}

// rateLimitEntry is the entry of a rate limiter state, expiring at until.
func rateLimitEntry(k []byte, until time.Time) *badger.Entry {
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(until.UnixNano()))
	e := badger.NewEntry(k, v[:])
	e.ExpiresAt = uint64(until.Unix()) + 1
	return e
}
