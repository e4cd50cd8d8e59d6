package badgerstore

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// checkQuota refuses a module of size bytes that would take the tenant's
// stored versions over q. It reads every metadata key of the tenant in txn,
// so a concurrent AddScript or DeleteScript makes one of the two retry (both
// also write the version counter or a metadata key the other read).
func checkQuota(txn *badger.Txn, tenant string, size int, q auth.ScriptQuota) error {
	if q.Versions <= 0 && q.Bytes <= 0 {
		return nil
	}
	versions, bytes := 1, int64(size)
	err := scan(txn, prefix(tenant, kindScriptMeta), nil, true, func(item *badger.Item) (bool, error) {
		var rec scriptRecord
		if err := item.Value(func(b []byte) error { return decode(b, &rec) }); err != nil {
			return false, err
		}
		versions++
		bytes += int64(rec.Size)
		return true, nil
	})
	if err != nil {
		return err
	}
	if q.Versions > 0 && versions > q.Versions {
		return fmt.Errorf("tenant %q would hold %d module versions, the quota is %d: %w", tenant, versions, q.Versions, auth.ErrQuotaExceeded)
	}
	if q.Bytes > 0 && bytes > q.Bytes {
		return fmt.Errorf("tenant %q would hold %d bytes of modules, the quota is %d: %w", tenant, bytes, q.Bytes, auth.ErrQuotaExceeded)
	}
	return nil
}

// DeleteScript removes one version's metadata and module. The version
// counter stays, so the number is not given out again. Returns
// auth.ErrNotFound for an unknown tenant or version, and auth.ErrScriptActive
// for the active version: the transaction reads the tenant record, so it
// conflicts with an UpdateTenant that activates the version meanwhile.
func (s *Store) DeleteScript(ctx context.Context, tenant string, version int) error {
	if version <= 0 || !validID(tenant) {
		return auth.ErrNotFound
	}
	vp := versionPart(version)
	return s.update(ctx, func(txn *badger.Txn) error {
		t, err := getTenant(txn, tenant)
		if err != nil {
			return err
		}
		if err := requireScript(txn, tenant, version); err != nil {
			return err
		}
		if t.ActiveScript == version {
			return fmt.Errorf("script %d of tenant %q: %w", version, tenant, auth.ErrScriptActive)
		}
		if err := txn.Delete(key(tenant, kindScriptMeta, vp)); err != nil {
			return err
		}
		var chunks [][]byte
		err = scan(txn, key(tenant, kindScriptModule, vp), nil, false, func(item *badger.Item) (bool, error) {
			chunks = append(chunks, item.KeyCopy(nil))
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, k := range chunks {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// requireScript returns auth.ErrNotFound unless the tenant stores version.
// Reading the key in txn makes the transaction conflict with a concurrent
// DeleteScript of it.
func requireScript(txn *badger.Txn, tenant string, version int) error {
	ok, err := exists(txn, key(tenant, kindScriptMeta, versionPart(version)))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("script %d of tenant %q: %w", version, tenant, auth.ErrNotFound)
	}
	return nil
}
