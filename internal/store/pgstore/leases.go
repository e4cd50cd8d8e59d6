package pgstore

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/cluster"
)

// Leases and their connection.
const (
	// leaseSpace is the first key of the two-key advisory locks that hold
	// leases (the second is hashtext of the name); single-key locks, such as
	// migrationLock, are another key space.
	leaseSpace = 0x7761
	// leaseCheck is how often the connection holding leases is checked: a
	// lost connection has released its locks, and its leases end.
	leaseCheck = 2 * time.Second
)

// Leases are cluster leases held as session advisory locks on one
// connection of their own: PostgreSQL releases them when that connection
// ends, which is what happens when a node dies. It is safe for concurrent
// use.
type Leases struct {
	s        *Store
	mu       sync.Mutex
	conn     *pgx.Conn // nil until the first lease, and after a failure
	held     map[string]*cluster.Lease
	checking bool
}

var _ cluster.Leases = (*Leases)(nil)

// Leases returns the store's cluster leases.
func (s *Store) Leases() *Leases { return s.leases }

// TryAcquire implements cluster.Leases.
func (l *Leases) TryAcquire(ctx context.Context, name string) (*cluster.Lease, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[name] != nil || l.held == nil {
		return nil, nil // held by this process (advisory locks nest), or closed
	}
	if l.conn == nil {
		c, err := pgx.ConnectConfig(ctx, l.s.pool.Config().ConnConfig.Copy())
		if err != nil {
			return nil, mapErr(err)
		}
		l.conn = c
	}
	var ok bool
	if err := l.conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, hashtext($2))", leaseSpace, name).Scan(&ok); err != nil {
		l.breakLocked()
		return nil, mapErr(err)
	}
	if !ok {
		return nil, nil
	}
	lease := cluster.NewLease(func() { l.release(name) })
	l.held[name] = lease
	if !l.checking {
		l.checking = true
		go l.check()
	}
	return lease, nil
}

// release unlocks name.
func (l *Leases) release(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[name] == nil {
		return // lost already
	}
	delete(l.held, name)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.conn.Exec(ctx, "SELECT pg_advisory_unlock($1, hashtext($2))", leaseSpace, name); err != nil {
		l.breakLocked() // closing the connection releases the lock
	}
}

// breakLocked closes the connection, which releases its locks, and ends
// every lease held on it. The caller holds l.mu.
func (l *Leases) breakLocked() {
	if l.conn != nil {
		l.conn.Close(context.Background())
		l.conn = nil
	}
	for name, lease := range l.held {
		lease.Lost()
		delete(l.held, name)
	}
}

// check pings the connection every leaseCheck while leases are held, and
// ends them when it fails.
func (l *Leases) check() {
	t := time.NewTicker(leaseCheck)
	defer t.Stop()
	for {
		select {
		case <-l.s.stop:
			return // close ends the leases
		case <-t.C:
		}
		l.mu.Lock()
		if len(l.held) == 0 || l.held == nil {
			l.checking = false
			l.mu.Unlock()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), leaseCheck)
		if err := l.conn.Ping(ctx); err != nil {
			l.s.logger.Warn("pgstore: the connection holding cluster leases failed; they are lost", "leases", len(l.held), "err", err)
			l.breakLocked()
		}
		cancel()
		l.mu.Unlock()
	}
}

// close ends every lease and refuses new ones.
func (l *Leases) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.breakLocked()
	l.held = nil
}
