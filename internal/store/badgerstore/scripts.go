package badgerstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// moduleChunk is the size of the pieces a module is stored in. In-memory
// Badger keeps every value in the LSM tree and handles only values under its
// value threshold (1 MiB; a value of exactly 1 MiB passes its check and then
// panics the writer); on disk, pieces of 64 KiB or more go to the value log.
const moduleChunk = 512 << 10

// moduleChunkKey is the key of chunk i of a module version.
func moduleChunkKey(tenant, vp string, i int) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(i))
	return key(tenant, kindScriptModule, vp+string(b[:]))
}

// AddScript stores a module and its metadata as the tenant's next version and
// sets s.Version, s.Tenant, and s.Size, s.SHA256 and s.UploadedAt when unset.
// With activate it also becomes the active script in the same transaction.
// Returns auth.ErrNotFound for an unknown tenant, and auth.ErrQuotaExceeded
// when the tenant's versions, this one included, would be over q.
func (s *Store) AddScript(ctx context.Context, sc *auth.Script, module []byte, activate bool, q auth.ScriptQuota) error {
	if len(module) > MaxModuleSize {
		return fmt.Errorf("badgerstore: module of %d bytes is over the %d byte limit", len(module), MaxModuleSize)
	}
	if sc.Size == 0 {
		sc.Size = len(module)
	}
	if sc.SHA256 == "" {
		sum := sha256.Sum256(module)
		sc.SHA256 = hex.EncodeToString(sum[:])
	}
	if sc.UploadedAt.IsZero() {
		sc.UploadedAt = time.Now().UTC()
	}
	tenant := sc.Tenant
	var version int
	err := s.update(ctx, func(txn *badger.Txn) error {
		t, err := getTenant(txn, tenant)
		if err != nil {
			return err
		}
		// The version counter is read and written in the transaction, so
		// two concurrent uploads conflict and one retries with the next
		// number; scanning for the highest version would not conflict.
		last, err := lastScriptVersion(txn, tenant)
		if err != nil {
			return err
		}
		if err := checkQuota(txn, tenant, len(module), q); err != nil {
			return err
		}
		version = last + 1
		vp := versionPart(version)
		if err := set(txn, key(tenant, kindScriptSeq), []byte(vp), time.Time{}); err != nil {
			return err
		}
		rec := &scriptRecord{
			Version:    version,
			SHA256:     sc.SHA256,
			Size:       sc.Size,
			Exports:    sc.Exports,
			UploadedAt: sc.UploadedAt.UTC(),
		}
		if err := setJSON(txn, key(tenant, kindScriptMeta, vp), rec, time.Time{}); err != nil {
			return err
		}
		for i := 0; i*moduleChunk < len(module); i++ {
			chunk := module[i*moduleChunk : min((i+1)*moduleChunk, len(module))]
			if err := set(txn, moduleChunkKey(tenant, vp, i), chunk, time.Time{}); err != nil {
				return err
			}
		}
		if activate {
			t.ActiveScript = version
			return setJSON(txn, tenantKey(tenant), fromTenant(t), time.Time{})
		}
		return nil
	})
	if err != nil {
		return err
	}
	sc.Version = version
	return nil
}

// ListScripts returns the tenant's script versions, oldest first. Returns
// auth.ErrNotFound for an unknown tenant.
func (s *Store) ListScripts(ctx context.Context, tenant string) ([]*auth.Script, error) {
	var out []*auth.Script
	err := s.view(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, tenant); err != nil {
			return err
		}
		return scan(txn, prefix(tenant, kindScriptMeta), nil, true, func(item *badger.Item) (bool, error) {
			var rec scriptRecord
			if err := item.Value(func(b []byte) error { return decode(b, &rec) }); err != nil {
				return false, err
			}
			out = append(out, rec.script(tenant))
			return true, nil
		})
	})
	return out, err
}

// GetScript returns one version's metadata and module. Returns
// auth.ErrNotFound.
func (s *Store) GetScript(ctx context.Context, tenant string, version int) (*auth.Script, []byte, error) {
	if version <= 0 || !validID(tenant) {
		return nil, nil, auth.ErrNotFound
	}
	var (
		sc     *auth.Script
		module []byte
	)
	err := s.view(ctx, func(txn *badger.Txn) error {
		vp := versionPart(version)
		var rec scriptRecord
		if err := getJSON(txn, key(tenant, kindScriptMeta, vp), &rec); err != nil {
			return fmt.Errorf("script %d of tenant %q: %w", version, tenant, err)
		}
		module = make([]byte, 0, rec.Size)
		err := scan(txn, key(tenant, kindScriptModule, vp), nil, true, func(item *badger.Item) (bool, error) {
			return true, item.Value(func(b []byte) error {
				module = append(module, b...)
				return nil
			})
		})
		if err != nil {
			return fmt.Errorf("badgerstore: module %d of tenant %q: %w", version, tenant, err)
		}
		sc = rec.script(tenant)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return sc, module, nil
}

// lastScriptVersion reads the tenant's script version counter: the last
// version given out, 0 before the first.
func lastScriptVersion(txn *badger.Txn, tenant string) (int, error) {
	v, err := getString(txn, key(tenant, kindScriptSeq))
	if errors.Is(err, auth.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 4 {
		return 0, fmt.Errorf("badgerstore: corrupt script counter of tenant %q", tenant)
	}
	return int(binary.BigEndian.Uint32([]byte(v))), nil
}
