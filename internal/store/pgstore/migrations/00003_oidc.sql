-- The OpenID Provider: a tenant's page branding, the client a session was
-- issued to, the tenants' clients, pending authorization requests and
-- browser sessions. Clients and requests are jsonb records (their json
-- names are the stored format) beside the columns they are found by.

-- +goose Up
ALTER TABLE tenants ADD COLUMN branding jsonb;
ALTER TABLE sessions
    ADD COLUMN client_id text NOT NULL DEFAULT '',
    ADD COLUMN scopes    text[],
    ADD COLUMN auth_time bigint;

CREATE TABLE clients (
    tenant_id  text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         text COLLATE "C" NOT NULL,
    created_at bigint,
    client     jsonb NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX clients_order ON clients (tenant_id, created_at, id);

-- auth_requests are dropped once expires_at passes (by the sweep; reads
-- treat an expired one as gone).
CREATE TABLE auth_requests (
    tenant_id  text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         text COLLATE "C" NOT NULL,
    code_hash  bytea,
    expires_at bigint NOT NULL,
    request    jsonb NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT auth_requests_code_key UNIQUE (tenant_id, code_hash)
);
CREATE INDEX auth_requests_expiry ON auth_requests (expires_at);

CREATE TABLE browser_sessions (
    tenant_id  text COLLATE "C" NOT NULL,
    id_hash    bytea NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    auth_time  bigint,
    created_at bigint,
    expires_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX browser_sessions_expiry ON browser_sessions (expires_at);

-- +goose Down
DROP TABLE browser_sessions, auth_requests, clients;
ALTER TABLE sessions DROP COLUMN client_id, DROP COLUMN scopes, DROP COLUMN auth_time;
ALTER TABLE tenants DROP COLUMN branding;
