-- Imported users (a drain or an import stored them, and they have not
-- logged in yet) keep their legacy password hash; tenant_stats counts them;
-- drains holds each tenant's drain job, a jsonb record (its json names are
-- the stored format) committed with the page of users it describes.

-- +goose Up
ALTER TABLE users
    ADD COLUMN imported    boolean NOT NULL DEFAULT false,
    ADD COLUMN legacy_hash text NOT NULL DEFAULT '';
ALTER TABLE tenant_stats ADD COLUMN users_imported bigint NOT NULL DEFAULT 0;

CREATE TABLE drains (
    tenant_id text COLLATE "C" PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    job       jsonb NOT NULL
);

-- +goose Down
DROP TABLE drains;
ALTER TABLE tenant_stats DROP COLUMN users_imported;
ALTER TABLE users DROP COLUMN imported, DROP COLUMN legacy_hash;
