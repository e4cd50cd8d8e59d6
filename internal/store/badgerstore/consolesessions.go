package badgerstore

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// consoleSessionKey is the key of a console session: "K␀{id hash, hex}",
// outside every tenant (an operator's session has none). Badger drops it at
// its expiry (TTL).
func consoleSessionKey(idHash []byte) []byte {
	return []byte("K" + sep + hex.EncodeToString(idHash))
}

// consoleSessionRecord is the stored form of an auth.ConsoleSession.
type consoleSessionRecord struct {
	Operator  bool      `json:"operator,omitempty"`
	Tenant    string    `json:"tenant,omitempty"`
	KeyHash   []byte    `json:"key_hash"`
	CSRF      string    `json:"csrf"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CreateConsoleSession stores s until its ExpiresAt.
func (s *Store) CreateConsoleSession(ctx context.Context, cs *auth.ConsoleSession) error {
	rec := &consoleSessionRecord{
		Operator: cs.Principal.Operator, Tenant: cs.Principal.Tenant, KeyHash: cs.KeyHash, CSRF: cs.CSRF,
		CreatedAt: cs.CreatedAt.UTC(), ExpiresAt: cs.ExpiresAt.UTC(),
	}
	return s.update(ctx, func(txn *badger.Txn) error {
		return setJSON(txn, consoleSessionKey(cs.IDHash), rec, rec.ExpiresAt)
	})
}

// GetConsoleSession returns the session with idHash unless it expired at
// now. Returns auth.ErrNotFound.
func (s *Store) GetConsoleSession(ctx context.Context, idHash []byte, now time.Time) (*auth.ConsoleSession, error) {
	var rec consoleSessionRecord
	err := s.view(ctx, func(txn *badger.Txn) error {
		return getJSON(txn, consoleSessionKey(idHash), &rec)
	})
	if err != nil {
		return nil, err
	}
	if !now.Before(rec.ExpiresAt) {
		return nil, auth.ErrNotFound
	}
	return &auth.ConsoleSession{
		IDHash: append([]byte(nil), idHash...), Principal: auth.Principal{Operator: rec.Operator, Tenant: rec.Tenant},
		KeyHash: rec.KeyHash, CSRF: rec.CSRF, CreatedAt: rec.CreatedAt, ExpiresAt: rec.ExpiresAt,
	}, nil
}

// ExtendConsoleSession sets the session's expiry. Returns auth.ErrNotFound
// when it is gone.
func (s *Store) ExtendConsoleSession(ctx context.Context, idHash []byte, expiresAt time.Time) error {
	k := consoleSessionKey(idHash)
	return s.update(ctx, func(txn *badger.Txn) error {
		var rec consoleSessionRecord
		if err := getJSON(txn, k, &rec); err != nil {
			return err
		}
		rec.ExpiresAt = expiresAt.UTC()
		return setJSON(txn, k, &rec, rec.ExpiresAt)
	})
}

// DeleteConsoleSession removes the session; absent is not an error.
func (s *Store) DeleteConsoleSession(ctx context.Context, idHash []byte) error {
	err := s.update(ctx, func(txn *badger.Txn) error {
		return txn.Delete(consoleSessionKey(idHash))
	})
	if errors.Is(err, auth.ErrNotFound) {
		return nil
	}
	return err
}
