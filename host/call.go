package host

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Level is the level of a log line, as the ABI's log function numbers it.
type Level int

// Log levels of the ABI's log function.
const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
)

// String returns the level's name: "debug", "info", "warn" or "error".
func (l Level) String() string {
	switch l {
	case LevelDebug:
		return "debug"
	case LevelInfo:
		return "info"
	case LevelWarn:
		return "warn"
	case LevelError:
		return "error"
	}
	return "level(" + strconv.Itoa(int(l)) + ")"
}

// valid reports whether l is one of the ABI's levels.
func (l Level) valid() bool { return l >= LevelDebug && l <= LevelError }

// Default per-call limits, as in the ABI.
const (
	DefaultMaxInput     = 64 << 10
	DefaultMaxOutput    = 64 << 10
	DefaultMaxLogLines  = 50
	DefaultMaxLogLine   = 1 << 10
	DefaultMaxQueries   = 10
	DefaultMaxRows      = 100
	DefaultMaxResponse  = 256 << 10
	DefaultMaxRequest   = 64 << 10
	DefaultMaxHashInput = 4 << 10
	DefaultMaxDigest    = 64 << 10
)

// Limits bounds what one call may do through the host functions. A zero field
// takes the default of the same name.
type Limits struct {
	MaxInput     int // bytes of input JSON (checked by the caller of NewCall)
	MaxOutput    int // bytes accepted by output_set
	MaxLogLines  int // lines kept per call; later lines are dropped and counted
	MaxLogLine   int // bytes per line; longer lines are cut
	MaxQueries   int // db_query calls per call
	MaxRows      int // rows per db_query response
	MaxResponse  int // bytes per db_query response
	MaxRequest   int // bytes of a db_query request
	MaxHashInput int // bytes of each of verify_password's hash and password
	MaxDigest    int // bytes of digest's data
}

// withDefaults returns l with every zero field set to its default.
func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxInput, DefaultMaxInput)
	def(&l.MaxOutput, DefaultMaxOutput)
	def(&l.MaxLogLines, DefaultMaxLogLines)
	def(&l.MaxLogLine, DefaultMaxLogLine)
	def(&l.MaxQueries, DefaultMaxQueries)
	def(&l.MaxRows, DefaultMaxRows)
	def(&l.MaxResponse, DefaultMaxResponse)
	def(&l.MaxRequest, DefaultMaxRequest)
	def(&l.MaxHashInput, DefaultMaxHashInput)
	def(&l.MaxDigest, DefaultMaxDigest)
	return l
}

// LogLine is one line a guest logged, through log or its stdout and stderr.
type LogLine struct {
	Level   Level  `json:"level"`
	Message string `json:"message"`
}

// Call is the state of one guest call: its input, its answer, its log, its
// database and its counters. The runtime creates one per call, attaches it to
// the call's context with WithCall, and reads the results after the guest
// returns. A Call is safe for concurrent use, although a guest calls the host
// from one goroutine.
type Call struct {
	input  []byte
	db     Database
	limits Limits

	mu        sync.Mutex
	output    []byte
	outputSet bool
	logs      []LogLine
	dropped   int
	queries   int
	last      []byte
	partial   [2][]byte // unterminated stdout (0) and stderr (1) text
	skipping  [2]bool   // the rest of an over-long stdout/stderr line is being dropped

	// yield, when set, gives up the call's execution slot while the guest
	// waits in a host function, and returns how to take it back.
	yield func() (resume func(context.Context) error)
	// tenant names whose share of the legacy hash pool verify_password takes.
	tenant string
	// noQueries makes db_query answer StatusLimit (a verify_hash call).
	noQueries bool
}

// ForbidQueries makes every db_query of the call answer StatusLimit (-4):
// verify_hash needs no database and gets none.
func (c *Call) ForbidQueries() { c.noQueries = true }

// SetTenant names the tenant the call runs for: its verify_password hashes
// take that tenant's share of the legacy hash pool.
func (c *Call) SetTenant(tenant string) { c.tenant = tenant }

// SetYield lets the embedding runtime lend the call's execution slot to
// other calls while this one waits on its database or a password hash:
// yield gives the slot up and returns resume, which takes it back (or fails
// when ctx ends first). Host functions call them from the guest's goroutine.
func (c *Call) SetYield(yield func() (resume func(context.Context) error)) {
	c.yield = yield
}

// whileWaiting runs wait with the call's execution slot given up, then
// takes the slot back. When ctx ended during wait, it does not: the caller
// ends the guest for its own time. It returns an error when ctx ended while
// the slot was being taken back: the host was overloaded.
func (c *Call) whileWaiting(ctx context.Context, wait func()) error {
	if c.yield == nil {
		wait()
		return nil
	}
	resume := c.yield()
	wait()
	if ctx.Err() != nil {
		return nil
	}
	return resume(ctx)
}

// endIfDone ends the guest when ctx has ended: with an overload
// DeadlineError when waitErr (from whileWaiting, or from waiting for the
// host's resources) is set, else with its own deadline.
func endIfDone(ctx context.Context, fn string, waitErr error) {
	if waitErr != nil {
		panic(&DeadlineError{Func: fn, Err: waitErr, Overload: true})
	}
	if err := ctx.Err(); err != nil {
		panic(&DeadlineError{Func: fn, Err: err})
	}
}

// NewCall returns the state of a call with the given input JSON, database (nil
// when the tenant has no connection) and limits. The input is not copied; the
// caller must not modify it while the call runs.
func NewCall(input []byte, db Database, limits Limits) *Call {
	return &Call{input: input, db: db, limits: limits.withDefaults()}
}

// Output returns the answer the guest set with output_set, and whether it set one.
func (c *Call) Output() ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.output, c.outputSet
}

// Logs returns the lines logged so far, including unterminated stdout and stderr
// text, and how many lines were dropped over the limit.
func (c *Call) Logs() ([]LogLine, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
	return append([]LogLine(nil), c.logs...), c.dropped
}

// Queries returns how many db_query calls the guest made.
func (c *Call) Queries() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queries
}

// Log adds a line to the call's log, as the guest's log function does: an
// invalid level or a line beyond the limit is dropped, a long line is cut.
func (c *Call) Log(level Level, msg string) {
	if !level.valid() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addLocked(level, []byte(msg))
}

// AppendLogs adds lines logged elsewhere (for example while an instance ran
// _initialize for this call) under the same limits.
func (c *Call) AppendLogs(lines []LogLine, dropped int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range lines {
		c.addLocked(l.Level, []byte(l.Message))
	}
	c.dropped += dropped
}

// addLocked appends one line, cut to the line limit, or counts it as dropped.
func (c *Call) addLocked(level Level, msg []byte) {
	if len(c.logs) >= c.limits.MaxLogLines {
		c.dropped++
		return
	}
	c.logs = append(c.logs, LogLine{Level: level, Message: cleanLine(msg, c.limits.MaxLogLine)})
}

// cleanLine returns msg cut to max bytes at a rune boundary, with invalid UTF-8
// replaced, so that it is safe to store and to show as JSON.
func cleanLine(msg []byte, max int) string {
	if len(msg) > max {
		cut := max
		for cut > 0 && cut > max-utf8.UTFMax && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut]
	}
	return strings.ToValidUTF8(string(msg), "\uFFFD")
}

// writeStream adds text written to stdout (stream 0) or stderr (stream 1):
// complete lines become log lines, an unterminated tail waits for more text.
func (c *Call) writeStream(stream int, p []byte) {
	level := LevelInfo
	if stream == 1 {
		level = LevelError
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	max := c.limits.MaxLogLine
	for len(p) > 0 {
		i := indexNL(p)
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if !c.skipping[stream] {
			room := max - len(c.partial[stream])
			if len(chunk) > room {
				// The line is over the limit: keep what fits, drop the rest of it.
				c.partial[stream] = append(c.partial[stream], chunk[:room]...)
				c.skipping[stream] = true
			} else {
				c.partial[stream] = append(c.partial[stream], chunk...)
			}
		}
		if i < 0 {
			if c.skipping[stream] && len(c.partial[stream]) > 0 {
				// Emit the cut line now; the rest of it is dropped until '\n'.
				c.addLocked(level, c.partial[stream])
				c.partial[stream] = c.partial[stream][:0]
			}
			return
		}
		if len(c.partial[stream]) > 0 || !c.skipping[stream] {
			c.addLocked(level, c.partial[stream])
		}
		c.partial[stream] = c.partial[stream][:0]
		c.skipping[stream] = false
		p = p[i+1:]
	}
}

// flushLocked turns unterminated stdout and stderr text into log lines.
func (c *Call) flushLocked() {
	for stream := range c.partial {
		if len(c.partial[stream]) > 0 {
			level := LevelInfo
			if stream == 1 {
				level = LevelError
			}
			c.addLocked(level, c.partial[stream])
			c.partial[stream] = c.partial[stream][:0]
		}
	}
}

func indexNL(p []byte) int {
	for i, b := range p {
		if b == '\n' {
			return i
		}
	}
	return -1
}

type callKey struct{}

// WithCall returns a context that carries c; the wasmauth and env host
// functions find their call's state there.
func WithCall(ctx context.Context, c *Call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// CallFrom returns the call carried by ctx, or nil.
func CallFrom(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}
