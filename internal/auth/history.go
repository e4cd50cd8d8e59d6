package auth

import (
	"context"
	"time"
)

// MigrationBucket is the number of users migrated in one hour (or, once
// summed, one day) starting at Start.
type MigrationBucket struct {
	Start time.Time
	Users int64
}

// MigrationHistoryStore is kept by stores that count migrations per hour as
// users migrate, so that a chart of the migration never scans users. It is
// separate from Store so that a backend without it still serves everything
// else; the console then shows no chart.
type MigrationHistoryStore interface {
	// MigrationHistory returns the tenant's migrations per hour from the
	// hour of since on, oldest first; hours without migrations are left
	// out. Deleting a user does not take its migration back. Returns
	// ErrNotFound for an unknown tenant.
	MigrationHistory(ctx context.Context, tenant string, since time.Time) ([]MigrationBucket, error)
	// AddMigrationHistory adds each bucket's Users to the hour of its
	// Start, for imports of earlier history. Returns ErrNotFound for an
	// unknown tenant.
	AddMigrationHistory(ctx context.Context, tenant string, buckets []MigrationBucket) error
}

// MigrationHistory returns the tenant's migrations per hour since since,
// and false when the store keeps no history.
func (s *Service) MigrationHistory(ctx context.Context, tenant string, since time.Time) ([]MigrationBucket, bool, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, false, err
	}
	hs, ok := s.store.(MigrationHistoryStore)
	if !ok {
		return nil, false, nil
	}
	b, err := hs.MigrationHistory(ctx, tenant, since)
	return b, true, s.tenantErr(tenant, err)
}
