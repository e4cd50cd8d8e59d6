package legacydb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteParams open the file read-only, with query_only, without trusting functions in
// the schema, in defensive mode, waiting up to 5 s (or the deadline) for a writer's lock.
const sqliteParams = "mode=ro&_query_only=1&_pragma=trusted_schema(0)&_defensive=1&_pragma=busy_timeout(5000)"

// openSQLite opens the tenant's SQLite file, confined to SQLiteRoot/<Tenant>/.
func openSQLite(cfg Config) (*sql.DB, error) {
	path, err := sqlitePath(cfg.SQLiteRoot, cfg.Tenant, cfg.DSN)
	if err != nil {
		return nil, err
	}
	uri := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + sqliteParams
	inner, err := sqlite.NewConnector(uri)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(sqliteConnector{inner}), nil
}

// sqlitePath resolves a tenant's SQLite DSN to the real path of an existing regular file
// inside root/tenant, or explains why not without naming the server's folders.
func sqlitePath(root, tenant, dsn string) (string, error) {
	switch {
	case root == "":
		return "", errors.New("no folder for SQLite files is configured")
	case tenant == "" || tenant == "." || tenant == ".." || strings.ContainsAny(tenant, `/\`+"\x00"):
		return "", errors.New("invalid tenant name for a SQLite folder")
	case dsn == "":
		return "", errors.New("the DSN is empty: give the path of a SQLite file in the tenant's folder")
	case strings.ContainsRune(dsn, 0):
		return "", errors.New("the DSN contains a NUL byte")
	case strings.HasPrefix(strings.ToLower(dsn), "file:"):
		return "", errors.New("SQLite URIs are not allowed: give a file path in the tenant's folder")
	case strings.ContainsRune(dsn, '?'):
		return "", errors.New("query parameters are not allowed in a SQLite DSN: give a file path in the tenant's folder")
	}
	outside := errors.New("the SQLite file must be inside the tenant's folder")
	rootAbs, err := filepath.Abs(root)
	if err != nil {
		return "", errors.New("the folder for SQLite files is not available")
	}
	rootReal, err := filepath.EvalSymlinks(rootAbs)
	if err != nil {
		return "", errors.New("the folder for SQLite files is not available")
	}
	dir := filepath.Join(rootAbs, tenant)
	dirReal, err := filepath.EvalSymlinks(filepath.Join(rootReal, tenant))
	if err != nil {
		return "", errors.New("the tenant has no SQLite folder")
	}

	// Lexically first, so nothing outside is even looked at.
	var p string
	if filepath.IsAbs(dsn) {
		p = filepath.Clean(dsn)
		if !within(dir, p) && !within(dirReal, p) {
			return "", outside
		}
	} else {
		p = filepath.Join(dirReal, dsn)
		if !within(dirReal, p) {
			return "", outside
		}
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", errors.New("no such SQLite file in the tenant's folder: " + dsn)
		}
		return "", errors.New("the SQLite file cannot be opened: " + dsn)
	}
	if !within(dirReal, real) {
		return "", outside
	}
	fi, err := os.Stat(real)
	if err != nil || !fi.Mode().IsRegular() {
		return "", errors.New("not a regular file: " + dsn)
	}
	return real, nil
}

// within reports whether p names something strictly inside dir (both clean and absolute).
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == "." || filepath.IsAbs(rel) {
		return false
	}
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// sqliteConnector installs the authorizer on every connection it opens. It returns the
// driver's own connection, so database/sql sees all of its optional interfaces.
type sqliteConnector struct{ driver.Connector }

func (c sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	reg, ok := conn.(sqlite.AuthorizerRegisterer)
	if !ok {
		conn.Close()
		return nil, errors.New("the SQLite driver offers no authorizer")
	}
	if err := reg.RegisterAuthorizer(authorizeSQLite); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// sqliteDeniedFunctions could reach files or the process beyond the database.
var sqliteDeniedFunctions = words("load_extension", "readfile", "writefile", "edit", "fts3_tokenizer")

// authorizeSQLite allows what reading needs and denies everything else: ATTACH and
// DETACH, PRAGMA, every write and schema change, and the functions above.
func authorizeSQLite(action sqlite.AuthorizerActionCode, _, arg2, _, _ string) sqlite.AuthorizerReturnCode {
	switch action {
	case sqlite.AuthSelect, sqlite.AuthRead, sqlite.AuthRecursive,
		sqlite.AuthTransaction, sqlite.AuthSavepoint:
		return sqlite.AuthorizerOK
	case sqlite.AuthFunction:
		if sqliteDeniedFunctions[strings.ToLower(arg2)] {
			return sqlite.AuthorizerDeny
		}
		return sqlite.AuthorizerOK
	default:
		return sqlite.AuthorizerDeny
	}
}

// prepareSQLite caps the length of any string or blob on the request's connection, so a
// statement like SELECT zeroblob(1e9) cannot make the host allocate it.
func prepareSQLite(conn *sql.Conn, _ Limits) (func() bool, error) {
	if _, err := sqlite.Limit(conn, sqlite3.SQLITE_LIMIT_LENGTH, maxValueBytes); err != nil {
		return nil, err
	}
	return func() bool { return false }, nil
}

// sqliteTooLarge reports whether err is SQLite refusing a value over maxValueBytes.
func sqliteTooLarge(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_TOOBIG
}

// sqliteDenied reports whether err is the authorizer refusing a statement.
func sqliteDenied(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_AUTH
}
