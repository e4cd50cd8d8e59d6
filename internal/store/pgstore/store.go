package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/cluster"
)

// DefaultLogCap is about the most script log lines kept per tenant.
const DefaultLogCap = 10000

// Tuning that callers need not see.
const (
	// statsShards spreads a tenant's counters over this many rows.
	statsShards = 8
	// maxAttempts bounds the retries of a transaction that deadlocks.
	maxAttempts = 8
	// migrationLock is the advisory lock key held while the schema is
	// checked and upgraded ("wasmauth" in ASCII).
	migrationLock = 0x7761736d61757468
	// sessionGrace keeps ended sessions this long, as badgerstore does, so
	// late refreshes get a precise answer; then the sweep removes them.
	sessionGrace = 24 * time.Hour
	// sweepInterval is how often expired sessions and rate limits are removed.
	sweepInterval = 10 * time.Minute
	// connectTimeout bounds opening a connection when the URL does not
	// (connect_timeout).
	connectTimeout = 5 * time.Second
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tunes a store. The zero value is ready to use.
type Options struct {
	// Logger receives the store's warnings. Nil means slog.Default().
	Logger *slog.Logger
	// LogCap is about the most script log lines kept per tenant. Zero
	// means DefaultLogCap.
	LogCap int
	// Tracer, when set, sees every statement the store sends (for metrics,
	// or to count round trips).
	Tracer pgx.QueryTracer
}

// Store is an auth.Store kept in PostgreSQL. Any number of processes may
// share one database. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
	logCap int

	// logMu guards logAppended, the lines this process appended per tenant
	// since it last trimmed the tenant's log.
	logMu       sync.Mutex
	logAppended map[string]int

	leases *Leases

	stop      chan struct{}
	sweepDone chan struct{}
	closeOnce sync.Once
}

var _ auth.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or key=value
// string), creates or upgrades the schema and returns the store. Several
// processes may open one database at once: the schema is changed under an
// advisory lock. Open refuses a schema newer than this binary.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	cfg.ConnConfig.Tracer = opts.Tracer
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// An unreachable database is a quick 503, not a hung request.
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, mapErr(err)
	}
	s := &Store{
		pool:        pool,
		logger:      opts.Logger,
		logCap:      opts.LogCap,
		logAppended: make(map[string]int),
		stop:        make(chan struct{}),
		sweepDone:   make(chan struct{}),
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.leases = &Leases{s: s, held: map[string]*cluster.Lease{}}
	if s.logCap <= 0 {
		s.logCap = DefaultLogCap
	}
	go s.sweepLoop()
	return s, nil
}

// migrate applies the embedded migrations that the database lacks, holding
// an advisory lock on one connection meanwhile, and fails if the database
// has a version this binary does not know.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLock)); err != nil {
		return err
	}
	defer func() {
		// A lock that cannot be released goes with its connection.
		if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", int64(migrationLock)); err != nil {
			conn.Conn().Close(context.Background())
		}
	}()
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("pgstore: migrations: %w", err)
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: reading the schema version: %w", err)
	}
	known := SchemaVersion()
	if current > known {
		return fmt.Errorf("pgstore: the database schema is at version %d, newer than this binary's %d; run a newer wasmauth", current, known)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("pgstore: upgrading the schema: %w", err)
	}
	return nil
}

// SchemaVersion returns the newest schema version this binary knows.
func SchemaVersion() int64 {
	sub, _ := fs.Sub(migrations, "migrations")
	entries, _ := fs.ReadDir(sub, ".")
	var v int64
	for _, e := range entries {
		var n int64
		if _, err := fmt.Sscanf(e.Name(), "%d_", &n); err == nil && n > v {
			v = n
		}
	}
	return v
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return mapErr(s.pool.Ping(ctx))
}

// Close stops the background sweep and closes the connections.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.sweepDone
		s.leases.close()
		s.pool.Close()
	})
	return nil
}

// sweepLoop removes ended sessions past their grace, expired authorization
// requests and browser sessions, and passed rate limits
// until Close. Every node runs it, one at a time (the lease
// "pgstore:sweep").
func (s *Store) sweepLoop() {
	defer close(s.sweepDone)
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		// One node sweeps at a time; the others skip this round.
		lease, err := s.leases.TryAcquire(ctx, "pgstore:sweep")
		if lease == nil {
			cancel()
			if err != nil {
				s.logger.Warn("pgstore: sweeping expired sessions failed", "err", err)
			}
			continue
		}
		now := time.Now()
		_, err = s.pool.Exec(ctx, "DELETE FROM sessions WHERE expires_at < $1", now.Add(-sessionGrace).UnixNano())
		for _, table := range []string{"auth_requests", "browser_sessions"} {
			if err == nil {
				_, err = s.pool.Exec(ctx, "DELETE FROM "+table+" WHERE expires_at <= $1", now.UnixNano())
			}
		}
		if err == nil {
			_, err = s.pool.Exec(ctx, "DELETE FROM rate_limits WHERE until <= $1", now.UnixNano())
		}
		lease.Release()
		cancel()
		if err != nil {
			s.logger.Warn("pgstore: sweeping expired sessions failed", "err", err)
		}
	}
}

// inTx runs fn in a transaction and commits it, running it again when
// PostgreSQL reports a deadlock or a serialization failure.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return retry(func() error { return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, fn) })
}

// retry runs fn again, after a short random pause, while it fails with a
// deadlock or a serialization failure, at most maxAttempts times. It
// returns fn's callback errors as they are and maps the others.
func retry(fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		var fe fnError
		if errors.As(err, &fe) {
			return err
		}
		if !retryable(err) || attempt == maxAttempts {
			return mapErr(err)
		}
		time.Sleep(time.Duration(rand.N(attempt)) * time.Millisecond)
	}
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// mapErr turns the database's errors into the auth sentinels: a unique
// violation into the taken error of its constraint, a foreign key violation
// into auth.ErrNotFound (the tenant, user or script is not there), a lost
// or refused connection into auth.ErrUnavailable. Others pass unchanged.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// A refused connection may carry the server's reason as a PgError
	// (too many clients, the database not accepting connections): it is
	// still the database being unavailable.
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return fmt.Errorf("pgstore: %w: %w", auth.ErrUnavailable, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505":
			if taken, ok := takenBy[pe.ConstraintName]; ok {
				return fmt.Errorf("pgstore: %s: %w", pe.ConstraintName, taken)
			}
		case pe.Code == "23503":
			return fmt.Errorf("pgstore: %s: %w", pe.ConstraintName, auth.ErrNotFound)
		case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "53"),
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", pe.Code == "3D000":
			return fmt.Errorf("pgstore: %w: %w", auth.ErrUnavailable, err)
		}
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		pgconn.SafeToRetry(err) || isClosedConn(err) {
		return fmt.Errorf("pgstore: %w: %w", auth.ErrUnavailable, err)
	}
	return err
}

// isClosedConn reports errors pgx returns for a connection that died under
// a call, which it does not export as types.
func isClosedConn(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "closed pool")
}

// takenBy maps unique constraints to the errors of their violation.
var takenBy = map[string]error{
	"tenants_pkey":        auth.ErrTenantExists,
	"users_legacy_id_key": auth.ErrLegacyIDTaken,
	"users_email_key":     auth.ErrEmailTaken,
	"users_username_key":  auth.ErrUsernameTaken,
}

// validID reports whether s can be stored as an id: non-empty, at most 512
// bytes, valid UTF-8 without NUL (PostgreSQL text holds no NUL).
func validID(s string) bool {
	return s != "" && len(s) <= 512 && validText(s)
}

// validText reports whether PostgreSQL text can hold s.
func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// clean makes s storable as text: invalid UTF-8 and NUL become U+FFFD.
func clean(s string) string {
	if validText(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// nullText stores "" as NULL, for the unique columns.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullSlice stores an empty slice as NULL.
func nullSlice(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// orEmpty returns *s, or "" for nil.
func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
