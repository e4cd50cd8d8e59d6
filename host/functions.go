package host

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmauth/wasmauth/host/legacydb"
	"github.com/wasmauth/wasmauth/host/legacyhash"
)

// functions implements the wasmauth host functions. Each one takes its i32
// parameters from stack as uint32, checks every range against the guest's
// memory before touching it, copies bytes in and out (no slice of guest memory
// outlives the function) and writes its i32 result to stack[0].
type functions struct {
	hashes *hashPool
}

// callOf returns the call of ctx; a missing call is a runtime bug and traps.
func callOf(ctx context.Context) *Call {
	c := CallFrom(ctx)
	if c == nil {
		panic(errNoCall)
	}
	return c
}

// read returns a copy of [ptr, ptr+n) of the guest's memory, or false when any
// part of the range lies outside it or n is negative as an i32.
func read(mod api.Module, ptr, n uint32) ([]byte, bool) {
	view, ok := view(mod, ptr, n)
	if !ok {
		return nil, false
	}
	return append([]byte(nil), view...), true
}

// view returns [ptr, ptr+n) of the guest's memory without copying; callers
// must not keep it beyond the host function.
func view(mod api.Module, ptr, n uint32) ([]byte, bool) {
	if int32(n) < 0 {
		return nil, false
	}
	mem := mod.Memory()
	if mem == nil {
		return nil, false
	}
	if uint64(ptr)+uint64(n) > uint64(mem.Size()) {
		return nil, false
	}
	return mem.Read(ptr, n)
}

// copyOut checks [ptr, ptr+n) and copies up to n bytes of src there. It returns
// the bytes copied or StatusBadMemory.
func copyOut(mod api.Module, ptr, n uint32, src []byte) int32 {
	dst, ok := view(mod, ptr, n)
	if !ok {
		return StatusBadMemory
	}
	return int32(copy(dst, src))
}

func setResult(stack []uint64, v int32) { stack[0] = api.EncodeI32(v) }

// inputLen is input_len() -> i32.
func (f *functions) inputLen(ctx context.Context, _ api.Module, stack []uint64) {
	setResult(stack, int32(len(callOf(ctx).input)))
}

// inputRead is input_read(ptr, len) -> i32.
func (f *functions) inputRead(ctx context.Context, mod api.Module, stack []uint64) {
	c := callOf(ctx)
	setResult(stack, copyOut(mod, uint32(stack[0]), uint32(stack[1]), c.input))
}

// outputSet is output_set(ptr, len) -> i32.
func (f *functions) outputSet(ctx context.Context, mod api.Module, stack []uint64) {
	c := callOf(ctx)
	ptr, n := uint32(stack[0]), uint32(stack[1])
	v, ok := view(mod, ptr, n)
	if !ok {
		setResult(stack, StatusBadMemory)
		return
	}
	if len(v) > c.limits.MaxOutput {
		setResult(stack, StatusTooLarge)
		return
	}
	out := append([]byte(nil), v...)
	c.mu.Lock()
	c.output, c.outputSet = out, true
	c.mu.Unlock()
	setResult(stack, 0)
}

// log is log(level, ptr, len).
func (f *functions) log(ctx context.Context, mod api.Module, stack []uint64) {
	c := callOf(ctx)
	level, ptr, n := Level(int32(stack[0])), uint32(stack[1]), uint32(stack[2])
	if !level.valid() {
		return
	}
	v, ok := view(mod, ptr, n)
	if !ok {
		return
	}
	if len(v) > c.limits.MaxLogLine {
		v = v[:c.limits.MaxLogLine]
	}
	c.mu.Lock()
	c.addLocked(level, v) // addLocked copies through cleanLine
	c.mu.Unlock()
}

// dbQuery is db_query(ptr, len) -> i32.
func (f *functions) dbQuery(ctx context.Context, mod api.Module, stack []uint64) {
	c := callOf(ctx)
	req, ok := view(mod, uint32(stack[0]), uint32(stack[1]))
	if !ok {
		setResult(stack, StatusBadMemory)
		return
	}
	if c.noQueries {
		setResult(stack, StatusLimit)
		return
	}
	if c.db == nil {
		setResult(stack, StatusNoConnection)
		return
	}
	if len(req) > c.limits.MaxRequest {
		setResult(stack, StatusTooLarge)
		return
	}
	c.mu.Lock()
	if c.queries >= c.limits.MaxQueries {
		c.mu.Unlock()
		setResult(stack, StatusLimit)
		return
	}
	c.queries++
	c.mu.Unlock()
	req = append([]byte(nil), req...)

	var resp []byte
	var err error
	werr := c.whileWaiting(ctx, func() {
		resp, err = c.db.Query(ctx, req, legacydb.Limits{MaxRows: c.limits.MaxRows, MaxBytes: c.limits.MaxResponse})
	})
	endIfDone(ctx, "db_query", werr)
	switch {
	case errors.Is(err, legacydb.ErrTooLarge):
		setResult(stack, StatusTooLarge)
		return
	case err != nil:
		// A failure outside SQL (the connection dropped, the driver failed)
		// is data too: the script decides what it means.
		resp = errorJSON(err.Error())
	}
	c.setLast(resp)
	setResult(stack, int32(len(resp)))
}

// errorJSON returns {"error": msg}.
func errorJSON(msg string) []byte {
	var b strings.Builder
	b.WriteString(`{"error":`)
	b.WriteString(quoteJSON(msg))
	b.WriteString("}")
	return []byte(b.String())
}

func (c *Call) setLast(b []byte) {
	c.mu.Lock()
	c.last = b
	c.mu.Unlock()
}

// resultRead is result_read(ptr, len) -> i32.
func (f *functions) resultRead(ctx context.Context, mod api.Module, stack []uint64) {
	c := callOf(ctx)
	c.mu.Lock()
	last := c.last
	c.mu.Unlock()
	setResult(stack, copyOut(mod, uint32(stack[0]), uint32(stack[1]), last))
}

// verifyPassword is verify_password(hash_ptr, hash_len, pw_ptr, pw_len) -> i32.
func (f *functions) verifyPassword(ctx context.Context, mod api.Module, stack []uint64) {
	c := callOf(ctx)
	hashView, ok1 := view(mod, uint32(stack[0]), uint32(stack[1]))
	pwView, ok2 := view(mod, uint32(stack[2]), uint32(stack[3]))
	if !ok1 || !ok2 {
		setResult(stack, StatusBadMemory)
		return
	}
	if len(hashView) > c.limits.MaxHashInput || len(pwView) > c.limits.MaxHashInput {
		setResult(stack, StatusTooLarge)
		return
	}
	hash := append([]byte(nil), hashView...)
	pw := append([]byte(nil), pwView...)

	cost, err := f.hashes.check(ctx, hash, pw)
	if err != nil {
		var nt *noTimeError
		if errors.As(err, &nt) {
			c.Log(LevelWarn, "verify_password: "+err.Error())
		}
		if errors.Is(err, legacyhash.ErrTooExpensive) {
			setResult(stack, StatusTooLarge)
		} else {
			setResult(stack, StatusUnknownHash)
		}
		return
	}
	var r hashResult
	var overload error
	werr := c.whileWaiting(ctx, func() {
		r, overload = f.hashes.run(ctx, c.tenant, cost, hash, pw)
	})
	endIfDone(ctx, "verify_password", cmp.Or(overload, werr))
	switch {
	case errors.Is(r.err, legacyhash.ErrTooExpensive):
		setResult(stack, StatusTooLarge)
	case r.err != nil:
		setResult(stack, StatusUnknownHash)
	case r.ok:
		setResult(stack, 1)
	default:
		setResult(stack, 0)
	}
}

// maxAlgoName bounds digest's algorithm name, an HMAC key included;
// longer names are unknown.
const maxAlgoName = 32 + legacyhash.MaxHMACKey

// digest is digest(algo_ptr, algo_len, data_ptr, data_len) -> i32.
func (f *functions) digest(ctx context.Context, mod api.Module, stack []uint64) {
	c := callOf(ctx)
	algo, ok1 := view(mod, uint32(stack[0]), uint32(stack[1]))
	data, ok2 := view(mod, uint32(stack[2]), uint32(stack[3]))
	if !ok1 || !ok2 {
		setResult(stack, StatusBadMemory)
		return
	}
	if len(algo) > maxAlgoName {
		setResult(stack, StatusUnknownHash)
		return
	}
	if len(data) > c.limits.MaxDigest {
		setResult(stack, StatusTooLarge)
		return
	}
	sum, err := legacyhash.Digest(string(algo), data)
	if err != nil {
		setResult(stack, StatusUnknownHash)
		return
	}
	c.setLast(sum)
	setResult(stack, int32(len(sum)))
}

// Bounds of the AssemblyScript string env.abort reads.
const maxAbortChars = 512

// abort is AssemblyScript's env.abort(msg, file, line, column): it logs the
// message and fails the call. AssemblyScript strings are UTF-16LE with their
// byte length in the uint32 just before the pointer; they are read
// defensively, as a guest may pass anything.
func abort(ctx context.Context, mod api.Module, stack []uint64) {
	msg := asString(mod, uint32(stack[0]))
	file := asString(mod, uint32(stack[1]))
	line, col := uint32(stack[2]), uint32(stack[3])
	text := msg
	if file != "" {
		text = fmt.Sprintf("%s at %s:%d:%d", msg, file, line, col)
	}
	if c := CallFrom(ctx); c != nil {
		c.Log(LevelError, "abort: "+text)
	}
	panic(&AbortError{Message: text})
}

// asString reads the AssemblyScript string at ptr, cut to maxAbortChars
// characters; a null or out-of-range pointer reads as "".
func asString(mod api.Module, ptr uint32) string {
	if ptr < 4 {
		return ""
	}
	mem := mod.Memory()
	if mem == nil {
		return ""
	}
	n, ok := mem.ReadUint32Le(ptr - 4)
	if !ok {
		return ""
	}
	if n > 2*maxAbortChars {
		n = 2 * maxAbortChars
	}
	n &^= 1
	b, ok := view(mod, ptr, n)
	if !ok {
		return ""
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return strings.ToValidUTF8(string(utf16.Decode(units)), "\uFFFD")
}
