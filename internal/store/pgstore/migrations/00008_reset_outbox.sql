-- Password reset tokens (only their SHA-256; one per subject, a local user
-- or a legacy id) and the outbox of mails not yet sent.

-- +goose Up
CREATE TABLE reset_tokens (
    tenant_id  text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL,
    subject    text COLLATE "C" NOT NULL,
    expires_at bigint NOT NULL,
    token      jsonb NOT NULL,
    PRIMARY KEY (tenant_id, token_hash),
    UNIQUE (tenant_id, subject)
);

CREATE TABLE outbox (
    id           text COLLATE "C" PRIMARY KEY,
    tenant_id    text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    next_attempt bigint NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text NOT NULL DEFAULT '',
    mail         jsonb NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt, id);

-- +goose Down
DROP TABLE outbox;
DROP TABLE reset_tokens;
