package pgstore

import (
	"context"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/auth"
)

var _ auth.MigrationHistoryStore = (*Store)(nil)

// migrationHour returns the start of the hour holding t, in Unix
// nanoseconds: the key of migration_history.
func migrationHour(t time.Time) int64 { return t.UTC().Truncate(time.Hour).UnixNano() }

// addHour adds to a shard of a tenant's migration hour the rows of rows:
// tenant, hour, shard, users.
func addHour(rows string) string {
	return `INSERT INTO migration_history AS mh (tenant_id, hour, shard, users) ` + rows + `
	ON CONFLICT (tenant_id, hour, shard) DO UPDATE SET users = mh.users + EXCLUDED.users`
}

// MigrationHistory returns the tenant's migrations per hour from the hour
// of since on, oldest first, summed over the shards; hours without
// migrations are left out. Returns auth.ErrNotFound for an unknown tenant.
func (s *Store) MigrationHistory(ctx context.Context, tenant string, since time.Time) ([]auth.MigrationBucket, error) {
	if err := s.requireTenant(ctx, tenant); err != nil {
		return nil, err
	}
	from := int64(math.MinInt64)
	if since.After(minNanos) {
		from = migrationHour(since)
	}
	rows, err := s.pool.Query(ctx, `SELECT hour, sum(users)::bigint FROM migration_history
		WHERE tenant_id = $1 AND hour >= $2 GROUP BY hour ORDER BY hour`, tenant, from)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.MigrationBucket, error) {
		var (
			b    auth.MigrationBucket
			hour int64
		)
		err := r.Scan(&hour, &b.Users)
		b.Start = time.Unix(0, hour).UTC()
		return b, err
	})
	if len(out) == 0 {
		out = nil
	}
	return out, mapErr(err)
}

// AddMigrationHistory adds each bucket's Users to the hour of its Start, in
// one statement. Returns auth.ErrNotFound for an unknown tenant.
func (s *Store) AddMigrationHistory(ctx context.Context, tenant string, buckets []auth.MigrationBucket) error {
	if len(buckets) == 0 {
		return s.requireTenant(ctx, tenant)
	}
	if !validID(tenant) {
		return auth.ErrNotFound
	}
	hours, users := make([]int64, len(buckets)), make([]int64, len(buckets))
	for i, b := range buckets {
		if err := checkTime("a migration hour", b.Start); err != nil {
			return err
		}
		hours[i], users[i] = migrationHour(b.Start), b.Users
	}
	_, err := s.pool.Exec(ctx, addHour(`SELECT $1, h, $2, sum(u)::bigint FROM unnest($3::bigint[], $4::bigint[]) AS x(h, u) GROUP BY h`),
		tenant, shard(), hours, users)
	return mapErr(err)
}
