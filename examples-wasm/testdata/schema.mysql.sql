-- The legacy users table of the wasmauth examples, MySQL/MariaDB dialect.
CREATE TABLE users (
    id             BIGINT PRIMARY KEY,
    email          VARCHAR(255) UNIQUE,
    username       VARCHAR(255) UNIQUE,
    password_hash  VARCHAR(255),
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    name           VARCHAR(255)
) DEFAULT CHARSET = utf8mb4;
