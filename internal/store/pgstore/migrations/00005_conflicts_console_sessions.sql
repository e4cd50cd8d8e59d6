-- tenant_stats counts the legacy logins refused with migration_conflict;
-- console_sessions holds the web console's sessions, so that a session
-- signed in on one node works on every node. A session is found by the
-- SHA-256 of its cookie value, never by the value itself.

-- +goose Up
ALTER TABLE tenant_stats ADD COLUMN legacy_conflicts bigint NOT NULL DEFAULT 0;

CREATE TABLE console_sessions (
    id_hash    bytea PRIMARY KEY,
    operator   boolean NOT NULL,
    tenant_id  text COLLATE "C" NOT NULL,
    key_hash   bytea NOT NULL,
    csrf       text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

-- +goose Down
DROP TABLE console_sessions;
ALTER TABLE tenant_stats DROP COLUMN legacy_conflicts;
