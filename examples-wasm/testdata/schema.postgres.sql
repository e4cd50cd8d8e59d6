-- The legacy users table of the wasmauth examples, PostgreSQL dialect.
CREATE TABLE users (
    id             BIGINT PRIMARY KEY,
    email          TEXT UNIQUE,
    username       TEXT UNIQUE,
    password_hash  TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    name           TEXT
);
