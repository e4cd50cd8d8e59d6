package badgerstore

import (
	"context"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// CreateTenant stores a new tenant. Returns auth.ErrTenantExists if the id is
// taken.
func (s *Store) CreateTenant(ctx context.Context, t *auth.Tenant) error {
	if !validID(t.ID) {
		return fmt.Errorf("badgerstore: invalid tenant id %q", t.ID)
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now().UTC()
	}
	rec := fromTenant(t)
	return s.update(ctx, func(txn *badger.Txn) error {
		ok, err := exists(txn, tenantKey(t.ID))
		if err != nil {
			return err
		}
		if ok {
			return fmt.Errorf("tenant %q: %w", t.ID, auth.ErrTenantExists)
		}
		return setJSON(txn, tenantKey(t.ID), rec, time.Time{})
	})
}

// GetTenant returns a tenant. Returns auth.ErrNotFound.
func (s *Store) GetTenant(ctx context.Context, id string) (*auth.Tenant, error) {
	var t *auth.Tenant
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		t, err = getTenant(txn, id)
		return err
	})
	return t, err
}

func getTenant(txn *badger.Txn, id string) (*auth.Tenant, error) {
	if !validID(id) {
		return nil, auth.ErrNotFound
	}
	var rec tenantRecord
	if err := getJSON(txn, tenantKey(id), &rec); err != nil {
		return nil, fmt.Errorf("tenant %q: %w", id, err)
	}
	return rec.tenant(), nil
}

// ListTenants returns every tenant ordered by id.
func (s *Store) ListTenants(ctx context.Context) ([]*auth.Tenant, error) {
	var out []*auth.Tenant
	err := s.view(ctx, func(txn *badger.Txn) error {
		return scan(txn, tenantRecordPrefix, nil, true, func(item *badger.Item) (bool, error) {
			var rec tenantRecord
			if err := item.Value(func(b []byte) error { return decode(b, &rec) }); err != nil {
				return false, err
			}
			out = append(out, rec.tenant())
			return true, ctx.Err()
		})
	})
	return out, err
}

// UpdateTenant applies fn to the stored tenant atomically and returns the
// result. fn may run more than once; its error aborts the update and is
// returned as is. Returns auth.ErrNotFound for an unknown tenant, and when fn
// sets ActiveScript to a version that is not stored.
func (s *Store) UpdateTenant(ctx context.Context, id string, fn func(*auth.Tenant) error) (*auth.Tenant, error) {
	var out *auth.Tenant
	err := s.update(ctx, func(txn *badger.Txn) error {
		t, err := getTenant(txn, id)
		if err != nil {
			return err
		}
		active := t.ActiveScript
		if err := fn(t); err != nil {
			return err
		}
		if t.ID != id {
			return fmt.Errorf("badgerstore: tenant id cannot change (%q to %q)", id, t.ID)
		}
		if t.ActiveScript != active && t.ActiveScript != 0 {
			if err := requireScript(txn, id, t.ActiveScript); err != nil {
				return err
			}
		}
		out = t
		return setJSON(txn, tenantKey(id), fromTenant(t), time.Time{})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteTenant removes the tenant and all its records. Returns
// auth.ErrNotFound. Other calls wait while the tenant's keys are dropped.
func (s *Store) DeleteTenant(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	err := s.updateLocked(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, id); err != nil {
			return err
		}
		return txn.Delete(tenantKey(id))
	})
	if err != nil {
		return err
	}
	// The tenant record is gone, so no new write can land under the prefix
	// (each checks the tenant), and none is running: we hold s.mu.
	if err := s.db.DropPrefix(tenantPrefix(id)); err != nil {
		return fmt.Errorf("badgerstore: drop tenant %q: %w", id, err)
	}
	if err := s.deleteTenantMailLocked(ctx, id); err != nil {
		return fmt.Errorf("badgerstore: drop tenant %q's mail: %w", id, err)
	}
	s.pending.dropTenant(id)
	s.logMu.Lock()
	delete(s.logAppended, id)
	s.logMu.Unlock()
	return nil
}
