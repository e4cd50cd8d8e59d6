package fuel

import "fmt"

// Opcodes the instrumenter emits or treats specially.
const (
	opUnreachable  = 0x00
	opNop          = 0x01
	opBlock        = 0x02
	opLoop         = 0x03
	opIf           = 0x04
	opElse         = 0x05
	opEnd          = 0x0b
	opBr           = 0x0c
	opBrIf         = 0x0d
	opBrTable      = 0x0e
	opReturn       = 0x0f
	opCall         = 0x10
	opCallIndirect = 0x11
	opDrop         = 0x1a
	opSelect       = 0x1b
	opSelectTyped  = 0x1c
	opLocalGet     = 0x20
	opLocalSet     = 0x21
	opLocalTee     = 0x22
	opGlobalGet    = 0x23
	opGlobalSet    = 0x24
	opTableGet     = 0x25
	opTableSet     = 0x26
	opI32Load      = 0x28
	opI64Store32   = 0x3e
	opMemorySize   = 0x3f
	opMemoryGrow   = 0x40
	opI32Const     = 0x41
	opI64Const     = 0x42
	opF32Const     = 0x43
	opF64Const     = 0x44
	opI32Eqz       = 0x45
	opI64GeS       = 0x59
	opI64Sub       = 0x7d
	opI64ShrU      = 0x88
	opI64ExtendI32 = 0xad
	opI64Extend32S = 0xc4
	opRefNull      = 0xd0
	opRefIsNull    = 0xd1
	opRefFunc      = 0xd2
	opPrefixMisc   = 0xfc
	opPrefixSIMD   = 0xfd

	blockTypeEmpty = 0x40
)

// Sub-opcodes of the 0xFC prefix (saturating truncation and bulk memory).
const (
	miscTruncSatLast = 0x07
	miscMemoryInit   = 0x08
	miscDataDrop     = 0x09
	miscMemoryCopy   = 0x0a
	miscMemoryFill   = 0x0b
	miscTableInit    = 0x0c
	miscElemDrop     = 0x0d
	miscTableCopy    = 0x0e
	miscTableGrow    = 0x0f
	miscTableSize    = 0x10
	miscTableFill    = 0x11
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
}

// walker holds the state of one function body's first pass.
type walker struct {
	env       funcEnv
	r         reader
	numLocals uint64
	frames    []frame
	cur       segment
	segs      []segment
	hoists    []hoist
	bulk      []bulkCharge
}

func (w *walker) errorf(at int, format string, args ...any) error {
	return fmt.Errorf("function %d at body offset %d: %s", w.env.index, at, fmt.Sprintf(format, args...))
}

// wrap is errorf for an error that callers may want to test with errors.Is.
func (w *walker) wrap(at int, what string, err error) error {
	return fmt.Errorf("function %d at body offset %d: %s: %w", w.env.index, at, what, err)
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

func (w *walker) blockType(at int) error {
	t, err := w.r.s33()
	if err != nil {
		return w.errorf(at, "block type: %v", err)
	}
	if t >= 0 {
		return nil // a type index; wazero checks its range
	}
	if t == -64 || isValType(byte(t&0x7f)) {
		return nil
	}
	return w.errorf(at, "unsupported block type %d", t)
}

func (w *walker) memarg(at int) error {
	if _, err := w.r.u32(); err != nil {
		return w.errorf(at, "memory alignment: %v", err)
	}
	if _, err := w.r.u32(); err != nil {
		return w.errorf(at, "memory offset: %v", err)
	}
	return nil
}

func (w *walker) zeroByte(at int, what string) error {
	c, err := w.r.byte()
	if err != nil {
		return w.errorf(at, "%s: %v", what, err)
	}
	if c != 0 {
		return w.errorf(at, "%s must be a zero byte", what)
	}
	return nil
}

func (w *walker) index(at int, what string) (uint32, error) {
	v, err := w.r.u32()
	if err != nil {
		return 0, w.errorf(at, "%s: %v", what, err)
	}
	return v, nil
}

// walk reads the instructions of a body starting at the reader's position,
// recording the runs and the bulk charges.
func (w *walker) walk() error {
	w.frames = append(w.frames[:0], frame{kind: kindFunc, loop: -1})
	w.cur = segment{at: w.r.pos}
	for len(w.frames) > 0 {
		at := w.r.pos
		op, err := w.r.byte()
		if err != nil {
			return w.errorf(at, "body ends before its final end")
		}
		if err := w.instruction(at, op); err != nil {
			return err
		}
	}
	if !w.r.eof() {
		return w.errorf(w.r.pos, "%d bytes after the final end", len(w.r.b)-w.r.pos)
	}
	w.segs = append(w.segs, w.cur)
	return nil
}

func (w *walker) instruction(at int, op byte) error {
	switch {
	case op == opBlock:
		if err := w.blockType(at); err != nil {
			return err
		}
		w.push(kindBlock)
		return nil
	case op == opLoop:
		if err := w.blockType(at); err != nil {
			return err
		}
		w.push(kindLoop)
		w.startSegment(w.r.pos, false, false)
		return nil
	case op == opIf:
		w.cur.cost++
		if err := w.blockType(at); err != nil {
			return err
		}
		w.push(kindIf)
		w.startSegment(w.r.pos, false, false)
		top := &w.frames[len(w.frames)-1]
		top.condSeg, top.thenSeg = len(w.segs)-1, len(w.segs)
		return nil
	case op == opElse:
		top := &w.frames[len(w.frames)-1]
		if top.kind != kindIf {
			return w.errorf(at, "else without if")
		}
		top.kind = kindElse
		w.startSegment(w.r.pos, false, false)
		top.elseSeg = len(w.segs)
		return nil
	case op == opEnd:
		top := w.frames[len(w.frames)-1]
		w.frames = w.frames[:len(w.frames)-1]
		switch top.kind {
		case kindElse:
			// Reached from both arms and any branch: a merge point.
			w.startSegment(w.r.pos, false, false)
			w.hoists = append(w.hoists, hoist{cond: top.condSeg, a: top.thenSeg, b: top.elseSeg})
		case kindIf:
			// Reached from the false condition, the then-arm and any
			// branch. When the then-arm cannot fall through and nothing
			// branches here, the code after end is in effect the
			// else-arm.
			elseLike := w.cur.dead && !top.targeted
			w.startSegment(w.r.pos, false, false)
			if elseLike {
				w.hoists = append(w.hoists, hoist{cond: top.condSeg, a: top.thenSeg, b: len(w.segs)})
			}
		case kindBlock, kindLoop:
			// Without a branch to it, the code after end is reached only
			// by falling through, and continues the current run. After a
			// targeted loop, a new run keeps the code after the loop out
			// of the per-iteration charge.
			if top.targeted {
				w.startSegment(w.r.pos, false, false)
			}
		}
		return nil
	}

	// Everything else is one unit.
	w.cur.cost++
	switch {
	case op == opUnreachable || op == opReturn:
		w.startSegment(w.r.pos, true, false)
	case op == opNop, op == opDrop, op == opSelect, op == opRefIsNull:
	case op == opBr || op == opBrIf:
		depth, err := w.index(at, "branch depth")
		if err != nil {
			return err
		}
		exits, err := w.branch(at, depth)
		if err != nil {
			return err
		}
		if op == opBr {
			w.startSegment(w.r.pos, true, false)
		} else {
			w.startSegment(w.r.pos, w.cur.dead, true)
			w.cur.exitsLoop = exits
		}
	case op == opBrTable:
		n, err := w.r.vec(1)
		if err != nil {
			return w.wrap(at, "br_table length", err)
		}
		for i := uint64(0); i <= uint64(n); i++ {
			depth, err := w.index(at, "br_table label")
			if err != nil {
				return err
			}
			if _, err := w.branch(at, depth); err != nil {
				return err
			}
		}
		w.startSegment(w.r.pos, true, false)
	case op == opCall, op == opRefFunc, op == opTableGet, op == opTableSet:
		if _, err := w.index(at, "index"); err != nil {
			return err
		}
	case op == opCallIndirect:
		if _, err := w.index(at, "type index"); err != nil {
			return err
		}
		if _, err := w.index(at, "table index"); err != nil {
			return err
		}
	case op == opSelectTyped:
		// wazero reads the count as one byte and accepts only 1.
		n, err := w.r.byte()
		if err != nil || n != 1 {
			return w.errorf(at, "typed select needs exactly one type")
		}
		t, err := w.r.byte()
		if err != nil || !isValType(t) {
			return w.errorf(at, "typed select: bad value type")
		}
	case op >= opLocalGet && op <= opLocalTee:
		i, err := w.index(at, "local index")
		if err != nil {
			return err
		}
		if uint64(i) >= w.numLocals {
			return w.errorf(at, "local index %d out of range", i)
		}
	case op == opGlobalGet || op == opGlobalSet:
		i, err := w.index(at, "global index")
		if err != nil {
			return err
		}
		if i >= w.env.numGlobals {
			return w.errorf(at, "global index %d out of range", i)
		}
	case op >= opI32Load && op <= opI64Store32:
		return w.memarg(at)
	case op == opMemorySize || op == opMemoryGrow:
		// memory.grow costs one unit however many pages it asks for:
		// successful growth is bounded by the memory limit over an
		// instance's life (memory never shrinks) and failing costs little.
		return w.zeroByte(at, "memory index")
	case op == opI32Const:
		if err := w.r.sleb(5); err != nil {
			return w.errorf(at, "i32.const: %v", err)
		}
	case op == opI64Const:
		if err := w.r.sleb(10); err != nil {
			return w.errorf(at, "i64.const: %v", err)
		}
	case op == opF32Const:
		if err := w.r.skip(4); err != nil {
			return w.errorf(at, "f32.const: %v", err)
		}
	case op == opF64Const:
		if err := w.r.skip(8); err != nil {
			return w.errorf(at, "f64.const: %v", err)
		}
	case op >= opI32Eqz && op <= opI64Extend32S:
	case op == opRefNull:
		t, err := w.r.byte()
		if err != nil || (t != valFuncref && t != valExternref) {
			return w.errorf(at, "ref.null: bad reference type")
		}
	case op == opPrefixMisc:
		return w.misc(at)
	case op == opPrefixSIMD:
		return w.simd(at)
	default:
		return w.errorf(at, "unknown or unsupported opcode 0x%02x", op)
	}
	return nil
}

func (w *walker) misc(at int) error {
	sub, err := w.index(at, "0xfc sub-opcode")
	if err != nil {
		return err
	}
	switch {
	case sub <= miscTruncSatLast:
	case sub == miscMemoryInit:
		if _, err := w.index(at, "data index"); err != nil {
			return err
		}
		if err := w.zeroByte(at, "memory index"); err != nil {
			return err
		}
		w.bulk = append(w.bulk, bulkCharge{at: at, shift: memoryByteShift})
	case sub == miscDataDrop, sub == miscElemDrop, sub == miscTableGrow, sub == miscTableSize:
		// table.grow costs one unit for the same reason as memory.grow.
		if _, err := w.index(at, "index"); err != nil {
			return err
		}
	case sub == miscMemoryCopy:
		if err := w.zeroByte(at, "memory index"); err != nil {
			return err
		}
		if err := w.zeroByte(at, "memory index"); err != nil {
			return err
		}
		w.bulk = append(w.bulk, bulkCharge{at: at, shift: memoryByteShift})
	case sub == miscMemoryFill:
		if err := w.zeroByte(at, "memory index"); err != nil {
			return err
		}
		w.bulk = append(w.bulk, bulkCharge{at: at, shift: memoryByteShift})
	case sub == miscTableInit, sub == miscTableCopy:
		if _, err := w.index(at, "index"); err != nil {
			return err
		}
		if _, err := w.index(at, "table index"); err != nil {
			return err
		}
		w.bulk = append(w.bulk, bulkCharge{at: at, shift: tableElemShift})
	case sub == miscTableFill:
		if _, err := w.index(at, "table index"); err != nil {
			return err
		}
		w.bulk = append(w.bulk, bulkCharge{at: at, shift: tableElemShift})
	default:
		return w.errorf(at, "unknown or unsupported opcode 0xfc %d", sub)
	}
	return nil
}

// simd reads a 0xFD instruction. Like wazero v1.12, it reads the sub-opcode
// as a single byte rather than a LEB128 u32, so the instrumenter sees the
// instruction stream exactly as the engine will: opcodes from 0x80 are
// encoded as two bytes whose second byte, 0x01, wazero executes as a nop.
// That byte is counted with the instruction. No charge is ever placed
// between the two bytes, so the result reads the same either way.
func (w *walker) simd(at int) error {
	sub, err := w.r.byte()
	if err != nil {
		return w.errorf(at, "0xfd sub-opcode: %v", err)
	}
	switch simdImmediates[sub] {
	case simdNone:
	case simdMemarg:
		if err := w.memarg(at); err != nil {
			return err
		}
	case simdMemargLane:
		if err := w.memarg(at); err != nil {
			return err
		}
		if err := w.r.skip(1); err != nil {
			return w.errorf(at, "lane index: %v", err)
		}
	case simdLane:
		if err := w.r.skip(1); err != nil {
			return w.errorf(at, "lane index: %v", err)
		}
	case simdBytes16:
		if err := w.r.skip(16); err != nil {
			return w.errorf(at, "16-byte immediate: %v", err)
		}
	default:
		return w.errorf(at, "unknown or unsupported opcode 0xfd 0x%02x", sub)
	}
	if sub >= 0x80 && !w.r.eof() && w.r.b[w.r.pos] == opNop {
		w.r.pos++
	}
	return nil
}

// Immediate shapes of 0xFD instructions.
const (
	simdInvalid = iota
	simdNone
	simdMemarg
	simdMemargLane
	simdLane
	simdBytes16
)

// simdImmediates maps every 0xFD sub-opcode wazero v1.12 accepts (the
// fixed-width SIMD proposal, 236 instructions) to its immediate shape; the
// others stay simdInvalid.
var simdImmediates = func() (t [256]uint8) {
	for op := 0; op < 256; op++ {
		t[op] = simdNone
	}
	for _, op := range []int{
		0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb,
		0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee,
	} {
		t[op] = simdInvalid
	}
	// v128.load*, v128.store, v128.load32_zero, v128.load64_zero.
	for op := 0x00; op <= 0x0b; op++ {
		t[op] = simdMemarg
	}
	t[0x5c], t[0x5d] = simdMemarg, simdMemarg
	// v128.load*_lane, v128.store*_lane.
	for op := 0x54; op <= 0x5b; op++ {
		t[op] = simdMemargLane
	}
	// *.extract_lane*, *.replace_lane.
	for op := 0x15; op <= 0x22; op++ {
		t[op] = simdLane
	}
	// v128.const, i8x16.shuffle.
	t[0x0c], t[0x0d] = simdBytes16, simdBytes16
	return t
}()

// instrumentBody rewrites one function body (locals and expression).
func instrumentBody(body []byte, env funcEnv) ([]byte, error) {
	w := walker{env: env, r: reader{b: body}}
	numDecls, err := w.r.vec(2)
	if err != nil {
		return nil, w.wrap(0, "locals", err)
	}
	declStart := w.r.pos
	w.numLocals = uint64(env.numParams)
	for i := uint32(0); i < numDecls; i++ {
		n, err := w.r.u32()
		if err != nil {
			return nil, w.errorf(w.r.pos, "locals: %v", err)
		}
		t, err := w.r.byte()
		if err != nil || !isValType(t) {
			return nil, w.errorf(w.r.pos, "locals: bad value type")
		}
		w.numLocals += uint64(n)
	}
	if w.numLocals > maxLocals {
		return nil, fmt.Errorf("%w: function %d has %d locals, more than %d", errImplausible, env.index, w.numLocals, maxLocals)
	}
	codeStart := w.r.pos
	if err := w.walk(); err != nil {
		return nil, err
	}

	mergeRuns(w.segs)
	hoistArms(w.segs, w.hoists)
	out := make([]byte, 0, len(body)+len(body)/2+32)
	if len(w.bulk) > 0 {
		// One i32 scratch local, after every existing one, holds the
		// length operand of a bulk instruction while it is charged.
		out = appendU32(out, numDecls+1)
		out = append(out, body[declStart:codeStart]...)
		out = append(out, 1, valI32)
	} else {
		out = append(out, body[:codeStart]...)
	}
	scratch := uint32(w.numLocals)

	// Merge the static charges and the bulk charges, both already in
	// offset order; at equal offsets the static charge goes first (either
	// order is valid).
	prev := codeStart
	si, bi := 0, 0
	for si < len(w.segs) || bi < len(w.bulk) {
		if si < len(w.segs) && (bi >= len(w.bulk) || w.segs[si].at <= w.bulk[bi].at) {
			s := w.segs[si]
			si++
			if s.dead || s.cost == 0 {
				continue
			}
			out = append(out, body[prev:s.at]...)
			prev = s.at
			out = appendCharge(out, env.fuelGlobal, s.cost)
			continue
		}
		b := w.bulk[bi]
		bi++
		out = append(out, body[prev:b.at]...)
		prev = b.at
		out = appendBulkCharge(out, env.fuelGlobal, scratch, b.shift)
	}
	out = append(out, body[prev:]...)
	return out, nil
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

// hoistArms moves the cost the two arms of each if have in common into the
// run before the if: exactly one arm runs after it, so the total paid on
// every path is unchanged and the cheaper arm needs no charge of its own.
// Hoists are applied innermost first, so an inner if's share can move on to
// an outer one.
func hoistArms(segs []segment, hoists []hoist) {
	for _, h := range hoists {
		cond, a, b := &segs[h.cond], &segs[h.a], &segs[h.b]
		if cond.dead || cond.merged || a.merged || b.merged {
			continue
		}
		m := min(a.cost, b.cost)
		cond.cost += m
		a.cost -= m
		b.cost -= m
	}
}

// appendCharge appends code that subtracts cost from the fuel global and
// traps with unreachable, leaving the global negative, when it goes below
// zero:
//
//	global.get $fuel  i64.const cost  i64.sub  global.set $fuel
//	global.get $fuel  i64.const 0  i64.ge_s  if  else  unreachable  end
//
// wazero's compiler keeps the global's value in a register after the
// global.set, so the check does not load it again. The trap sits in the
// else-arm because the compiler lays the then-arm out on the fall-through
// path: the common case then takes no jump, which made the tightest loop
// measured (BenchmarkOverhead/tight) 1.66x slower with "if unreachable end"
// and 1.0x with this form.
func appendCharge(b []byte, g uint32, cost int64) []byte {
	b = append(b, opGlobalGet)
	b = appendU32(b, g)
	b = append(b, opI64Const)
	b = appendS64(b, cost)
	b = append(b, opI64Sub, opGlobalSet)
	b = appendU32(b, g)
	return appendCheck(b, g)
}

// appendBulkCharge appends code that charges the i32 length operand on top
// of the stack, shifted right by shift, leaving the operand in place:
//
//	local.tee $n  global.get $fuel  local.get $n  i64.extend_i32_u
//	i64.const shift  i64.shr_u  i64.sub  global.set $fuel  (check)
func appendBulkCharge(b []byte, g, scratch uint32, shift uint8) []byte {
	b = append(b, opLocalTee)
	b = appendU32(b, scratch)
	b = append(b, opGlobalGet)
	b = appendU32(b, g)
	b = append(b, opLocalGet)
	b = appendU32(b, scratch)
	b = append(b, opI64ExtendI32)
	if shift > 0 {
		b = append(b, opI64Const, shift, opI64ShrU)
	}
	b = append(b, opI64Sub, opGlobalSet)
	b = appendU32(b, g)
	return appendCheck(b, g)
}

func appendCheck(b []byte, g uint32) []byte {
	b = append(b, opGlobalGet)
	b = appendU32(b, g)
	return append(b, opI64Const, 0, opI64GeS, opIf, blockTypeEmpty, opElse, opUnreachable, opEnd)
}
