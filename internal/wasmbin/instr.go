package wasmbin

import (
	"errors"
	"fmt"
)

// Opcodes that the users of this package treat specially or emit. Every
// opcode that exists, with its immediates, is in the tables below.
const (
	OpUnreachable   = 0x00
	OpNop           = 0x01
	OpBlock         = 0x02
	OpLoop          = 0x03
	OpIf            = 0x04
	OpElse          = 0x05
	OpEnd           = 0x0b
	OpBr            = 0x0c
	OpBrIf          = 0x0d
	OpBrTable       = 0x0e
	OpReturn        = 0x0f
	OpCall          = 0x10
	OpCallIndirect  = 0x11
	OpDrop          = 0x1a
	OpSelect        = 0x1b
	OpSelectTyped   = 0x1c
	OpLocalGet      = 0x20
	OpLocalSet      = 0x21
	OpLocalTee      = 0x22
	OpGlobalGet     = 0x23
	OpGlobalSet     = 0x24
	OpTableGet      = 0x25
	OpTableSet      = 0x26
	OpI32Load       = 0x28 // the first load
	OpI64Store32    = 0x3e // the last store
	OpMemorySize    = 0x3f
	OpMemoryGrow    = 0x40
	OpI32Const      = 0x41
	OpI64Const      = 0x42
	OpF32Const      = 0x43
	OpF64Const      = 0x44
	OpI32Eqz        = 0x45 // the first numeric instruction
	OpI64GeS        = 0x59
	OpI64Sub        = 0x7d
	OpI64ShrU       = 0x88
	OpI64ExtendI32U = 0xad
	OpI64Extend32S  = 0xc4 // the last numeric instruction
	OpRefNull       = 0xd0
	OpRefIsNull     = 0xd1
	OpRefFunc       = 0xd2
	OpPrefixMisc    = 0xfc // saturating truncation, bulk memory and tables
	OpPrefixSIMD    = 0xfd

	// BlockTypeEmpty is the block type of a block without results.
	BlockTypeEmpty = 0x40
)

// Sub-opcodes of the 0xFC prefix; 0x00 to 0x07 are the saturating
// truncations.
const (
	MiscMemoryInit = 0x08
	MiscDataDrop   = 0x09
	MiscMemoryCopy = 0x0a
	MiscMemoryFill = 0x0b
	MiscTableInit  = 0x0c
	MiscElemDrop   = 0x0d
	MiscTableCopy  = 0x0e
	MiscTableGrow  = 0x0f
	MiscTableSize  = 0x10
	MiscTableFill  = 0x11
)

// SIMDV128Const is the 0xFD sub-opcode of v128.const.
const SIMDV128Const = 0x0c

// imm is the shape of an instruction's immediates.
type imm uint8

const (
	immInvalid    imm = iota // not an instruction wazero accepts
	immPrefix                // a prefix of instructions with a sub-opcode
	immNone                  // no immediate
	immBlockType             // a block type (s33)
	immIndex                 // a u32 index: label, function, local, global, table, data or element
	immIndex2                // two u32 indices
	immBrTable               // a vector of labels and a default label
	immSelectType            // a vector of exactly one value type
	immMemarg                // alignment and offset (u32 each)
	immMemory                // a memory index, which must be a zero byte
	immMemory2               // two zero memory indices (memory.copy)
	immDataMemory            // a data index and a zero memory index (memory.init)
	immI32                   // an s32
	immI64                   // an s64
	immF32                   // 4 bytes
	immF64                   // 8 bytes
	immRefType               // funcref or externref
	immLane                  // a lane index byte
	immMemargLane            // a memory argument and a lane index byte
	immBytes16               // 16 bytes (v128.const, i8x16.shuffle)
)

// ops is the immediate shape of every single-byte opcode of the WebAssembly
// 2.0 core as wazero v1.12 accepts it (api.CoreFeaturesV2); the prefixes
// 0xFC and 0xFD are followed by a sub-opcode, from miscOps or simdOps.
var ops = func() (t [256]imm) {
	for _, op := range []byte{OpUnreachable, OpNop, OpElse, OpEnd, OpReturn, OpDrop, OpSelect, OpRefIsNull} {
		t[op] = immNone
	}
	t[OpBlock], t[OpLoop], t[OpIf] = immBlockType, immBlockType, immBlockType
	for _, op := range []byte{OpBr, OpBrIf, OpCall, OpLocalGet, OpLocalSet, OpLocalTee,
		OpGlobalGet, OpGlobalSet, OpTableGet, OpTableSet, OpRefFunc} {
		t[op] = immIndex
	}
	t[OpBrTable] = immBrTable
	t[OpCallIndirect] = immIndex2 // type, table
	t[OpSelectTyped] = immSelectType
	for op := OpI32Load; op <= OpI64Store32; op++ {
		t[op] = immMemarg
	}
	t[OpMemorySize], t[OpMemoryGrow] = immMemory, immMemory
	t[OpI32Const], t[OpI64Const], t[OpF32Const], t[OpF64Const] = immI32, immI64, immF32, immF64
	for op := OpI32Eqz; op <= OpI64Extend32S; op++ { // numeric, sign extension
		t[op] = immNone
	}
	t[OpRefNull] = immRefType
	t[OpPrefixMisc], t[OpPrefixSIMD] = immPrefix, immPrefix
	return t
}()

// miscOps is the immediate shape of every 0xFC sub-opcode.
var miscOps = [...]imm{
	0: immNone, 1: immNone, 2: immNone, 3: immNone, // trunc_sat
	4: immNone, 5: immNone, 6: immNone, 7: immNone,
	MiscMemoryInit: immDataMemory,
	MiscDataDrop:   immIndex,
	MiscMemoryCopy: immMemory2,
	MiscMemoryFill: immMemory,
	MiscTableInit:  immIndex2, // element, table
	MiscElemDrop:   immIndex,
	MiscTableCopy:  immIndex2, // table, table
	MiscTableGrow:  immIndex,
	MiscTableSize:  immIndex,
	MiscTableFill:  immIndex,
}

// simdOps is the immediate shape of every 0xFD sub-opcode wazero v1.12
// accepts (the fixed-width SIMD proposal, 236 instructions).
var simdOps = func() (t [256]imm) {
	for op := range t {
		t[op] = immNone
	}
	for _, op := range []int{
		0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb,
		0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee,
	} {
		t[op] = immInvalid
	}
	// v128.load*, v128.store, v128.load32_zero, v128.load64_zero.
	for op := 0x00; op <= 0x0b; op++ {
		t[op] = immMemarg
	}
	t[0x5c], t[0x5d] = immMemarg, immMemarg
	// v128.load*_lane, v128.store*_lane.
	for op := 0x54; op <= 0x5b; op++ {
		t[op] = immMemargLane
	}
	// *.extract_lane*, *.replace_lane.
	for op := 0x15; op <= 0x22; op++ {
		t[op] = immLane
	}
	t[SIMDV128Const], t[0x0d] = immBytes16, immBytes16 // v128.const, i8x16.shuffle
	return t
}()

// Instr is one decoded instruction.
type Instr struct {
	Op  byte   // the opcode, or the prefix OpPrefixMisc or OpPrefixSIMD
	Sub uint32 // the sub-opcode after a prefix
	// Index is the first index immediate: the label of br and br_if, or the
	// index of call, call_indirect (a type), local.*, global.*, table.*,
	// ref.func, data.drop, elem.drop, memory.init (a data segment) and
	// table.init (an element segment).
	Index uint32
	// Labels are br_table's labels, the default last. Instr reuses the
	// slice for the next br_table it decodes.
	Labels []uint32
}

// Instr decodes the instruction at the reader's position into in. It reads
// every instruction wazero v1.12 accepts under api.CoreFeaturesV2 and
// refuses any other opcode rather than guess its immediates.
//
// Like wazero, it reads a 0xFD sub-opcode as a single byte rather than a
// LEB128 u32: an opcode from 0x80 is encoded in two bytes whose second,
// 0x01, wazero executes as a nop. Instr reads that byte with the
// instruction, so the stream it decodes is the one the engine compiles.
func (r *Reader) Instr(in *Instr) error {
	if r.pos >= len(r.b) {
		return ErrTruncated
	}
	op := r.b[r.pos]
	r.pos++
	in.Op, in.Sub, in.Index = op, 0, 0
	// The most common shapes are read here, without a call.
	switch shape := ops[op]; shape {
	case immNone:
		return nil
	case immIndex:
		if r.pos < len(r.b) && r.b[r.pos] < 0x80 {
			in.Index = uint32(r.b[r.pos])
			r.pos++
			return nil
		}
		var err error
		if in.Index, err = r.u32(); err != nil {
			return fmt.Errorf("index: %w", err)
		}
		return nil
	case immInvalid:
		return fmt.Errorf("unknown or unsupported opcode 0x%02x", op)
	case immPrefix:
		return r.prefixed(in)
	default:
		return r.immediates(shape, in)
	}
}

// prefixed reads the rest of an instruction whose prefix, 0xFC or 0xFD, is
// in.Op.
func (r *Reader) prefixed(in *Instr) error {
	var shape imm
	if in.Op == OpPrefixMisc {
		sub, err := r.U32()
		if err != nil {
			return fmt.Errorf("0xfc sub-opcode: %w", err)
		}
		if sub >= uint32(len(miscOps)) {
			return fmt.Errorf("unknown or unsupported opcode 0xfc %d", sub)
		}
		in.Sub, shape = sub, miscOps[sub]
		return r.immediates(shape, in)
	}
	sub, err := r.Byte()
	if err != nil {
		return fmt.Errorf("0xfd sub-opcode: %w", err)
	}
	in.Sub, shape = uint32(sub), simdOps[sub]
	if shape == immInvalid {
		return fmt.Errorf("unknown or unsupported opcode 0xfd 0x%02x", sub)
	}
	if err := r.immediates(shape, in); err != nil {
		return err
	}
	if sub >= 0x80 && !r.EOF() && r.b[r.pos] == OpNop {
		r.pos++
	}
	return nil
}

// immediates reads the immediates of the given shape into in.
func (r *Reader) immediates(shape imm, in *Instr) error {
	var err error
	switch shape {
	case immNone:
	case immBlockType:
		var t int64
		if t, err = r.S33(); err != nil {
			return fmt.Errorf("block type: %w", err)
		}
		if t < 0 && t != -64 && !IsValType(byte(t&0x7f)) {
			return fmt.Errorf("unsupported block type %d", t)
		}
	case immIndex:
		if in.Index, err = r.U32(); err != nil {
			return fmt.Errorf("index: %w", err)
		}
	case immIndex2:
		if in.Index, err = r.U32(); err == nil {
			_, err = r.U32()
		}
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
	case immBrTable:
		n, err := r.Count("br_table labels", 1)
		if err != nil {
			return err
		}
		in.Labels = in.Labels[:0]
		for i := uint64(0); i <= uint64(n); i++ {
			l, err := r.U32()
			if err != nil {
				return fmt.Errorf("br_table label: %w", err)
			}
			in.Labels = append(in.Labels, l)
		}
	case immSelectType:
		// wazero reads the count as one byte and accepts only 1.
		if n, err := r.Byte(); err != nil || n != 1 {
			return errors.New("typed select needs exactly one type")
		}
		if t, err := r.Byte(); err != nil || !IsValType(t) {
			return errors.New("typed select: bad value type")
		}
	case immMemarg, immMemargLane:
		if _, err = r.U32(); err != nil {
			return fmt.Errorf("memory alignment: %w", err)
		}
		if _, err = r.U32(); err != nil {
			return fmt.Errorf("memory offset: %w", err)
		}
		if shape == immMemargLane {
			return r.lane()
		}
	case immMemory:
		return r.zeroMemory()
	case immMemory2:
		if err = r.zeroMemory(); err == nil {
			err = r.zeroMemory()
		}
	case immDataMemory:
		if in.Index, err = r.U32(); err != nil {
			return fmt.Errorf("data index: %w", err)
		}
		return r.zeroMemory()
	case immI32:
		if err = r.SkipS32(); err != nil {
			return fmt.Errorf("i32.const: %w", err)
		}
	case immI64:
		if err = r.SkipS64(); err != nil {
			return fmt.Errorf("i64.const: %w", err)
		}
	case immF32:
		if err = r.Skip(4); err != nil {
			return fmt.Errorf("f32.const: %w", err)
		}
	case immF64:
		if err = r.Skip(8); err != nil {
			return fmt.Errorf("f64.const: %w", err)
		}
	case immRefType:
		if t, err := r.Byte(); err != nil || (t != Funcref && t != Externref) {
			return errors.New("ref.null: bad reference type")
		}
	case immLane:
		return r.lane()
	case immBytes16:
		if err = r.Skip(16); err != nil {
			return fmt.Errorf("16-byte immediate: %w", err)
		}
	}
	return err
}

func (r *Reader) lane() error {
	if err := r.Skip(1); err != nil {
		return fmt.Errorf("lane index: %w", err)
	}
	return nil
}

func (r *Reader) zeroMemory() error {
	c, err := r.Byte()
	if err != nil {
		return fmt.Errorf("memory index: %w", err)
	}
	if c != 0 {
		return errors.New("memory index must be a zero byte")
	}
	return nil
}

// maxConstExprLen bounds the length of a constant expression, far above any
// that wazero accepts: one instruction and end (extended-const is not in its
// CoreFeaturesV2), at most 19 bytes.
const maxConstExprLen = 1 << 10

// ConstExpr reads a constant expression of the WebAssembly 2.0 core, up to
// and including its end.
func (r *Reader) ConstExpr() error {
	var in Instr
	for start := r.pos; ; {
		if r.pos-start >= maxConstExprLen {
			return fmt.Errorf("constant expression longer than %d bytes", maxConstExprLen)
		}
		op, err := r.Byte()
		if err != nil {
			return err
		}
		switch op {
		case OpEnd:
			return nil
		case OpI32Const, OpI64Const, OpF32Const, OpF64Const, OpGlobalGet, OpRefFunc:
			err = r.immediates(ops[op], &in)
		case OpRefNull:
			// Any heap type byte: wazero checks the expression's type once
			// it knows the module's types.
			_, err = r.Byte()
		case OpPrefixSIMD:
			var sub byte
			if sub, err = r.Byte(); err == nil && sub != SIMDV128Const {
				return fmt.Errorf("instruction 0xfd 0x%02x in a constant expression", sub)
			}
			if err == nil {
				err = r.immediates(simdOps[sub], &in)
			}
		default:
			return fmt.Errorf("instruction 0x%02x in a constant expression", op)
		}
		if err != nil {
			return err
		}
	}
}

// ElementSegment reads an element segment and returns its number of
// elements.
func (r *Reader) ElementSegment() (uint32, error) {
	flags, err := r.U32()
	if err != nil {
		return 0, err
	}
	if flags > 7 {
		return 0, fmt.Errorf("unsupported flags %d", flags)
	}
	if flags&3 == 2 { // explicit table index
		if _, err := r.U32(); err != nil {
			return 0, err
		}
	}
	if flags&1 == 0 { // active: offset expression
		if err := r.ConstExpr(); err != nil {
			return 0, fmt.Errorf("offset: %w", err)
		}
	}
	if flags&3 != 0 { // element kind or reference type
		if _, err := r.Byte(); err != nil {
			return 0, err
		}
	}
	if flags&4 == 0 { // function indices
		n, err := r.Count("elements", 1)
		for i := uint32(0); i < n && err == nil; i++ {
			_, err = r.U32()
		}
		return n, err
	}
	n, err := r.Count("elements", 2) // expressions
	for i := uint32(0); i < n && err == nil; i++ {
		err = r.ConstExpr()
	}
	return n, err
}

// DataSegment reads a data segment.
func (r *Reader) DataSegment() error {
	flags, err := r.U32()
	if err != nil {
		return err
	}
	switch flags {
	case 0: // active, memory 0
		err = r.ConstExpr()
	case 1: // passive
	case 2: // active, explicit memory
		if _, err = r.U32(); err == nil {
			err = r.ConstExpr()
		}
	default:
		return fmt.Errorf("unsupported flags %d", flags)
	}
	if err != nil {
		return err
	}
	size, err := r.U32()
	if err != nil {
		return err
	}
	if err := r.Skip(size); err != nil {
		return fmt.Errorf("%d bytes of data: %w", size, err)
	}
	return nil
}
