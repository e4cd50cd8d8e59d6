package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// tenantChannel is the channel a change of a tenant's record is announced
// on, with the tenant id as payload, so that every node can drop what it
// keeps of the tenant.
const tenantChannel = "wasmauth_tenant"

// notify announces a change of tenant's record.
func (s *Store) notify(ctx context.Context, tenant string) error {
	_, err := s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", tenantChannel, tenant)
	return mapErr(err)
}

// notifyTx announces a change of tenant's record when tx commits.
func (s *Store) notifyTx(ctx context.Context, tx pgx.Tx, tenant string) error {
	_, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", tenantChannel, tenant)
	return err
}
