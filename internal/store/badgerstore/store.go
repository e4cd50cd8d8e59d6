package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// MaxModuleSize is the largest module AddScript accepts.
const MaxModuleSize = 16 << 20

// Defaults of Options.
const (
	DefaultLogCap     = 10000
	DefaultGCInterval = 10 * time.Minute
)

// Tuning that callers need not see.
const (
	// valueThreshold sends values of this size or more (script modules) to
	// the value log; users, sessions and the rest stay in the LSM tree.
	valueThreshold = 64 << 10
	// valueLogFileSize keeps value log files small enough for GC to reclaim
	// the space of deleted modules, and large enough for the biggest module.
	valueLogFileSize = 256 << 20
	// inMemoryMemTableSize makes Badger's per-transaction limit (15% of the
	// memtable) hold a MaxModuleSize module: in memory every value lives in
	// the LSM tree and counts in full.
	inMemoryMemTableSize = 128 << 20
	// maxAttempts bounds the retries of a transaction that conflicts.
	maxAttempts = 64
	// statsShards spreads the counters over this many keys so that
	// concurrent CreateUser calls seldom conflict on them.
	statsShards = 8
	// sessionGrace keeps session and refresh records this long after the
	// session expires, so late refreshes get ErrSessionEnded or
	// ErrRefreshReused rather than ErrNotFound; then Badger's TTL drops them.
	sessionGrace = 24 * time.Hour
)

// Options tunes an on-disk store. The zero value is ready to use.
type Options struct {
	// Logger receives Badger's warnings and errors; its info lines go to
	// the debug level. Nil means slog.Default().
	Logger *slog.Logger
	// LogCap is about the most script log lines kept per tenant: older lines
	// are trimmed once a tenant holds more than LogCap plus a tenth. Zero
	// means DefaultLogCap.
	LogCap int
	// MemTableSize is Badger's memtable size in bytes. Zero means 64 MiB;
	// tests may lower it to 4 MiB to save memory.
	MemTableSize int64
	// GCInterval is how often the value log is garbage collected. Zero means
	// DefaultGCInterval; a negative value disables it.
	GCInterval time.Duration
}

// Store is an auth.Store kept in a Badger database. It is safe for
// concurrent use.
type Store struct {
	db     *badger.DB
	logger *slog.Logger
	logCap int

	// mu is held shared by every operation and exclusively by Close and by
	// DeleteTenant while it drops the tenant's keys: Badger refuses writes
	// during a prefix drop, so other writers wait instead of failing.
	mu     sync.RWMutex
	closed bool

	// logSeq orders log lines that share a timestamp.
	logSeq atomic.Uint64
	// logMu guards logAppended, the lines appended per tenant since its
	// log was last trimmed.
	logMu       sync.Mutex
	logAppended map[string]int

	stopGC chan struct{}
	gcDone chan struct{}

	// pending holds the authorization requests (see pendingRequests).
	pending *pendingRequests
}

var _ auth.Store = (*Store)(nil)

// errClosed is returned by every method of a closed store.
var errClosed = errors.New("badgerstore: store is closed")

// Open opens (creating if needed) the store in dir. Writes are synced to disk
// before they are acknowledged.
func Open(dir string, opts Options) (*Store, error) {
	if dir == "" {
		return nil, errors.New("badgerstore: no directory given")
	}
	memTable := opts.MemTableSize
	if memTable <= 0 {
		memTable = 64 << 20
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	bo := badger.DefaultOptions(dir).
		WithSyncWrites(true).
		WithLogger(slogLogger{logger.With("component", "badger")}).
		WithMetricsEnabled(false).
		WithMemTableSize(memTable).
		WithValueThreshold(valueThreshold).
		WithValueLogFileSize(valueLogFileSize).
		WithBlockCacheSize(64 << 20).
		WithNumVersionsToKeep(1)
	return open(bo, opts, logger)
}

// OpenInMemory opens a store that lives in memory only, for tests. Nothing
// survives Close.
func OpenInMemory() (*Store, error) {
	logger := slog.Default()
	bo := badger.DefaultOptions("").
		WithInMemory(true).
		WithLogger(slogLogger{logger.With("component", "badger")}).
		WithMetricsEnabled(false).
		WithMemTableSize(inMemoryMemTableSize).
		WithCompression(options.None).
		WithBlockCacheSize(0).
		WithNumCompactors(2)
	return open(bo, Options{GCInterval: -1}, logger)
}

func open(bo badger.Options, opts Options, logger *slog.Logger) (*Store, error) {
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("badgerstore: open %s: %w", bo.Dir, err)
	}
	s := &Store{
		db:          db,
		logger:      logger,
		logCap:      opts.LogCap,
		logAppended: make(map[string]int),
		pending:     newPendingRequests(),
		stopGC:      make(chan struct{}),
		gcDone:      make(chan struct{}),
	}
	if s.logCap <= 0 {
		s.logCap = DefaultLogCap
	}
	// Seeding with the clock keeps log keys unique across restarts.
	s.logSeq.Store(uint64(time.Now().UnixNano()))
	interval := opts.GCInterval
	if interval == 0 {
		interval = DefaultGCInterval
	}
	if interval > 0 && !bo.InMemory {
		go s.gcLoop(interval)
	} else {
		close(s.gcDone)
	}
	return s, nil
}

// gcLoop reclaims value log space (deleted modules, expired records) until
// Close.
func (s *Store) gcLoop(interval time.Duration) {
	defer close(s.gcDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stopGC:
			return
		case <-t.C:
		}
		for range 16 { // one file per call; stop when nothing is left to rewrite
			if err := s.db.RunValueLogGC(0.5); err != nil {
				if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
					s.logger.Warn("badgerstore: value log GC failed", "err", err)
				}
				break
			}
		}
	}
}

// Ping reports whether the store is open.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed || s.db.IsClosed() {
		return errClosed
	}
	return nil
}

// Close stops background work, flushes and closes the database. It waits for
// running calls to finish; later calls return an error.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.stopGC)
	<-s.gcDone
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("badgerstore: close: %w", err)
	}
	return nil
}

// begin takes the shared lock for one operation. The caller must call the
// returned function when done.
func (s *Store) begin(ctx context.Context) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, errClosed
	}
	return s.mu.RUnlock, nil
}

// view runs fn in a read-only transaction.
func (s *Store) view(ctx context.Context, fn func(txn *badger.Txn) error) error {
	done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	return s.db.View(fn)
}

// update runs fn in a read-write transaction and commits it, running it again
// (after a jittered, growing pause) when the commit conflicts with another
// transaction, at most maxAttempts times. fn must not have effects outside
// the transaction. Errors from fn are returned unchanged.
func (s *Store) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	return s.updateLocked(ctx, fn)
}

// updateLocked is update for a caller that holds s.mu.
func (s *Store) updateLocked(ctx context.Context, fn func(txn *badger.Txn) error) error {
	pause := 50 * time.Microsecond
	for attempt := 1; ; attempt++ {
		err := s.db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) && !errors.Is(err, badger.ErrBlockedWrites) {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("badgerstore: transaction still conflicting after %d attempts: %w", attempt, err)
		}
		t := time.NewTimer(pause/2 + rand.N(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, 20*time.Millisecond)
	}
}

// getJSON reads the record at k into v. Returns auth.ErrNotFound when k is
// absent.
func getJSON(txn *badger.Txn, k []byte, v any) error {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return auth.ErrNotFound
	}
	if err != nil {
		return err
	}
	return item.Value(func(b []byte) error { return decode(b, v) })
}

// exists reports whether k is present. In an update transaction the read is
// tracked, so a concurrent write of k makes the commit conflict.
func exists(txn *badger.Txn, k []byte) (bool, error) {
	_, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// getString reads the value at k as a string. Returns auth.ErrNotFound when
// k is absent.
func getString(txn *badger.Txn, k []byte) (string, error) {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return "", auth.ErrNotFound
	}
	if err != nil {
		return "", err
	}
	b, err := item.ValueCopy(nil)
	return string(b), err
}

// setJSON writes v at k. expires, when non-zero, is when Badger drops it.
func setJSON(txn *badger.Txn, k []byte, v any, expires time.Time) error {
	b, err := encode(v)
	if err != nil {
		return err
	}
	return set(txn, k, b, expires)
}

// set writes b at k. expires, when non-zero, is when Badger drops it.
func set(txn *badger.Txn, k, b []byte, expires time.Time) error {
	e := badger.NewEntry(k, b)
	if !expires.IsZero() {
		e.ExpiresAt = uint64(expires.Unix()) + 1
	}
	return txn.SetEntry(e)
}

// requireTenant fails with auth.ErrNotFound unless the tenant exists. In an
// update transaction it also makes the commit conflict with a concurrent
// UpdateTenant or DeleteTenant, so no write lands under a deleted tenant.
func requireTenant(txn *badger.Txn, tenant string) error {
	if !validID(tenant) {
		return auth.ErrNotFound
	}
	ok, err := exists(txn, tenantKey(tenant))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("tenant %q: %w", tenant, auth.ErrNotFound)
	}
	return nil
}

// scan calls fn for each key under p in key order, starting at from when it
// is set, until fn returns false or an error. Values are prefetched only
// when values is true.
func scan(txn *badger.Txn, p, from []byte, values bool, fn func(item *badger.Item) (bool, error)) error {
	o := badger.DefaultIteratorOptions
	o.Prefix = p
	o.PrefetchValues = values
	if values {
		o.PrefetchSize = 16
	}
	it := txn.NewIterator(o)
	defer it.Close()
	start := from
	if start == nil {
		start = p
	}
	for it.Seek(start); it.ValidForPrefix(p); it.Next() {
		more, err := fn(it.Item())
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// slogLogger routes Badger's log lines to slog: errors and warnings as such,
// info and debug lines at debug level, where they are normally dropped.
type slogLogger struct{ l *slog.Logger }

func (l slogLogger) Errorf(f string, a ...any) {
	l.l.Error(strings.TrimSpace(fmt.Sprintf(f, a...)))
}

func (l slogLogger) Warningf(f string, a ...any) {
	l.l.Warn(strings.TrimSpace(fmt.Sprintf(f, a...)))
}

func (l slogLogger) Infof(f string, a ...any) {
	l.l.Debug(strings.TrimSpace(fmt.Sprintf(f, a...)))
}

func (l slogLogger) Debugf(f string, a ...any) {
	l.l.Debug(strings.TrimSpace(fmt.Sprintf(f, a...)))
}
