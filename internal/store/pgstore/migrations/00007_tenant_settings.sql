-- A tenant's adjustable policies (the browser session lifetime), a jsonb
-- record whose json names are the stored format; NULL means the defaults.

-- +goose Up
ALTER TABLE tenants ADD COLUMN settings jsonb;

-- +goose Down
ALTER TABLE tenants DROP COLUMN settings;
