package host

import (
	"context"
	"crypto/rand"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
)

// Binding ties one guest instance to the call it is serving, for the parts
// of the ABI that receive no context from wazero: WASI stdout and stderr, and
// sleeps. The runtime keeps one Binding per instance, calls Bind before each
// call and the returned unbind after it.
type Binding struct {
	cur atomic.Pointer[bound]
}

type bound struct {
	call *Call
	ctx  context.Context
}

// Bind routes the instance's output to c and bounds its sleeps by ctx until
// the returned function is called.
func (b *Binding) Bind(ctx context.Context, c *Call) (unbind func()) {
	b.cur.Store(&bound{call: c, ctx: ctx})
	return func() { b.cur.Store(nil) }
}

// ModuleConfig returns the configuration of a guest instance bound to b: an
// anonymous module (so a compiled module can have many instances) with a
// closed WASI — no files, no environment, no arguments, empty stdin — real
// clocks, the system's CSPRNG, stdout and stderr sent to the bound call's log,
// sleeps cut short (and the call ended) by the call's context, and no start
// function called by wazero: the runtime calls _initialize itself.
func (b *Binding) ModuleConfig() wazero.ModuleConfig {
	return wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions().
		WithStdout(streamWriter{b, 0}).
		WithStderr(streamWriter{b, 1}).
		WithSysWalltime().
		WithSysNanotime().
		WithNanosleep(b.nanosleep).
		WithRandSource(rand.Reader)
}

// streamWriter writes to the bound call's log as stdout (0) or stderr (1);
// text written while no call is bound is discarded.
type streamWriter struct {
	b      *Binding
	stream int
}

func (w streamWriter) Write(p []byte) (int, error) {
	if cur := w.b.cur.Load(); cur != nil {
		cur.call.writeStream(w.stream, p)
	}
	return len(p), nil
}

// nanosleep sleeps ns nanoseconds, or until the bound call's context ends; then
// it ends the guest with a DeadlineError, so a guest cannot sleep past its
// deadline (fuel does not count time spent asleep). A sleeping guest gives
// its execution slot to other calls meanwhile.
func (b *Binding) nanosleep(ns int64) {
	cur := b.cur.Load()
	if cur == nil {
		if ns > 0 {
			time.Sleep(min(time.Duration(ns), time.Millisecond))
		}
		return
	}
	if err := cur.ctx.Err(); err != nil {
		panic(&DeadlineError{Func: "poll_oneoff", Err: err})
	}
	if ns <= 0 {
		return
	}
	t := time.NewTimer(time.Duration(ns))
	defer t.Stop()
	werr := cur.call.whileWaiting(cur.ctx, func() {
		select {
		case <-t.C:
		case <-cur.ctx.Done():
		}
	})
	endIfDone(cur.ctx, "poll_oneoff", werr)
}
