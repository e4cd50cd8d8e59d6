package badgerstore

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// kindMigratedHour counts a tenant's migrations per hour: the key's parts
// are the hour (sortableTime) and a shard, as for kindStats; the value is
// the count, 8 bytes big-endian.
const kindMigratedHour = "mh"

// hourKey is the key of one shard of the hour holding t.
func hourKey(tenant string, t time.Time, shard int) []byte {
	return key(tenant, kindMigratedHour, string(sortableTime(t.UTC().Truncate(time.Hour))), shardPart(shard))
}

// countMigration adds one to the hour of r's migration when r is a legacy
// user, in the transaction that creates it.
func countMigration(txn *badger.Txn, tenant string, r *userRecord) error {
	if auth.Source(r.Source) != auth.SourceLegacy {
		return nil
	}
	return addHour(txn, tenant, r.MigratedAt, 1)
}

// addHour adds n to one randomly chosen shard of the hour holding t. The
// shard is read in the transaction, so concurrent updates conflict and
// retry: the counts stay exact.
func addHour(txn *badger.Txn, tenant string, t time.Time, n int64) error {
	k := hourKey(tenant, t, rand.N(statsShards))
	var count uint64
	item, err := txn.Get(k)
	switch {
	case err == nil:
		if err := item.Value(func(v []byte) error {
			if len(v) != 8 {
				return errors.New("badgerstore: malformed migration counter")
			}
			count = binary.BigEndian.Uint64(v)
			return nil
		}); err != nil {
			return err
		}
	case !errors.Is(err, badger.ErrKeyNotFound):
		return err
	}
	return txn.Set(k, binary.BigEndian.AppendUint64(nil, count+uint64(n)))
}

// MigrationHistory returns the tenant's migrations per hour from the hour
// of since on, oldest first, summed over the shards; hours without
// migrations are left out. Returns auth.ErrNotFound for an unknown tenant.
func (s *Store) MigrationHistory(ctx context.Context, tenant string, since time.Time) ([]auth.MigrationBucket, error) {
	var out []auth.MigrationBucket
	err := s.view(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, tenant); err != nil {
			return err
		}
		p := prefix(tenant, kindMigratedHour)
		from := hourKey(tenant, since, 0)
		return scan(txn, p, from, true, func(item *badger.Item) (bool, error) {
			k := item.Key()[len(p):]
			if len(k) != 8+len(sep)+1 {
				return false, errors.New("badgerstore: malformed migration counter key")
			}
			start := time.Unix(0, int64(binary.BigEndian.Uint64(k[:8])^(1<<63))).UTC()
			var n int64
			if err := item.Value(func(v []byte) error {
				if len(v) != 8 {
					return errors.New("badgerstore: malformed migration counter")
				}
				n = int64(binary.BigEndian.Uint64(v))
				return nil
			}); err != nil {
				return false, err
			}
			if last := len(out) - 1; last >= 0 && out[last].Start.Equal(start) {
				out[last].Users += n
			} else {
				out = append(out, auth.MigrationBucket{Start: start, Users: n})
			}
			return true, nil
		})
	})
	return out, err
}

// AddMigrationHistory adds each bucket's Users to the hour of its Start, in
// one transaction. Returns auth.ErrNotFound for an unknown tenant.
func (s *Store) AddMigrationHistory(ctx context.Context, tenant string, buckets []auth.MigrationBucket) error {
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, tenant); err != nil {
			return err
		}
		for _, b := range buckets {
			if err := addHour(txn, tenant, b.Start, b.Users); err != nil {
				return err
			}
		}
		return nil
	})
}
