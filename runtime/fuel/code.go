package fuel

import (
	"fmt"

	"github.com/wasmauth/wasmauth/internal/wasmbin"
)

// Cost model. See doc.go for the reasoning.
const (
	// MemoryBytesPerUnit is how many bytes of memory.fill, memory.copy and
	// memory.init cost one unit of fuel, on top of the instruction itself.
	MemoryBytesPerUnit = 1 << memoryByteShift
	memoryByteShift    = 4

	// TableElemsPerUnit is how many elements of table.fill, table.copy and
	// table.init cost one unit of fuel, on top of the instruction itself.
	TableElemsPerUnit = 1 << tableElemShift
	tableElemShift    = 0

	// mergeLimit is the largest straight-line run after a br_if that is
	// paid for together with the code before the br_if instead of by a
	// charge of its own: a taken br_if then overpays at most mergeLimit.
	mergeLimit = 16
)

// frame kinds of the control stack.
const (
	kindFunc = iota
	kindBlock
	kindLoop
	kindIf
	kindElse
)

type frame struct {
	kind     uint8
	targeted bool // some branch jumps to this frame's label
	loop     int  // index of the innermost loop frame at or below this one, or -1
	// For if frames: the runs before the if, of the then-arm and of the
	// else-arm (indices into walker.segs).
	condSeg, thenSeg, elseSeg int
}

// hoist names a run that always leads to exactly one of two runs a and b,
// each entered from nowhere else: min(cost a, cost b) can be paid by cond
// instead, which removes a charge from one arm and costs nothing extra.
type hoist struct {
	cond, a, b int
}

// segment is a straight-line run of code that control enters only at its
// first instruction, at offset at of the function body. It is paid for by one
// charge of cost units placed at at.
type segment struct {
	at      int
	cost    int64
	dead    bool // unreachable code: never charged
	afterBr bool // starts right after a br_if: may be merged into the previous run
	// exitsLoop reports that the br_if before this run leaves the innermost
	// loop, so it is taken at most once per execution of that loop.
	exitsLoop bool
	merged    bool // paid for by an earlier run
	// effects reports an instruction that can trap, call, or write memory,
	// a table or a global (see pure).
	effects bool
}

// bulkCharge is a dynamic charge placed just before a bulk instruction whose
// i32 length operand is on top of the stack.
type bulkCharge struct {
	at    int
	shift uint8
}

// funcEnv is what the code walker needs to know about the module and the
// function being rewritten.
type funcEnv struct {
	fuelGlobal uint32 // index of the fuel global
	numGlobals uint32 // globals of the original module; higher indices are refused
	numParams  uint32
	index      uint32 // function index, for error messages
	// refuel is the index of the imported refuel function: the original
	// module's function indices from refuel on move up by one.
	refuel   uint32
	numFuncs uint32 // functions of the original module; higher indices are refused
}

// funcRef is a call or ref.func instruction at offset at, ending at end,
// whose function index is renumbered.
type funcRef struct {
	at, end int
	index   uint32
}

// remapFunc returns the index in the instrumented module of function x of
// the original module, whose refuel import has index refuel.
func remapFunc(x, refuel uint32) uint32 {
	if x >= refuel {
		return x + 1
	}
	return x
}

// walker holds the state of one function body's first pass.
type walker struct {
	env       funcEnv
	r         wasmbin.Reader
	in        wasmbin.Instr // the instruction being walked
	numLocals uint64
	frames    []frame
	cur       segment
	segs      []segment
	hoists    []hoist
	bulk      []bulkCharge
	funcRefs  []funcRef
}

func (w *walker) errorf(at int, format string, args ...any) error {
	return fmt.Errorf("function %d at body offset %d: %s", w.env.index, at, fmt.Sprintf(format, args...))
}

// wrap is errorf for an error that callers may want to test with errors.Is.
func (w *walker) wrap(at int, err error) error {
	return fmt.Errorf("function %d at body offset %d: %w", w.env.index, at, err)
}

// startSegment closes the current run and starts a new one at offset at.
func (w *walker) startSegment(at int, dead, afterBr bool) {
	w.segs = append(w.segs, w.cur)
	w.cur = segment{at: at, dead: dead, afterBr: afterBr}
}

// branch marks the frame depth levels up as a branch target and reports
// whether the branch leaves the innermost loop.
func (w *walker) branch(at int, depth uint32) (exitsLoop bool, err error) {
	if uint64(depth) >= uint64(len(w.frames)) {
		return false, w.errorf(at, "branch depth %d out of range", depth)
	}
	target := len(w.frames) - 1 - int(depth)
	w.frames[target].targeted = true
	loop := w.frames[len(w.frames)-1].loop
	return loop >= 0 && target < loop, nil
}

// push opens a control frame of the given kind.
func (w *walker) push(kind uint8) {
	loop := w.frames[len(w.frames)-1].loop
	if kind == kindLoop {
		loop = len(w.frames)
	}
	w.frames = append(w.frames, frame{kind: kind, loop: loop})
}

// walk reads the instructions of a body starting at the reader's position,
// recording the runs and the bulk charges.
func (w *walker) walk() error {
	w.frames = append(w.frames[:0], frame{kind: kindFunc, loop: -1})
	w.cur = segment{at: w.r.Pos()}
	for len(w.frames) > 0 {
		at := w.r.Pos()
		if w.r.EOF() {
			return w.errorf(at, "body ends before its final end")
		}
		if err := w.r.Instr(&w.in); err != nil {
			return w.wrap(at, err)
		}
		if err := w.instruction(at); err != nil {
			return err
		}
	}
	if !w.r.EOF() {
		return w.errorf(w.r.Pos(), "%d bytes after the final end", w.r.Len())
	}
	w.segs = append(w.segs, w.cur)
	return nil
}

// instruction accounts for w.in, the instruction at offset at.
func (w *walker) instruction(at int) error {
	in := &w.in
	switch in.Op {
	case wasmbin.OpBlock:
		w.push(kindBlock)
		return nil
	case wasmbin.OpLoop:
		w.push(kindLoop)
		w.startSegment(w.r.Pos(), false, false)
		return nil
	case wasmbin.OpIf:
		w.cur.cost++
		w.push(kindIf)
		w.startSegment(w.r.Pos(), false, false)
		top := &w.frames[len(w.frames)-1]
		top.condSeg, top.thenSeg = len(w.segs)-1, len(w.segs)
		return nil
	case wasmbin.OpElse:
		top := &w.frames[len(w.frames)-1]
		if top.kind != kindIf {
			return w.errorf(at, "else without if")
		}
		top.kind = kindElse
		w.startSegment(w.r.Pos(), false, false)
		top.elseSeg = len(w.segs)
		return nil
	case wasmbin.OpEnd:
		top := w.frames[len(w.frames)-1]
		w.frames = w.frames[:len(w.frames)-1]
		switch top.kind {
		case kindElse:
			// Reached from both arms and any branch: a merge point.
			w.startSegment(w.r.Pos(), false, false)
			w.hoists = append(w.hoists, hoist{cond: top.condSeg, a: top.thenSeg, b: top.elseSeg})
		case kindIf:
			// Reached from the false condition, the then-arm and any
			// branch. When the then-arm cannot fall through and nothing
			// branches here, the code after end is in effect the
			// else-arm.
			elseLike := w.cur.dead && !top.targeted
			w.startSegment(w.r.Pos(), false, false)
			if elseLike {
				w.hoists = append(w.hoists, hoist{cond: top.condSeg, a: top.thenSeg, b: len(w.segs)})
			}
		case kindBlock, kindLoop:
			// Without a branch to it, the code after end is reached only
			// by falling through, and continues the current run. After a
			// targeted loop, a new run keeps the code after the loop out
			// of the per-iteration charge.
			if top.targeted {
				w.startSegment(w.r.Pos(), false, false)
			}
		}
		return nil
	}

	if !pure(in.Op) {
		w.cur.effects = true
	}
	// Everything else is one unit. memory.grow and table.grow too, however
	// much they ask for: successful growth is bounded by the memory limit
	// over an instance's life (memory never shrinks) and failing costs
	// little.
	w.cur.cost++
	switch in.Op {
	case wasmbin.OpUnreachable, wasmbin.OpReturn:
		w.startSegment(w.r.Pos(), true, false)
	case wasmbin.OpBr, wasmbin.OpBrIf:
		exits, err := w.branch(at, in.Index)
		if err != nil {
			return err
		}
		if in.Op == wasmbin.OpBr {
			w.startSegment(w.r.Pos(), true, false)
		} else {
			w.startSegment(w.r.Pos(), w.cur.dead, true)
			w.cur.exitsLoop = exits
		}
	case wasmbin.OpBrTable:
		for _, label := range in.Labels {
			if _, err := w.branch(at, label); err != nil {
				return err
			}
		}
		w.startSegment(w.r.Pos(), true, false)
	case wasmbin.OpLocalGet, wasmbin.OpLocalSet, wasmbin.OpLocalTee:
		if uint64(in.Index) >= w.numLocals {
			return w.errorf(at, "local index %d out of range", in.Index)
		}
	case wasmbin.OpGlobalGet, wasmbin.OpGlobalSet:
		if in.Index >= w.env.numGlobals {
			return w.errorf(at, "global index %d out of range", in.Index)
		}
	case wasmbin.OpCall, wasmbin.OpRefFunc:
		if in.Index >= w.env.numFuncs {
			return w.errorf(at, "function index %d out of range", in.Index)
		}
		w.funcRefs = append(w.funcRefs, funcRef{at: at, end: w.r.Pos(), index: in.Index})
	case wasmbin.OpPrefixMisc:
		switch in.Sub {
		case wasmbin.MiscMemoryInit, wasmbin.MiscMemoryCopy, wasmbin.MiscMemoryFill:
			w.bulk = append(w.bulk, bulkCharge{at: at, shift: memoryByteShift})
		case wasmbin.MiscTableInit, wasmbin.MiscTableCopy, wasmbin.MiscTableFill:
			w.bulk = append(w.bulk, bulkCharge{at: at, shift: tableElemShift})
		}
	}
	return nil
}

// instrumentBody rewrites one function body (locals and expression). One
// walker serves every body of a module, so that its slices are allocated
// once.
func (w *walker) instrumentBody(body []byte, env funcEnv) ([]byte, error) {
	w.env = env
	w.r.Reset(body)
	w.segs, w.hoists, w.bulk, w.funcRefs = w.segs[:0], w.hoists[:0], w.bulk[:0], w.funcRefs[:0]
	numDecls, declared, err := w.r.Locals()
	if err != nil {
		return nil, w.wrap(0, err)
	}
	w.numLocals = uint64(env.numParams) + declared
	if w.numLocals > wasmbin.MaxLocals {
		return nil, fmt.Errorf("%w: function %d has %d locals, more than %d", wasmbin.ErrImplausible, env.index, w.numLocals, wasmbin.MaxLocals)
	}
	codeStart := w.r.Pos()
	if err := w.walk(); err != nil {
		return nil, err
	}

	mergeRuns(w.segs)
	hoistArms(w.segs, w.hoists)
	out := make([]byte, 0, len(body)+len(body)/2+32)
	if len(w.bulk) > 0 {
		// One i32 scratch local, after every existing one, holds the
		// length operand of a bulk instruction while it is charged.
		// The declarations are copied after the new count.
		decls := wasmbin.NewReader(body)
		_, _ = decls.U32() // the old count, already read by Locals
		out = wasmbin.AppendU32(out, numDecls+1)
		out = append(out, body[decls.Pos():codeStart]...)
		out = append(out, 1, wasmbin.I32)
	} else {
		out = append(out, body[:codeStart]...)
	}
	scratch := uint32(w.numLocals)

	// Merge the static charges, the bulk charges and the renumbered
	// function indices, each already in offset order. At equal offsets the
	// static charge goes first (either order is valid for the two charges);
	// a renumbering replaces the instruction itself, so it goes last.
	prev := codeStart
	si, bi, fi := 0, 0, 0
	const never = int(^uint(0) >> 1)
	for {
		sAt, bAt, fAt := never, never, never
		if si < len(w.segs) {
			sAt = w.segs[si].at
		}
		if bi < len(w.bulk) {
			bAt = w.bulk[bi].at
		}
		if fi < len(w.funcRefs) {
			fAt = w.funcRefs[fi].at
		}
		switch {
		case sAt == never && bAt == never && fAt == never:
			out = append(out, body[prev:]...)
			return out, nil
		case sAt <= bAt && sAt <= fAt:
			s := w.segs[si]
			si++
			if s.dead || s.cost == 0 {
				continue
			}
			out = append(out, body[prev:s.at]...)
			prev = s.at
			out = appendCharge(out, env.fuelGlobal, env.refuel, s.cost)
		case bAt <= fAt:
			b := w.bulk[bi]
			bi++
			out = append(out, body[prev:b.at]...)
			prev = b.at
			out = appendBulkCharge(out, env.fuelGlobal, env.refuel, scratch, b.shift)
		default:
			f := w.funcRefs[fi]
			fi++
			out = append(out, body[prev:f.at+1]...) // up to and including the opcode
			out = wasmbin.AppendU32(out, remapFunc(f.index, env.refuel))
			prev = f.end
		}
	}
}

// mergeRuns folds a run that starts after a br_if into the run before it
// when that costs little: the merged run is paid for even when the br_if is
// taken. It merges
//   - a run after a br_if that leaves the innermost loop, such as the
//     exit test at the top of "block loop (br_if 1) ... (br 0) end end",
//     which then pays one charge per iteration instead of two; the exit is
//     taken once per execution of the loop, which then overpays by one
//     iteration's run at most;
//   - any run of at most mergeLimit units, overpaid by at most that much
//     each time its br_if is taken.
func mergeRuns(segs []segment) {
	head := -1
	for i := range segs {
		s := &segs[i]
		if s.afterBr && head >= 0 && !s.dead && !segs[head].dead && (s.exitsLoop || s.cost <= mergeLimit) {
			segs[head].cost += s.cost
			s.cost = 0
			s.merged = true
			continue
		}
		head = i
	}
}

// pure reports whether op (not a control instruction) only computes on the
// operand stack and locals: it cannot trap, call, or change anything that
// outlives the call. Integer division and remainder and float-to-int
// truncation can trap.
func pure(op byte) bool {
	switch {
	case op == wasmbin.OpNop, op == wasmbin.OpDrop, op == wasmbin.OpSelect, op == wasmbin.OpSelectTyped,
		op >= wasmbin.OpLocalGet && op <= wasmbin.OpGlobalGet,
		op >= wasmbin.OpI32Const && op <= wasmbin.OpF64Const:
		return true
	case op < wasmbin.OpI32Eqz || op > wasmbin.OpI64Extend32S:
		return false
	case op >= 0x6d && op <= 0x70, op >= 0x7f && op <= 0x82: // i32/i64 div and rem
		return false
	case op >= 0xa8 && op <= 0xab, op >= 0xae && op <= 0xb1: // trunc_f32/f64 to i32/i64
		return false
	}
	return true
}

// hoistArms moves the cost the two arms of each if have in common into the
// run before the if: exactly one arm runs after it, so the total paid on
// every path is unchanged and the cheaper arm needs no charge of its own.
// Hoists are applied innermost first, so an inner if's share can move on to
// an outer one.
//
// When the run before the if is pure (no instruction in it can trap, call or
// change memory, a table or a global), its cost moves the other way, into
// both arms, and the run needs no charge: each path through the if then
// pays one charge instead of two, for the same total (a naive recursive
// fib pays one per call). The pure run executes before it is paid for, but
// nothing it does is visible if the arm's charge then traps, and a call runs
// out of fuel if and only if it did before: the running total only grows, so
// it exceeds the budget at some charge exactly when it does at the last one
// before the trap or return, and those totals are unchanged. Only the
// remaining fuel after such a trap can be lower, by the arm's cost.
func hoistArms(segs []segment, hoists []hoist) {
	for _, h := range hoists {
		cond, a, b := &segs[h.cond], &segs[h.a], &segs[h.b]
		if cond.dead || cond.merged || a.merged || b.merged {
			continue
		}
		if !cond.effects && !a.dead && !b.dead {
			a.cost += cond.cost
			b.cost += cond.cost
			cond.cost = 0
			continue
		}
		m := min(a.cost, b.cost)
		cond.cost += m
		a.cost -= m
		b.cost -= m
	}
}

// appendCharge appends code that subtracts cost from the fuel global and
// calls the refuel import when it goes below zero; refuel adds the next
// slice of the budget or traps, leaving the global negative:
//
//	global.get $fuel  i64.const cost  i64.sub  global.set $fuel
//	global.get $fuel  i64.const 0  i64.ge_s  if  else  call $refuel  end
//
// wazero's compiler keeps the global's value in a register after the
// global.set, so the check does not load it again. The call sits in the
// else-arm because the compiler lays the then-arm out on the fall-through
// path: the common case then takes no jump, which made the tightest loop
// measured (BenchmarkOverhead/tight) 1.66x slower with "if unreachable end"
// and 1.0x with this form.
func appendCharge(b []byte, g, refuel uint32, cost int64) []byte {
	b = append(b, wasmbin.OpGlobalGet)
	b = wasmbin.AppendU32(b, g)
	b = append(b, wasmbin.OpI64Const)
	b = wasmbin.AppendS64(b, cost)
	b = append(b, wasmbin.OpI64Sub, wasmbin.OpGlobalSet)
	b = wasmbin.AppendU32(b, g)
	return appendCheck(b, g, refuel)
}

// appendBulkCharge appends code that charges the i32 length operand on top
// of the stack, shifted right by shift, leaving the operand in place:
//
//	local.tee $n  global.get $fuel  local.get $n  i64.extend_i32_u
//	i64.const shift  i64.shr_u  i64.sub  global.set $fuel  (check)
func appendBulkCharge(b []byte, g, refuel, scratch uint32, shift uint8) []byte {
	b = append(b, wasmbin.OpLocalTee)
	b = wasmbin.AppendU32(b, scratch)
	b = append(b, wasmbin.OpGlobalGet)
	b = wasmbin.AppendU32(b, g)
	b = append(b, wasmbin.OpLocalGet)
	b = wasmbin.AppendU32(b, scratch)
	b = append(b, wasmbin.OpI64ExtendI32U)
	if shift > 0 {
		b = append(b, wasmbin.OpI64Const, shift, wasmbin.OpI64ShrU)
	}
	b = append(b, wasmbin.OpI64Sub, wasmbin.OpGlobalSet)
	b = wasmbin.AppendU32(b, g)
	return appendCheck(b, g, refuel)
}

// appendCheck appends the check after a charge: when the global is below
// zero, call the refuel import, which adds the next slice of the call's
// budget or traps.
//
//	global.get $fuel  i64.const 0  i64.ge_s  if  else  call $refuel  end
func appendCheck(b []byte, g, refuel uint32) []byte {
	b = append(b, wasmbin.OpGlobalGet)
	b = wasmbin.AppendU32(b, g)
	b = append(b, wasmbin.OpI64Const, 0, wasmbin.OpI64GeS, wasmbin.OpIf, wasmbin.BlockTypeEmpty,
		wasmbin.OpElse, wasmbin.OpCall)
	b = wasmbin.AppendU32(b, refuel)
	return append(b, wasmbin.OpEnd)
}
