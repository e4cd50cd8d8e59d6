package legacydb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
)

// openMySQL opens a go-sql-driver/mysql pool for a tenant's DSN. The DSN's own settings
// are kept except those that would widen what a request can do: multiStatements and
// allowAllFiles are forced off, and parseTime on (times come back as time.Time). Every
// connection is dialled through guard, refused when its account holds SUPER, FILE or ALL
// PRIVILEGES, and wrapped in a readBudgetConn; the returned prepare function arms its
// budget for each request.
func openMySQL(dsn string, guard *dialGuard) (*sql.DB, *mysqlBudgets, error) {
	cfg, err := parseMySQLDSN(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid mysql DSN %s: %v", maskMySQL(dsn), err)
	}
	cfg.MultiStatements = false
	cfg.AllowAllFiles = false
	cfg.ParseTime = true
	cfg.Logger = nopLogger{}
	budgets := &mysqlBudgets{guard: guard}
	cfg.DialFunc = budgets.dial
	inner, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, nil, err
	}
	return sql.OpenDB(&mysqlConnector{Connector: inner, budgets: budgets}), budgets, nil
}

type nopLogger struct{}

func (nopLogger) Print(...any) {}

// mysqlBudgets finds the network connection under each driver connection of a pool.
type mysqlBudgets struct {
	guard *dialGuard
	conns sync.Map // driver.Conn -> *readBudgetConn
	trips atomic.Int64
}

type dialSlotKey struct{}

// dialSlot carries the dialled connection out of the driver's Connect.
type dialSlot struct{ conn *readBudgetConn }

func (b *mysqlBudgets) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := b.guard.dial(ctx, network, addr, 0)
	if err != nil {
		return nil, err
	}
	rb := &readBudgetConn{Conn: c, trips: &b.trips}
	if slot, ok := ctx.Value(dialSlotKey{}).(*dialSlot); ok {
		slot.conn = rb
	}
	return rb, nil
}

// prepare arms the read budget of conn's network connection for one request: the
// response to any one command may not exceed twice the response limit plus maxValueBytes.
func (b *mysqlBudgets) prepare(conn *sql.Conn, lim Limits) (func() bool, error) {
	var rb *readBudgetConn
	err := conn.Raw(func(dc any) error {
		v, ok := b.conns.Load(dc)
		if !ok {
			return errors.New("mysql connection without a read budget")
		}
		rb = v.(*readBudgetConn)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rb.arm(int64(2*lim.MaxBytes + maxValueBytes))
	return rb.tripped.Load, nil
}

// mysqlConnector checks each new driver connection's account and records the connection
// it dialled.
type mysqlConnector struct {
	driver.Connector
	budgets *mysqlBudgets
}

func (c *mysqlConnector) Connect(ctx context.Context) (driver.Conn, error) {
	slot := &dialSlot{}
	dc, err := c.Connector.Connect(context.WithValue(ctx, dialSlotKey{}, slot))
	if err != nil {
		return nil, err
	}
	if slot.conn == nil {
		dc.Close()
		return nil, errors.New("mysql connection was not dialled through the read budget")
	}
	if err := checkMySQLAccount(ctx, dc); err != nil {
		dc.Close()
		return nil, err
	}
	c.budgets.conns.Store(dc, slot.conn)
	forget := func() { c.budgets.conns.Delete(dc) }
	slot.conn.onClose.Store(&forget)
	return dc, nil
}

// errReadBudget ends a read past a request's budget.
var errReadBudget = errors.New("legacydb: response exceeds the read budget")

// readBudgetConn is a network connection that refuses to read more than a budget of bytes
// after each write: MySQL answers every command the client writes, so this caps the bytes
// read for one command's response, whatever the server sends.
type readBudgetConn struct {
	net.Conn
	budget  atomic.Int64 // 0: unlimited
	read    atomic.Int64
	tripped atomic.Bool
	onClose atomic.Pointer[func()]
	trips   *atomic.Int64 // the pool's count of tripped budgets, if set
	once    sync.Once
}

func (c *readBudgetConn) arm(budget int64) {
	c.tripped.Store(false)
	c.read.Store(0)
	c.budget.Store(budget)
}

func (c *readBudgetConn) Write(p []byte) (int, error) {
	c.read.Store(0)
	return c.Conn.Write(p)
}

func (c *readBudgetConn) Read(p []byte) (int, error) {
	if budget := c.budget.Load(); budget > 0 {
		left := budget - c.read.Load()
		if left <= 0 {
			if !c.tripped.Swap(true) && c.trips != nil {
				c.trips.Add(1)
			}
			return 0, errReadBudget
		}
		if int64(len(p)) > left {
			p = p[:left]
		}
	}
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *readBudgetConn) Close() error {
	c.once.Do(func() {
		if f := c.onClose.Load(); f != nil {
			(*f)()
		}
	})
	return c.Conn.Close()
}
