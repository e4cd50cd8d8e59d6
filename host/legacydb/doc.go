// Package legacydb gives a tenant's WebAssembly module controlled, read-only access to the
// tenant's legacy user database: the connection behind the ABI's db_query host function.
//
// Open validates a tenant's connection settings, opens a small database/sql pool of its own
// (PostgreSQL through pgx, MySQL and MariaDB through go-sql-driver/mysql, SQLite through the
// pure-Go modernc.org/sqlite) and pings it. Errors from Open are *ConnectError values whose
// messages never contain the DSN's password. DB.Query runs one guest request,
// {"sql": "...", "args": [...]}, and returns the response JSON the guest reads:
//
//	{"columns": ["id", "email"], "rows": [[1, "a@example.com"]]}
//	{"columns": [...], "rows": [... 100 rows ...], "truncated": true}
//	{"error": "the driver's message"}
//
// # Read-only, and nothing but the tenant's database
//
// Every request runs as one statement inside a read-only transaction that is always rolled
// back, with the caller's deadline. On top of that, several layers keep a script from
// writing, or from reaching anything beyond its own database:
//
//   - A statement must start with SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN, DESCRIBE,
//     DESC or "(" (after comments); MySQL executable comments (/*! ... */) at the start are
//     refused. MariaDB runs DDL such as CREATE TABLE and DROP TABLE even inside a READ ONLY
//     transaction (the implicit commit ends it), so this check is what stops DDL there.
//   - One statement per request: pgx always uses the extended protocol (a simple-protocol
//     exec mode in the DSN is replaced) and MySQL's multiStatements is forced off. SQLite
//     runs every ';'-separated statement (the response holds the last one's rows), each
//     checked by the authorizer below.
//   - MySQL: requests naming LOAD_FILE, INFILE, OUTFILE or DUMPFILE are refused before they
//     reach the server (a READ ONLY transaction does not stop them, and LOAD_FILE works for
//     any user with the FILE privilege). LOAD DATA LOCAL is off (allowAllFiles is forced
//     false).
//   - The role is the boundary: a connection whose role can reach the database server's
//     files or programs is refused, on every new pooled connection (so at Open too). In
//     PostgreSQL, a session user that is a superuser or a member (directly or not) of a
//     superuser role, pg_read_server_files, pg_write_server_files or
//     pg_execute_server_program; in MySQL and MariaDB, an account whose SHOW GRANTS (with
//     the roles enabled at login) holds SUPER, FILE or ALL PRIVILEGES on *.*.
//   - PostgreSQL: requests naming the server-file functions (pg_read_file,
//     pg_read_binary_file, pg_stat_file, pg_ls_*, pg_file_*, lo_import, lo_export) or dblink
//     are refused; the read-only transaction stops every write, COPY and DO are not allowed
//     first keywords. This word list is a seat belt, not the boundary: a quoted Unicode
//     identifier or a query built in a string (query_to_xml) gets past it, and only the
//     role's lack of privilege then stops the call.
//   - PostgreSQL DSN keys are limited to connection basics (no passfile, service,
//     servicefile, sslcert, sslkey, sslpassword; sslrootcert only as "system"), a password
//     not given in the DSN is not taken from PGPASSWORD or ~/.pgpass, and client
//     certificates found in the server's home are not presented.
//   - SQLite: the DSN must name an existing regular file inside SQLiteRoot/<tenant>/ after
//     symlinks are resolved; URIs and query parameters are refused. The file is opened as a
//     SQLite URI with mode=ro, query_only, trusted_schema=OFF and defensive mode, and each
//     connection gets an authorizer that allows only reading (SELECT, reads, recursive CTEs,
//     transactions, savepoints) and denies everything else, including ATTACH, DETACH,
//     PRAGMA, every write and DDL, and the functions load_extension, readfile, writefile,
//     edit and fts3_tokenizer (VACUUM INTO is stopped too: it needs an ATTACH). Extension
//     loading is also off by SQLite's default, and the driver offers no file functions.
//   - Networks: postgres and mysql connections are TCP only, and reach only addresses in
//     Config.Networks or, when it is empty, any address but loopback, link-local (cloud
//     metadata at 169.254.169.254), unspecified and multicast ones. The check runs in the
//     dialer, on the address each socket is about to connect to after name resolution
//     (IPv4-mapped addresses unmapped), before connect(2), for every new pooled connection:
//     a hostname that resolves, or later re-resolves, to 127.0.0.1 or 169.254.169.254 is
//     refused as the literal address would be. Unix sockets are refused.
//   - Open tells nothing of the network behind the server: every failure short of the
//     database's own answer (an address refused, a closed port, a timeout, another
//     protocol answering) is the ConnectError reason ReasonUnreachable. The database's own
//     answers (wrong password, unknown database) and a refused role are told, masked. A
//     new pooled connection that fails later is an error response saying the same.
//
// # Limits
//
// A response holds at most Limits.MaxRows rows (default 100): a query that yields more is
// cut there and the response says "truncated": true, the way a LIMIT would, so a script
// gets usable data and can tell. A response larger than Limits.MaxBytes (default 256 KiB)
// is not returned at all: Query returns ErrTooLarge (the host's status -2). Reading stops
// as soon as either limit is reached: the statement is cancelled rather than drained (the
// pooled connection may be dropped). Nothing much larger than a value the response could
// hold is read: pgx refuses protocol messages over 16 MiB, a MySQL connection refuses to
// read more than 2×MaxBytes + 16 MiB in answer to one command, and SQLite's
// SQLITE_LIMIT_LENGTH is 16 MiB; each of these is ErrTooLarge too. When ctx ends first, the
// response is {"error": "query timed out: the call's deadline passed"}.
//
// # Values
//
// Integers (including BIGINT, MySQL unsigned BIGINT and YEAR) are JSON numbers; floats are
// JSON numbers, except NaN and ±Infinity, which are the strings "NaN", "Infinity" and
// "-Infinity". Exact decimals (PostgreSQL numeric, MySQL DECIMAL) are JSON strings holding
// their digits, so no precision is lost. Booleans are JSON booleans in PostgreSQL; MySQL's
// BOOL is TINYINT and comes back as 0 or 1. Times are RFC 3339 strings in UTC, with
// fractional seconds when there are any. Binary columns (PostgreSQL bytea; MySQL BLOB,
// BINARY, VARBINARY, BIT, GEOMETRY) are base64 strings (standard alphabet, padded);
// everything else, JSON and UUID included, is a JSON string.
//
// SQLite values come back as they are stored: INTEGER and REAL as numbers (a DECIMAL or
// BOOLEAN column holds numbers), TEXT as strings, BLOB as base64; TEXT in a column declared
// DATE, DATETIME or TIMESTAMP is turned into an RFC 3339 time when it parses as one.
//
// Arguments bind as int64 (a JSON number with an integral value that fits), float64 (any
// other number), string, bool or NULL; objects and arrays are refused. PostgreSQL and
// MySQL report a wrong number of arguments as an SQL error; SQLite reports missing ones
// and ignores extra ones.
package legacydb
