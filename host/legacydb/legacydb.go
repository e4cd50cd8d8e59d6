package legacydb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// Defaults for Config and Limits.
const (
	DefaultMaxOpenConns   = 4
	DefaultMaxIdleTime    = time.Minute
	DefaultConnectTimeout = 10 * time.Second
	DefaultMaxRows        = 100
	DefaultMaxBytes       = 256 << 10
)

// maxConnLifetime makes a pool reconnect now and then, to follow DNS and failovers.
const maxConnLifetime = 30 * time.Minute

// maxValueBytes bounds what is read from the database for one value (or one row on the
// PostgreSQL wire), so a huge value cannot make the host buffer it.
const maxValueBytes = 16 << 20

// CodeConnectionFailed is the API error code for a *ConnectError.
const CodeConnectionFailed = "connection_failed"

var (
	// ErrTooLarge is returned by Query when the response would exceed Limits.MaxBytes (or
	// a value exceeds 16 MiB on the wire); the host answers db_query with status -2.
	ErrTooLarge = errors.New("legacydb: response too large")
	// ErrClosed is returned by Query after Close.
	ErrClosed = errors.New("legacydb: connection closed")
)

// ConnectError is returned by Open when the settings or the role are refused or the
// database cannot be reached. Reason is safe to show the tenant: it never contains the
// DSN's password, and every failure below the database's own answer (an address refused,
// a closed port, a timeout, something else answering) reads alike, ReasonUnreachable, so
// Open tells nothing of the network behind the server.
type ConnectError struct {
	Driver string
	Reason string
	err    error
}

// ReasonUnreachable is the ConnectError.Reason of every network-level failure.
const ReasonUnreachable = "could not connect to the database"

// Unwrap returns the underlying error, which may name addresses: not for the tenant.
func (e *ConnectError) Unwrap() error { return e.err }

// Error returns the driver and the masked reason.
func (e *ConnectError) Error() string {
	return fmt.Sprintf("legacydb: %s connection failed: %s", e.Driver, e.Reason)
}

// Code returns CodeConnectionFailed.
func (e *ConnectError) Code() string { return CodeConnectionFailed }

// Config is a tenant's connection.
type Config struct {
	// Driver is "postgres", "mysql" or "sqlite".
	Driver string
	// DSN is a pgx connection string (URL or keyword/value), a go-sql-driver/mysql DSN, or
	// for sqlite a file path inside SQLiteRoot/<Tenant>/ (relative to it, or absolute).
	DSN string
	// SQLiteRoot is the operator's folder of legacy SQLite files.
	SQLiteRoot string
	// Tenant names the tenant; for sqlite it is the folder under SQLiteRoot.
	Tenant string
	// MaxOpenConns caps the tenant's pool (default DefaultMaxOpenConns).
	MaxOpenConns int
	// MaxIdleTime closes a connection idle that long (default DefaultMaxIdleTime).
	MaxIdleTime time.Duration
	// Networks, when not empty, are the only networks a postgres or mysql connection may
	// reach: every dial, of every pooled connection, checks the address it connects to
	// (after name resolution, IPv4-mapped addresses unmapped) and refuses one outside
	// them. Empty means the default: any address but loopback (127.0.0.0/8, ::1),
	// link-local (169.254.0.0/16, fe80::/10), unspecified (0.0.0.0/8, ::) and multicast
	// ones. Either way Unix sockets and networks other than TCP are refused. SQLite is
	// unaffected.
	Networks []netip.Prefix
}

// Limits bound one Query response.
type Limits struct {
	// MaxRows is the most rows a response holds (default DefaultMaxRows); more are cut and
	// the response says "truncated": true.
	MaxRows int
	// MaxBytes is the largest response (default DefaultMaxBytes); a larger one is ErrTooLarge.
	MaxBytes int
}

func (l Limits) withDefaults() Limits {
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	return l
}

// DB is a tenant's open connection pool. It is safe for concurrent use.
type DB struct {
	driver  string
	db      *sql.DB
	dialect dialect
	mask    func(string) string
	// prepare, if set, readies a pinned connection for one request and returns a
	// function reporting whether the request ran over its wire read budget.
	prepare func(conn *sql.Conn, lim Limits) (overBudget func() bool, err error)
	// budgets, for mysql, finds each connection's read budget.
	budgets *mysqlBudgets
	closed  atomic.Bool
}

// Open validates cfg, opens the tenant's pool and pings the database within ctx (or
// DefaultConnectTimeout when ctx has no deadline). Every error is a *ConnectError.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	return open(ctx, cfg, newDialGuard(cfg.Networks))
}

// open is Open with the dialer of postgres and mysql connections.
func open(ctx context.Context, cfg Config, guard *dialGuard) (*DB, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultConnectTimeout)
		defer cancel()
	}
	if cfg.MaxOpenConns <= 0 {
		cfg.MaxOpenConns = DefaultMaxOpenConns
	}
	if cfg.MaxIdleTime <= 0 {
		cfg.MaxIdleTime = DefaultMaxIdleTime
	}
	d := &DB{driver: cfg.Driver, mask: newMasker(cfg.Driver, cfg.DSN)}
	var err error
	switch cfg.Driver {
	case "postgres":
		d.dialect = postgresDialect
		d.db, err = openPostgres(cfg.DSN, guard)
	case "mysql":
		d.dialect = mysqlDialect
		d.db, d.budgets, err = openMySQL(cfg.DSN, guard)
		if err == nil {
			d.prepare = d.budgets.prepare
		}
	case "sqlite":
		d.dialect = sqliteDialect
		d.db, err = openSQLite(cfg)
		d.prepare = prepareSQLite
	default:
		return nil, &ConnectError{Driver: cfg.Driver, Reason: fmt.Sprintf("unknown driver %q (want postgres, mysql or sqlite)", cfg.Driver)}
	}
	if err != nil {
		return nil, &ConnectError{Driver: cfg.Driver, Reason: d.mask(err.Error())}
	}
	d.db.SetMaxOpenConns(cfg.MaxOpenConns)
	d.db.SetMaxIdleConns(cfg.MaxOpenConns)
	d.db.SetConnMaxIdleTime(cfg.MaxIdleTime)
	d.db.SetConnMaxLifetime(maxConnLifetime)
	if err := d.ping(ctx); err != nil {
		d.db.Close()
		return nil, &ConnectError{Driver: cfg.Driver, Reason: d.connectReason(err), err: err}
	}
	return d, nil
}

// connectReason is what the tenant is told of a failed connection: the database's own
// answer (wrong password, unknown database) or a refused role, masked; for anything else,
// ReasonUnreachable.
func (d *DB) connectReason(err error) string {
	var pe *pgconn.PgError
	var me *mysql.MySQLError
	var re *privilegeError
	if d.driver == "sqlite" || errors.As(err, &pe) || errors.As(err, &me) || errors.As(err, &re) {
		return d.mask(err.Error())
	}
	return ReasonUnreachable
}

// ping checks the database is reachable; for SQLite, that the file is a database.
func (d *DB) ping(ctx context.Context) error {
	if d.driver != "sqlite" {
		return d.db.PingContext(ctx)
	}
	var n int
	if err := d.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
		return err
	}
	return nil
}

// Close closes the pool; running queries end first.
func (d *DB) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	return d.db.Close()
}

// Query runs one guest request, {"sql": "...", "args": [...]}, read-only and within ctx,
// and returns the response JSON (see the package documentation). A bad request, a refused
// statement, an SQL error, a lost connection or the deadline passing are all error
// responses, not Go errors: the only errors are ErrTooLarge and ErrClosed.
func (d *DB) Query(ctx context.Context, request []byte, lim Limits) ([]byte, error) {
	if d.closed.Load() {
		return nil, ErrClosed
	}
	lim = lim.withDefaults()
	req, err := parseRequest(request)
	if err != nil {
		return errorResponse(err.Error()), nil
	}
	if err := d.dialect.checkStatement(req.SQL); err != nil {
		return errorResponse(err.Error()), nil
	}

	// qctx ends the statement early once the response is complete or too large, so
	// the rest of a big result is neither sent nor drained.
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()

	conn, err := d.db.Conn(qctx)
	if err != nil {
		if ctx.Err() != nil || d.closed.Load() {
			return d.failure(ctx, err)
		}
		// A new pooled connection failed: say no more than Open would.
		return errorResponse(d.connectReason(err)), nil
	}
	defer conn.Close()
	overBudget := func() bool { return false }
	if d.prepare != nil {
		if overBudget, err = d.prepare(conn, lim); err != nil {
			return d.failure(ctx, err)
		}
	}
	tx, err := conn.BeginTx(qctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return d.failure(ctx, err)
	}
	// Never committed: whatever the statement did, if anything, is rolled back.
	defer tx.Rollback()

	rows, err := tx.QueryContext(qctx, req.SQL, req.Args...)
	if err != nil {
		if overBudget() || d.tooLarge(err) {
			return nil, ErrTooLarge
		}
		return d.failure(ctx, err)
	}
	defer rows.Close()

	resp, complete, err := d.encodeRows(rows, lim)
	if !complete {
		// Cancel the statement rather than let rows.Close drain the rest of the result;
		// the connection may be discarded, which is cheaper than an unbounded read.
		cancel()
	}
	if err != nil {
		if errors.Is(err, ErrTooLarge) || overBudget() || d.tooLarge(err) {
			return nil, ErrTooLarge
		}
		return d.failure(ctx, err)
	}
	return resp, nil
}

// encodeRows writes the response for rows within lim. complete reports whether every row
// was read.
func (d *DB) encodeRows(rows *sql.Rows, lim Limits) (resp []byte, complete bool, err error) {
	names, err := rows.Columns()
	if err != nil {
		return nil, false, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, false, err
	}
	binary := make([]bool, len(types))
	for i, t := range types {
		binary[i] = isBinaryColumn(d.driver, t.DatabaseTypeName())
	}

	b := make([]byte, 0, min(lim.MaxBytes, 4096))
	b = append(b, `{"columns":[`...)
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, n)
	}
	b = append(b, `],"rows":[`...)
	if len(b) > lim.MaxBytes {
		return nil, false, ErrTooLarge
	}

	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	truncated := false
	for n := 0; rows.Next(); n++ {
		if n == lim.MaxRows {
			truncated = true
			break
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, false, err
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for i, v := range vals {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, v, binary[i])
			if len(b) > lim.MaxBytes {
				return nil, false, ErrTooLarge
			}
		}
		b = append(b, ']')
	}
	if !truncated {
		if err := rows.Err(); err != nil {
			return nil, true, err
		}
	}
	b = append(b, ']')
	if truncated {
		b = append(b, `,"truncated":true`...)
	}
	b = append(b, '}')
	if len(b) > lim.MaxBytes {
		return nil, !truncated, ErrTooLarge
	}
	return b, !truncated, nil
}

// failure turns an error from the database into an error response, or ErrClosed.
func (d *DB) failure(ctx context.Context, err error) ([]byte, error) {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return errorResponse("query timed out: the call's deadline passed"), nil
	case ctx.Err() != nil:
		return errorResponse("query canceled"), nil
	case d.closed.Load():
		return nil, ErrClosed
	case d.driver == "sqlite" && sqliteDenied(err):
		return errorResponse("statement refused: only reading the tenant's database is allowed (" + err.Error() + ")"), nil
	}
	return errorResponse(d.mask(err.Error())), nil
}

// tooLarge reports whether err is the driver refusing a value over maxValueBytes.
func (d *DB) tooLarge(err error) bool {
	switch d.driver {
	case "postgres":
		return postgresTooLarge(err)
	case "sqlite":
		return sqliteTooLarge(err)
	}
	return false
}
