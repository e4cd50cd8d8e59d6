-- Sample legacy users for the wasmauth examples; valid PostgreSQL, MySQL/MariaDB and
-- SQLite. Their plaintext passwords are in README.md (these are test users).
INSERT INTO users (id, email, username, password_hash, email_verified, name) VALUES
    (1, 'alice@example.com', 'alice', '$2a$10$buMM6L/J/0tkVGpVO9/Dsug6dqJBdjBIvc57z.t1nTiewHsoFMxSy', TRUE, 'Alice Liddell'),
    (2, 'bob@example.com', 'bob', '$argon2id$v=19$m=19456,t=2,p=1$nMdOPCiCfia/kppjtm8Kvw$y1HtVG/DRFG4g8pCbCtg6eTIRKPexi8k6dWDTMaBP08', TRUE, 'Bob Builder'),
    (3, 'carol@example.com', 'carol', '$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0', FALSE, 'Carol Danvers'),
    (4, 'dave@example.com', 'dave', 'sha256$52611b022924d51b$746ee64af04761394c988e32f50020403c2116e46f37635287206f44ae743fd8', TRUE, 'Dave "Dai" Lister'),
    (5, NULL, 'erin', '$2y$10$fGDQ.jVtoM3kkiITCJlXeOfCIf/mkbigRXoBfwi3ERnBUFA53p2h2', FALSE, NULL),
    (6, 'Francois.Dupont@Example.COM', 'fdupont', '$2b$10$PikD3.ALv03tAEo3OAPt9eb0Y1QoLV3JWvjj/4D/r7oB6JVo31goK', TRUE, 'François Dupont'),
    (7, 'ghost@example.com', 'ghost', NULL, FALSE, 'Ghost (no password)'),
    (8, 'mallory@example.com', 'mallory', 'plain:hunter2', FALSE, 'Mallory (unknown hash format)');
