package badgerstore

import (
	"context"
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// DeleteAuditBefore removes every tenant's audit events whose Time is before
// t and returns how many it removed.
func (s *Store) DeleteAuditBefore(ctx context.Context, t time.Time) (int, error) {
	return s.deleteBefore(ctx, kindAudit, t)
}

// DeleteLogsBefore removes every tenant's log lines whose Time is before t
// and returns how many it removed.
func (s *Store) DeleteLogsBefore(ctx context.Context, t time.Time) (int, error) {
	return s.deleteBefore(ctx, kindLog, t)
}

// deleteBefore removes the records of kind (keyed newest first by time) older
// than t, for every tenant. Keys sort newest first, so the old records of a
// tenant are one range at the end of its prefix: the scan seeks to the first
// key older than t and reads no newer one. It deletes in batches of
// maxLogBatch keys, one transaction each.
func (s *Store) deleteBefore(ctx context.Context, kind string, t time.Time) (int, error) {
	tenants, err := s.ListTenants(ctx)
	if err != nil {
		return 0, err
	}
	// A record at t-1ns sorts first among those older than t, whatever
	// follows its time in the key.
	oldest := newestFirstTime(t.Add(-time.Nanosecond))
	total := 0
	for _, tn := range tenants {
		p := prefix(tn.ID, kind)
		from := append(append([]byte{}, p...), oldest...)
		for {
			var batch [][]byte
			err := s.view(ctx, func(txn *badger.Txn) error {
				return scan(txn, p, from, false, func(item *badger.Item) (bool, error) {
					batch = append(batch, item.KeyCopy(nil))
					return len(batch) < maxLogBatch, nil
				})
			})
			if err != nil {
				return total, err
			}
			if len(batch) == 0 {
				break
			}
			err = s.update(ctx, func(txn *badger.Txn) error {
				// A tenant deleted meanwhile has no keys left to delete.
				if err := requireTenant(txn, tn.ID); err != nil {
					return err
				}
				for _, k := range batch {
					if err := txn.Delete(k); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				if errors.Is(err, auth.ErrNotFound) {
					break
				}
				return total, err
			}
			total += len(batch)
		}
	}
	return total, nil
}
