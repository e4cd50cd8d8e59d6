-- A tenant's weak_legacy_passwords setting ('' means "allow"), and the users
-- whose migrated legacy password failed the policy under "flag".

-- +goose Up
ALTER TABLE tenants ADD COLUMN weak_legacy_passwords text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN password_change_required boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE users DROP COLUMN password_change_required;
ALTER TABLE tenants DROP COLUMN weak_legacy_passwords;
