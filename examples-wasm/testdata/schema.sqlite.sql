-- The legacy users table of the wasmauth examples, SQLite dialect.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT UNIQUE,
    username       TEXT UNIQUE,
    password_hash  TEXT,
    email_verified INTEGER NOT NULL DEFAULT 0,
    name           TEXT
);
