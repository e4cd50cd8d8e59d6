package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/dgraph-io/badger/v4"
)

// maxPendingRestoreWrites bounds the batches Restore keeps in flight.
const maxPendingRestoreWrites = 16

// Backup writes a consistent snapshot of the whole store to w in Badger's
// backup format (protobuf-framed key-value lists). Expired and deleted
// records are left out.
func (s *Store) Backup(ctx context.Context, w io.Writer) error {
	done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	if _, err := s.db.Backup(ctxWriter{ctx, w}, 0); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("badgerstore: backup: %w", err)
	}
	return nil
}

// Restore loads a backup made by Backup into this store, which must be empty
// and must not be in use by other calls until Restore returns.
func (s *Store) Restore(ctx context.Context, r io.Reader) error {
	done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	empty := true
	err = s.db.View(func(txn *badger.Txn) error {
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
		return errors.New("badgerstore: restore needs an empty store")
	}
	if err := s.db.Load(ctxReader{ctx, r}, maxPendingRestoreWrites); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("badgerstore: restore: %w", err)
	}
	return nil
}

// ctxWriter stops a backup when its context ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// ctxReader stops a restore when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
