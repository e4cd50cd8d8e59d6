-- Times become bigint Unix nanoseconds, as badgerstore and the backup
-- format keep them: timestamptz holds microseconds, so a backup of another
-- store restored here would not export the same times. The zero time (an
-- unset time) is NULL, so the columns that a backup may leave unset are
-- nullable. login_timing holds each tenant's login-time calibration, and
-- tenant_stats counts the legacy rejections for an inactive or locked
-- account apart, and migration_history counts migrations per hour.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION pg_temp.ns(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT round(extract(epoch FROM t) * 1000000)::bigint * 1000
$$;
-- +goose StatementEnd
ALTER TABLE tenants
    ALTER COLUMN created_at DROP NOT NULL,
    ALTER COLUMN created_at TYPE bigint USING pg_temp.ns(created_at);
ALTER TABLE scripts
    ALTER COLUMN uploaded_at DROP NOT NULL,
    ALTER COLUMN uploaded_at TYPE bigint USING pg_temp.ns(uploaded_at);
ALTER TABLE users
    ALTER COLUMN created_at DROP NOT NULL,
    ALTER COLUMN created_at TYPE bigint USING pg_temp.ns(created_at),
    ALTER COLUMN updated_at TYPE bigint USING pg_temp.ns(updated_at),
    ALTER COLUMN migrated_at TYPE bigint USING pg_temp.ns(migrated_at);
ALTER TABLE tenant_stats
    ALTER COLUMN last_migrated_at TYPE bigint USING pg_temp.ns(last_migrated_at);
ALTER TABLE sessions
    ALTER COLUMN created_at DROP NOT NULL,
    ALTER COLUMN created_at TYPE bigint USING pg_temp.ns(created_at),
    ALTER COLUMN expires_at TYPE bigint USING pg_temp.ns(expires_at),
    ALTER COLUMN revoked_at TYPE bigint USING pg_temp.ns(revoked_at);
ALTER TABLE audit
    ALTER COLUMN time TYPE bigint USING pg_temp.ns(time);
ALTER TABLE script_logs
    ALTER COLUMN time TYPE bigint USING pg_temp.ns(time);

ALTER TABLE tenant_stats
    ADD COLUMN legacy_inactive bigint NOT NULL DEFAULT 0,
    ADD COLUMN legacy_locked   bigint NOT NULL DEFAULT 0;

CREATE TABLE login_timing (
    tenant_id text COLLATE "C" PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    timing    jsonb NOT NULL
);

-- migration_history holds a tenant's migrations per hour (Unix nanoseconds
-- of the hour's start) in 8 shards, summed on read, like tenant_stats.
CREATE TABLE migration_history (
    tenant_id text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    hour      bigint NOT NULL,
    shard     smallint NOT NULL,
    users     bigint NOT NULL,
    PRIMARY KEY (tenant_id, hour, shard)
);

-- +goose Down
DROP TABLE login_timing, migration_history;
ALTER TABLE tenant_stats DROP COLUMN legacy_inactive, DROP COLUMN legacy_locked;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION pg_temp.tstz(n bigint) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
    SELECT to_timestamp(n / 1000 / 1e6)
$$;
-- +goose StatementEnd
ALTER TABLE tenants ALTER COLUMN created_at TYPE timestamptz USING coalesce(pg_temp.tstz(created_at), 'epoch');
ALTER TABLE tenants ALTER COLUMN created_at SET NOT NULL;
ALTER TABLE scripts ALTER COLUMN uploaded_at TYPE timestamptz USING coalesce(pg_temp.tstz(uploaded_at), 'epoch');
ALTER TABLE scripts ALTER COLUMN uploaded_at SET NOT NULL;
ALTER TABLE users
    ALTER COLUMN created_at TYPE timestamptz USING coalesce(pg_temp.tstz(created_at), 'epoch'),
    ALTER COLUMN updated_at TYPE timestamptz USING pg_temp.tstz(updated_at),
    ALTER COLUMN migrated_at TYPE timestamptz USING pg_temp.tstz(migrated_at);
ALTER TABLE users ALTER COLUMN created_at SET NOT NULL;
ALTER TABLE tenant_stats
    ALTER COLUMN last_migrated_at TYPE timestamptz USING pg_temp.tstz(last_migrated_at);
ALTER TABLE sessions
    ALTER COLUMN created_at TYPE timestamptz USING coalesce(pg_temp.tstz(created_at), 'epoch'),
    ALTER COLUMN expires_at TYPE timestamptz USING pg_temp.tstz(expires_at),
    ALTER COLUMN revoked_at TYPE timestamptz USING pg_temp.tstz(revoked_at);
ALTER TABLE sessions ALTER COLUMN created_at SET NOT NULL;
ALTER TABLE audit ALTER COLUMN time TYPE timestamptz USING pg_temp.tstz(time);
ALTER TABLE script_logs ALTER COLUMN time TYPE timestamptz USING pg_temp.tstz(time);
