package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmauth/wasmauth/host"
)

// Database is the tenant's legacy database, as db_query uses it.
type Database = host.Database

// LogLine is one line of a call's log.
type LogLine = host.LogLine

// CallRequest is one call of a tenant's module.
type CallRequest struct {
	Tenant  string
	Version int    // the module version, passed to Config.Loader
	SHA256  string // hex SHA-256 of the module's bytes (ModuleInfo.SHA256); required
	Op      string // OpLogin, OpGetUser, or an optional export the module has
	Input   []byte // the input JSON
	Limits  Limits // zero fields take the engine's defaults
	// DB is the legacy database; a verify_hash call never gets one
	// (db_query answers -4 there).
	DB Database
	// Background marks work no request waits for (a migration drain): it
	// takes an execution slot only while no other call waits for one.
	Background bool
}

// Result is what a call produced. Call returns it also when the call failed:
// the logs explain failures.
type Result struct {
	Output       []byte  // the answer JSON, as the guest set it
	Answer       *Answer // Output parsed; nil when the call failed
	Logs         []LogLine
	LogsDropped  int
	FuelUsed     int64
	Queries      int           // db_query calls made
	Duration     time.Duration // the whole call, waiting and a new instance included
	Cold         bool          // a new instance was created for the call
	InitFuelUsed int64         // fuel of the new instance's _initialize
	InitDuration time.Duration // time of the new instance's _initialize
}

// Call runs req.Op of a tenant's module on a pooled instance, creating one
// (and running its _initialize) when none is idle, within req.Limits. A
// module not compiled yet is fetched with Config.Loader and compiled.
//
// A failure of the guest is a *CallError, with the Result holding the logs;
// the instance is then thrown away, except after a plain non-zero return.
// Other errors (req is malformed, the module cannot be loaded, the engine is
// closed) are plain errors.
func (e *Engine) Call(ctx context.Context, req CallRequest) (*Result, error) {
	start := time.Now()
	res := &Result{}
	switch req.Op {
	case OpLogin, OpGetUser, OpListUsers, OpVerifyHash, OpCountUsers:
	default:
		return res, fmt.Errorf("runtime: unknown op %q", req.Op)
	}
	if req.SHA256 == "" {
		return res, errors.New("runtime: CallRequest.SHA256 is required")
	}
	lim := req.Limits.fill(e.cfg.Defaults).clamp(e.cfg.Max)
	if len(req.Input) > lim.MaxInput {
		return res, callErrorf(KindLimit, "input is %d bytes, the limit is %d", len(req.Input), lim.MaxInput)
	}
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()

	c, err := e.module(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return res, callErrorf(KindDeadline, "loading the module: %v", ctx.Err())
		}
		return res, err
	}
	if !slices.Contains(c.info.Exports, req.Op) {
		return res, callErrorf(KindScriptFailed, "the module does not export %q", req.Op)
	}
	db := req.DB
	if req.Op == OpVerifyHash {
		db = nil
	}
	hc := host.NewCall(req.Input, db, hostLimits(lim))
	if req.Op == OpVerifyHash {
		hc.ForbidQueries()
	}
	defer func() {
		res.Logs, res.LogsDropped = hc.Logs()
		res.Queries = hc.Queries()
		res.Duration = time.Since(start)
	}()
	inst, initRes, err := e.acquire(ctx, req.Tenant, c, lim, hc)
	if initRes != nil {
		res.Cold = true
		res.InitFuelUsed, res.InitDuration = initRes.InitFuelUsed, initRes.InitDuration
	}
	if err != nil {
		return res, err
	}

	admitted, err := e.admitted(ctx, req.Tenant, hc, req.Background)
	if err != nil {
		e.release(inst, true)
		return res, overloadf("no execution slot within the deadline (the server runs other calls)")
	}
	unbind := inst.binding.Bind(ctx, hc)
	inst.memLimit.bytes.Store(lim.Memory)
	inst.memLimit.refused.Store(false)
	used, err := inst.run(host.WithCall(ctx, hc), inst.ops[req.Op], lim.Fuel)
	unbind()
	admitted.Release()
	res.FuelUsed = used

	end := ending{
		op:         req.Op,
		exited:     isExit0(err),
		ret:        int32(inst.stack[0]),
		memRefused: inst.memLimit.refused.Load(),
		memSize:    int64(inst.mem.Size()),
		memLimit:   lim.Memory,
	}
	if err != nil && !end.exited {
		end.failed = e.translate(ctx, err, inst.remaining(), req.Op)
	}
	end.output, end.outputSet = hc.Output()
	o := end.decide()
	e.release(inst, o.keep)
	res.Output, res.Answer = o.output, o.answer
	return res, o.err
}

// admitted takes an execution slot for a call of tenant and lets hc lend it
// to other calls while the guest waits on its database, a hash or a sleep.
func (e *Engine) admitted(ctx context.Context, tenant string, hc *host.Call, background bool) (*slot, error) {
	if background {
		if err := e.admit.idle(ctx); err != nil {
			return nil, err
		}
	}
	s, err := e.admit.take(ctx, tenant)
	if err != nil {
		return nil, err
	}
	hc.SetTenant(tenant)
	hc.SetYield(func() func(context.Context) error {
		s.Release()
		return s.Reacquire
	})
	return s, nil
}

func isExit0(err error) bool {
	var exit *sys.ExitError
	return errors.As(err, &exit) && exit.ExitCode() == 0
}

// maxMessage bounds a CallError's message (a trap's stack trace can be long).
const maxMessage = 2 << 10

// translate turns an error from wazero into a *CallError, once: exits, fuel
// exhaustion, deadlines, aborts and traps. remaining is the fuel left
// (negative when it ran out); what names the export or phase.
func (e *Engine) translate(ctx context.Context, err error, remaining int64, what string) error {
	var exit *sys.ExitError
	var abort *host.AbortError
	var dl *host.DeadlineError
	var dr *drainedError
	switch {
	case errors.As(err, &dl) && dl.Overload:
		return overloadf("%s: the call ran out of time waiting for the server in %s", what, dl.Func)
	case errors.As(err, &dl):
		return callErrorf(KindDeadline, "%s: the call ran out of time in %s", what, dl.Func)
	case errors.As(err, &dr):
		return callErrorf(KindDeadline, "%s: the call ran out of time", what)
	case errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeDeadlineExceeded,
		errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeContextCanceled:
		return callErrorf(KindDeadline, "%s: the call ran out of time", what)
	case errors.As(err, &exit):
		return callErrorf(KindScriptFailed, "%s exited with code %d", what, exit.ExitCode())
	case remaining < 0 && !e.cfg.NoFuel:
		return callErrorf(KindOutOfFuel, "%s ran out of fuel", what)
	case errors.As(err, &dl):
		return callErrorf(KindDeadline, "%s: the call ran out of time in %s", what, dl.Func)
	case ctx.Err() != nil:
		return callErrorf(KindDeadline, "%s: the call ran out of time", what)
	case errors.As(err, &abort):
		return callErrorf(KindTrap, "%s: %s", what, abort.Error())
	}
	msg := strings.ReplaceAll(err.Error(), " (recovered by wazero)", "")
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "..."
	}
	return callErrorf(KindTrap, "%s: %s", what, strings.ToValidUTF8(msg, "?"))
}

// hostLimits returns the host's per-call limits for lim.
func hostLimits(lim Limits) host.Limits {
	return host.Limits{
		MaxInput:    lim.MaxInput,
		MaxOutput:   lim.MaxOutput,
		MaxLogLines: lim.MaxLogLines,
		MaxQueries:  lim.MaxQueries,
		MaxRows:     lim.MaxRows,
		MaxResponse: lim.MaxResponse,
	}
}

// module returns the compiled module of req, loading it when needed.
func (e *Engine) module(ctx context.Context, req CallRequest) (*compiled, error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	c, ok := e.modules[req.SHA256]
	if ok {
		c.lastUsed = time.Now()
	}
	e.mu.Unlock()
	if ok {
		return c, nil
	}
	if e.cfg.Loader == nil {
		return nil, fmt.Errorf("runtime: module %s of tenant %q is not compiled and no Loader is configured", req.SHA256, req.Tenant)
	}
	wasm, err := e.cfg.Loader(ctx, req.Tenant, req.Version)
	if err != nil {
		return nil, fmt.Errorf("runtime: load version %d of tenant %q: %w", req.Version, req.Tenant, err)
	}
	c, err = e.compile(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("runtime: compile version %d of tenant %q: %w", req.Version, req.Tenant, err)
	}
	if c.info.SHA256 != req.SHA256 {
		return nil, fmt.Errorf("runtime: version %d of tenant %q has SHA-256 %s, expected %s", req.Version, req.Tenant, c.info.SHA256, req.SHA256)
	}
	return c, nil
}
