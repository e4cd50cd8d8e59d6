package scripts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wasmauth/wasmauth/host/legacydb"
	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/runtime"
)

// Manager implements auth.Scripts. It is safe for concurrent use.
type Manager struct {
	engine     *runtime.Engine
	store      auth.Store
	sqliteRoot string
	networks   []netip.Prefix
	log        *slog.Logger

	mu       sync.RWMutex
	dbs      map[string]*legacydb.DB      // by tenant
	opened   map[string]string            // connKey of each tenant's pool
	shas     map[scriptKey]string         // module hash by tenant and version; versions never change
	attempts map[string]time.Time         // last reconnection attempt by tenant
	retiring map[*legacydb.DB]*time.Timer // replaced or disconnected pools, closed after closeGrace
	// connecting holds, by tenant, a channel closed when the opening of its
	// pool under way ends; concurrent calls wait for it.
	connecting map[string]chan struct{}
	breaker    *breaker
}

// reconnectEvery spaces the attempts to open a tenant's database that could
// not be opened (at start-up, during an outage).
const reconnectEvery = 5 * time.Second

// closeGrace is how long a replaced or disconnected pool stays open for the
// calls that still use it; no call outlives the maximum call timeout.
const closeGrace = 30 * time.Second

type scriptKey struct {
	tenant  string
	version int
}

var _ auth.Scripts = (*Manager)(nil)

// New returns a Manager that runs modules on engine, loads module metadata
// from store, confines SQLite connections to sqliteRoot/{tenant}/ and
// PostgreSQL and MySQL connections to networks, or when it is empty to
// legacydb's default (legacydb.Config.Networks), and logs to log.
func New(engine *runtime.Engine, store auth.Store, sqliteRoot string, networks []netip.Prefix, log *slog.Logger) *Manager {
	return &Manager{
		engine:     engine,
		store:      store,
		sqliteRoot: sqliteRoot,
		networks:   networks,
		log:        log,
		dbs:        map[string]*legacydb.DB{},
		opened:     map[string]string{},
		shas:       map[scriptKey]string{},
		attempts:   map[string]time.Time{},
		retiring:   map[*legacydb.DB]*time.Timer{},
		connecting: map[string]chan struct{}{},
		breaker:    newBreaker(time.Now),
	}
}

// Loader loads a module's bytes from the store, for runtime.Config.Loader.
func Loader(store auth.Store) func(ctx context.Context, tenant string, version int) ([]byte, error) {
	return func(ctx context.Context, tenant string, version int) ([]byte, error) {
		_, module, err := store.GetScript(ctx, tenant, version)
		return module, err
	}
}

// Validate checks and compiles a module.
func (m *Manager) Validate(ctx context.Context, module []byte) (auth.ModuleInfo, error) {
	info, err := m.engine.Compile(ctx, module)
	if err != nil {
		var me *runtime.ModuleError
		switch {
		case errors.Is(err, runtime.ErrModuleTooLarge):
			return auth.ModuleInfo{}, auth.Wrap(err, auth.CodeModuleTooLarge, "the module is larger than the limit")
		case errors.As(err, &me):
			return auth.ModuleInfo{}, auth.Wrap(err, auth.CodeInvalidModule, me.Reason)
		}
		return auth.ModuleInfo{}, err
	}
	return auth.ModuleInfo{SHA256: info.SHA256, Size: info.Size, Exports: info.Exports}, nil
}

// input is the ABI's input JSON. Driver ("postgres", "mysql", "sqlite", or
// absent without a connection) is an addition to ABI v1: it tells the script
// which placeholders its queries need.
type input struct {
	Identifier string         `json:"identifier"`
	Password   *string        `json:"password,omitempty"`
	Tenant     string         `json:"tenant"`
	Config     map[string]any `json:"config"`
	Driver     string         `json:"driver,omitempty"`
}

// listInput is list_users's input (ABI v1.1).
type listInput struct {
	Op     string         `json:"op"`
	Cursor *string        `json:"cursor"`
	Limit  int            `json:"limit"`
	Config map[string]any `json:"config"`
	Driver string         `json:"driver,omitempty"`
}

// countInput is count_users's input (ABI v1.1).
type countInput struct {
	Op     string         `json:"op"`
	Config map[string]any `json:"config"`
	Driver string         `json:"driver,omitempty"`
}

// verifyInput is verify_hash's input (ABI v1.1): no driver, as the call
// gets no database.
type verifyInput struct {
	Op           string         `json:"op"`
	PasswordHash string         `json:"password_hash"`
	Password     string         `json:"password"`
	Config       map[string]any `json:"config"`
}

// callInput returns the ABI input JSON of a call and the tenant's limits.
func callInput(c auth.ScriptCall) ([]byte, runtime.Limits, error) {
	t := c.Tenant
	in := input{Identifier: c.Identifier, Tenant: t.ID, Config: map[string]any{}}
	if c.Op == auth.OpLogin {
		pw := c.Password
		in.Password = &pw
	}
	var lim runtime.Limits
	if t.Connection != nil {
		if t.Connection.Config != nil {
			in.Config = t.Connection.Config
		}
		lim = RuntimeLimits(t.Connection.Limits)
		in.Driver = t.Connection.Driver
	}
	var v any = in
	switch c.Op {
	case auth.OpListUsers:
		v = listInput{Op: c.Op, Cursor: c.Cursor, Limit: c.Limit, Config: in.Config, Driver: in.Driver}
	case auth.OpCountUsers:
		v = countInput{Op: c.Op, Config: in.Config, Driver: in.Driver}
	case auth.OpVerifyHash:
		v = verifyInput{Op: c.Op, PasswordHash: c.PasswordHash, Password: c.Password, Config: in.Config}
	}
	body, err := json.Marshal(v)
	return body, lim, err
}

// Call runs one operation of a tenant's module.
func (m *Manager) Call(ctx context.Context, c auth.ScriptCall) (*auth.ScriptResult, error) {
	t := c.Tenant
	sha, err := m.sha(ctx, t.ID, c.Version)
	if err != nil {
		return nil, err
	}
	body, lim, err := callInput(c)
	if err != nil {
		return nil, err
	}
	req := runtime.CallRequest{Tenant: t.ID, Version: c.Version, SHA256: sha, Op: c.Op, Input: body, Limits: lim, Background: c.Background}
	if db := m.dbFor(ctx, t); db != nil {
		req.DB = db
	}
	key := scriptKey{t.ID, c.Version}
	if ok, wait := m.breaker.allow(key); !ok && !c.DryRun {
		return &auth.ScriptResult{}, &auth.ScriptError{
			Kind:    "unavailable",
			Message: fmt.Sprintf("the module kept running out of fuel or time; its calls are held back for %s", wait.Round(time.Millisecond)),
		}
	}
	res, err := m.engine.Call(ctx, req)
	opened, cool := m.breaker.record(key, exhausted(err))
	out := convert(res, c.Op)
	if opened {
		out.Logs = append(out.Logs, auth.LogEntry{
			Time: time.Now().UTC(), Level: "error", Op: "host",
			Message: fmt.Sprintf("version %d keeps running out of fuel or time: its calls are held back for %s (a test call still runs)", c.Version, cool),
		})
	}
	if err != nil {
		var ce *runtime.CallError
		if errors.As(err, &ce) {
			out.Logs = append(out.Logs, auth.LogEntry{
				Time: time.Now().UTC(), Level: "error", Op: c.Op,
				Message: fmt.Sprintf("%s failed: %s: %s", c.Op, ce.Kind, ce.Message),
			})
			return out, &auth.ScriptError{Kind: ce.Kind, Message: ce.Message}
		}
		out.Logs = append(out.Logs, auth.LogEntry{
			Time: time.Now().UTC(), Level: "error", Op: c.Op,
			Message: fmt.Sprintf("%s could not run: the module could not be loaded", c.Op),
		})
		return out, fmt.Errorf("running %s of tenant %s: %w", c.Op, t.ID, err)
	}
	if a := res.Answer; a != nil {
		out.Reason = a.Reason
		out.ID = a.ID
		if a.User != nil {
			out.User = legacyUser(a.User)
			out.User.PasswordHash = "" // a login's answer has no hash to keep
		}
		for _, u := range a.Users {
			out.Users = append(out.Users, legacyUser(u))
		}
		for _, iu := range a.Invalid {
			out.Invalid = append(out.Invalid, auth.InvalidLegacyUser{ID: iu.ID, Message: iu.Message})
		}
		out.NextCursor = a.NextCursor
		out.OK = a.OK
		out.Count = a.Count
	}
	return out, nil
}

// legacyUser converts a user of a module's answer.
func legacyUser(u *runtime.User) *auth.LegacyUser {
	lu := &auth.LegacyUser{
		ID: u.ID, Email: u.Email, Username: u.Username,
		EmailVerified: u.EmailVerified, Name: u.Name, Profile: u.Profile,
	}
	if u.PasswordHash != nil {
		lu.PasswordHash = *u.PasswordHash
	}
	return lu
}

// CheckLegacyHash reports whether the server verifies hash itself.
func (m *Manager) CheckLegacyHash(hash string) error { return m.engine.CheckLegacyHash(hash) }

// VerifyLegacyHash checks pw against a legacy hash in the legacy hash pool.
func (m *Manager) VerifyLegacyHash(ctx context.Context, tenant, hash, pw string) (bool, error) {
	return m.engine.VerifyLegacyHash(ctx, tenant, hash, pw)
}

// convert copies what the engine reported into the domain's result.
func convert(res *runtime.Result, op string) *auth.ScriptResult {
	out := &auth.ScriptResult{}
	if res == nil {
		return out
	}
	out.FuelUsed = res.FuelUsed
	out.Duration = res.Duration
	if len(res.Output) > 0 && json.Valid(res.Output) {
		out.Output = json.RawMessage(res.Output)
	}
	now := time.Now().UTC()
	for _, l := range res.Logs {
		out.Logs = append(out.Logs, auth.LogEntry{Time: now, Level: l.Level.String(), Op: op, Message: l.Message})
	}
	if res.LogsDropped > 0 {
		out.Logs = append(out.Logs, auth.LogEntry{
			Time: now, Level: "warn", Op: op,
			Message: fmt.Sprintf("%d log lines over the per-call limit were dropped", res.LogsDropped),
		})
	}
	return out
}

// RuntimeLimits returns a tenant's (or the operator's) limits as the engine
// takes them; zero fields stay zero, and the engine fills them with its
// defaults.
func RuntimeLimits(l auth.Limits) runtime.Limits {
	return runtime.Limits{
		Timeout:    time.Duration(l.TimeoutMS) * time.Millisecond,
		Memory:     int64(l.MemoryMB) << 20,
		Fuel:       l.Fuel,
		MaxQueries: l.MaxQueries,
		MaxRows:    l.MaxRows,
		Instances:  l.Instances,
	}
}

// CheckLimits refuses a tenant's limits that are negative or above the
// engine's maxima, which the engine itself keeps.
func (m *Manager) CheckLimits(l auth.Limits) error {
	var neg []string
	for name, v := range map[string]int64{
		"timeout_ms": int64(l.TimeoutMS), "memory_mb": int64(l.MemoryMB), "fuel": l.Fuel,
		"max_queries": int64(l.MaxQueries), "max_rows": int64(l.MaxRows), "instances": int64(l.Instances),
	} {
		if v < 0 {
			neg = append(neg, name+" must not be negative")
		}
	}
	if len(neg) > 0 {
		slices.Sort(neg)
		return auth.Errorf(auth.CodeInvalidLimits, "%s", strings.Join(neg, "; "))
	}
	var le *runtime.LimitsError
	if err := m.engine.CheckLimits(RuntimeLimits(l)); errors.As(err, &le) {
		return auth.Errorf(auth.CodeInvalidLimits, "%s", strings.Join(le.Problems, "; "))
	} else if err != nil {
		return err
	}
	return nil
}

// sha returns the module hash of a version, from a cache or the store.
func (m *Manager) sha(ctx context.Context, tenant string, version int) (string, error) {
	key := scriptKey{tenant, version}
	m.mu.RLock()
	sha, ok := m.shas[key]
	m.mu.RUnlock()
	if ok {
		return sha, nil
	}
	list, err := m.store.ListScripts(ctx, tenant)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range list {
		m.shas[scriptKey{tenant, s.Version}] = s.SHA256
	}
	sha, ok = m.shas[key]
	if !ok {
		return "", fmt.Errorf("tenant %s has no script version %d", tenant, version)
	}
	return sha, nil
}

// dbFor returns the tenant's pool, if it was opened for the tenant's
// current connection: another server sharing the store may have set or
// deleted the connection, and t is read from the store for each request. A
// tenant with a connection but no such pool (its database was down when
// the server started, or the connection changed) gets a new attempt to open
// it, at most every reconnectEvery, and a failed one is logged; calls that
// come meanwhile wait for it. Once open, database/sql reconnects by itself.
func (m *Manager) dbFor(ctx context.Context, t *auth.Tenant) *legacydb.DB {
	if t.Connection == nil {
		return nil
	}
	want := connKey(t.Connection)
	if db := m.pool(t.ID, want); db != nil {
		return db
	}
	m.mu.Lock()
	if wait, ok := m.connecting[t.ID]; ok {
		m.mu.Unlock()
		select {
		case <-wait:
			return m.pool(t.ID, want)
		case <-ctx.Done():
			return nil
		}
	}
	if last, ok := m.attempts[t.ID]; ok && time.Since(last) < reconnectEvery {
		m.mu.Unlock()
		return nil
	}
	m.attempts[t.ID] = time.Now()
	wait := make(chan struct{})
	m.connecting[t.ID] = wait
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.connecting, t.ID)
		m.mu.Unlock()
		close(wait)
	}()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := m.Connect(cctx, t.ID, t.Connection); err != nil {
		m.log.Warn("the legacy database could not be opened; the call runs without it", "tenant", t.ID, "retry_in", reconnectEvery.String(), "err", err)
		return nil
	}
	return m.pool(t.ID, want)
}

// pool returns the tenant's pool if it was opened with connKey want.
func (m *Manager) pool(tenant, want string) *legacydb.DB {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.opened[tenant] != want {
		return nil
	}
	return m.dbs[tenant]
}

// connKey identifies what a tenant's pool was opened with.
func connKey(c *auth.Connection) string {
	return c.Driver + "\x00" + c.DSN + "\x00" + strconv.Itoa(c.Limits.Instances)
}

// Connect opens and pings a tenant's legacy database and, when that works,
// replaces its current pool.
func (m *Manager) Connect(ctx context.Context, tenant string, c *auth.Connection) error {
	conns := c.Limits.Instances
	if conns <= 0 {
		conns = m.engine.DefaultLimits().Instances
	}
	db, err := legacydb.Open(ctx, legacydb.Config{
		Driver: c.Driver, DSN: c.DSN, SQLiteRoot: m.sqliteRoot, Tenant: tenant, MaxOpenConns: conns,
		Networks: m.networks,
	})
	if err != nil {
		var ce *legacydb.ConnectError
		if errors.As(err, &ce) {
			return auth.Wrap(err, auth.CodeConnectionFailed, fmt.Sprintf("%s connection failed: %s", ce.Driver, ce.Reason))
		}
		return auth.Wrap(err, auth.CodeConnectionFailed, "the database could not be opened")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.retireLocked(m.dbs[tenant])
	m.dbs[tenant] = db
	m.opened[tenant] = connKey(c)
	delete(m.attempts, tenant)
	return nil
}

// Disconnect closes a tenant's legacy database after closeGrace, so calls in
// flight finish on it; new calls find no database.
func (m *Manager) Disconnect(tenant string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.retireLocked(m.dbs[tenant])
	delete(m.dbs, tenant)
	delete(m.opened, tenant)
	delete(m.attempts, tenant)
}

// retireLocked closes db (if not nil) after closeGrace, or at Close if that
// comes first. The caller holds m.mu.
func (m *Manager) retireLocked(db *legacydb.DB) {
	if db == nil {
		return
	}
	m.retiring[db] = time.AfterFunc(closeGrace, func() {
		m.mu.Lock()
		delete(m.retiring, db)
		m.mu.Unlock()
		_ = db.Close()
	})
}

// Forget drops the tenant's pools, instances and cached metadata.
func (m *Manager) Forget(tenant string) {
	m.Disconnect(tenant)
	m.engine.Forget(tenant)
	m.breaker.forget(tenant)
	m.mu.Lock()
	for k := range m.shas {
		if k.tenant == tenant {
			delete(m.shas, k)
		}
	}
	m.mu.Unlock()
}

// ForgetVersion drops what is kept for a deleted version: its module hash,
// its breaker state, and the tenant's idle instances of its module. The
// compiled module, which other tenants or versions with the same bytes may
// share, is closed by the engine's sweep once no instance uses it.
func (m *Manager) ForgetVersion(tenant string, version int) {
	key := scriptKey{tenant, version}
	m.mu.Lock()
	sha, ok := m.shas[key]
	delete(m.shas, key)
	m.mu.Unlock()
	m.breaker.forgetKey(key)
	if ok {
		m.engine.EvictModule(tenant, sha)
	}
}

// Close closes every legacy database, the retiring ones too.
func (m *Manager) Close() {
	m.mu.Lock()
	dbs := slices.Collect(maps.Values(m.dbs))
	for db, t := range m.retiring {
		t.Stop()
		dbs = append(dbs, db)
	}
	m.dbs = map[string]*legacydb.DB{}
	m.retiring = map[*legacydb.DB]*time.Timer{}
	m.mu.Unlock()
	for _, db := range dbs {
		_ = db.Close()
	}
}
