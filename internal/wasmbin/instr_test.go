package wasmbin

import (
	"slices"
	"strings"
	"testing"
)

func TestInstr(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		op      byte
		sub     uint32
		index   uint32
		labels  []uint32
		wantErr string
	}{
		{name: "nop", in: []byte{OpNop}, op: OpNop},
		{name: "block", in: []byte{OpBlock, BlockTypeEmpty}, op: OpBlock},
		{name: "block of i32", in: []byte{OpBlock, I32}, op: OpBlock},
		{name: "block of a type index", in: []byte{OpLoop, 0x80, 0x01}, op: OpLoop},
		{name: "bad block type", in: []byte{OpIf, 0x41}, wantErr: "unsupported block type -63"},
		{name: "br", in: []byte{OpBr, 3}, op: OpBr, index: 3},
		{name: "br_table", in: []byte{OpBrTable, 2, 0, 1, 2}, op: OpBrTable, labels: []uint32{0, 1, 2}},
		{name: "br_table bomb", in: []byte{OpBrTable, 0xff, 0xff, 0xff, 0xff, 0x0f, 0}, wantErr: "br_table labels count"},
		{name: "call_indirect", in: []byte{OpCallIndirect, 5, 0}, op: OpCallIndirect, index: 5},
		{name: "typed select", in: []byte{OpSelectTyped, 1, I64}, op: OpSelectTyped},
		{name: "typed select of two", in: []byte{OpSelectTyped, 2, I64, I64}, wantErr: "exactly one type"},
		{name: "load", in: []byte{0x28, 2, 0x80, 0x01}, op: 0x28},
		{name: "store truncated", in: []byte{0x36, 2}, wantErr: "memory offset"},
		{name: "memory.grow", in: []byte{OpMemoryGrow, 0}, op: OpMemoryGrow},
		{name: "memory.grow of memory 1", in: []byte{OpMemoryGrow, 1}, wantErr: "zero byte"},
		{name: "i64.const", in: []byte{OpI64Const, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}, op: OpI64Const},
		{name: "i32.const too long", in: []byte{OpI32Const, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}, wantErr: "longer than 5 bytes"},
		{name: "f64.const truncated", in: []byte{OpF64Const, 1, 2, 3}, wantErr: "f64.const"},
		{name: "ref.null", in: []byte{OpRefNull, Externref}, op: OpRefNull},
		{name: "ref.null of i32", in: []byte{OpRefNull, I32}, wantErr: "reference type"},
		{name: "local.tee", in: []byte{OpLocalTee, 0x80, 0x01}, op: OpLocalTee, index: 128},
		{name: "memory.init", in: []byte{OpPrefixMisc, MiscMemoryInit, 4, 0}, op: OpPrefixMisc, sub: MiscMemoryInit, index: 4},
		{name: "memory.copy", in: []byte{OpPrefixMisc, MiscMemoryCopy, 0, 0}, op: OpPrefixMisc, sub: MiscMemoryCopy},
		{name: "table.copy", in: []byte{OpPrefixMisc, MiscTableCopy, 1, 2}, op: OpPrefixMisc, sub: MiscTableCopy, index: 1},
		{name: "trunc_sat as a long LEB128", in: []byte{OpPrefixMisc, 0x87, 0x00}, op: OpPrefixMisc, sub: 7},
		{name: "unknown 0xfc", in: []byte{OpPrefixMisc, 0x12}, wantErr: "opcode 0xfc 18"},
		{name: "v128.const", in: append([]byte{OpPrefixSIMD, SIMDV128Const}, make([]byte, 16)...), op: OpPrefixSIMD, sub: SIMDV128Const},
		{name: "v128.load8_lane", in: []byte{OpPrefixSIMD, 0x54, 0, 0, 15}, op: OpPrefixSIMD, sub: 0x54},
		{name: "i8x16.extract_lane_s", in: []byte{OpPrefixSIMD, 0x15, 3}, op: OpPrefixSIMD, sub: 0x15},
		{name: "two-byte SIMD opcode", in: []byte{OpPrefixSIMD, 0x80, 0x01}, op: OpPrefixSIMD, sub: 0x80},
		{name: "unknown 0xfd", in: []byte{OpPrefixSIMD, 0x9a, 0x01}, wantErr: "opcode 0xfd 0x9a"},
		{name: "exception handling try", in: []byte{0x06, 0x40}, wantErr: "opcode 0x06"},
		{name: "tail call", in: []byte{0x12, 0}, wantErr: "opcode 0x12"},
		{name: "atomics", in: []byte{0xfe, 3, 0}, wantErr: "opcode 0xfe"},
		{name: "nothing", in: nil, wantErr: ErrTruncated.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(tt.in)
			var in Instr
			err := r.Instr(&in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if in.Op != tt.op || in.Sub != tt.sub || in.Index != tt.index || !r.EOF() {
				t.Errorf("decoded %+v, %d bytes left; want op 0x%02x sub %d index %d, none left", in, r.Len(), tt.op, tt.sub, tt.index)
			}
			if tt.labels != nil && !slices.Equal(in.Labels, tt.labels) {
				t.Errorf("labels = %v, want %v", in.Labels, tt.labels)
			}
		})
	}
}

// TestOpcodeTables checks the tables' sizes against the proposals they
// implement, so that an opcode lost or added by mistake shows.
func TestOpcodeTables(t *testing.T) {
	count := func(table []imm) int {
		n := 0
		for _, s := range table {
			if s != immInvalid {
				n++
			}
		}
		return n
	}
	for _, tt := range []struct {
		name  string
		table []imm
		want  int
	}{
		// MVP 172, sign extension 5, reference types 6 (typed select,
		// table.get and table.set, ref.null, ref.is_null and ref.func),
		// and the two prefixes.
		{"single-byte", ops[:], 172 + 5 + 6 + 2},
		{"0xfc", miscOps[:], 18},
		{"0xfd", simdOps[:], 236},
	} {
		if got := count(tt.table); got != tt.want {
			t.Errorf("%s opcodes: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestConstExpr(t *testing.T) {
	tests := []struct {
		in []byte
		ok bool
	}{
		{in: []byte{OpI32Const, 0x7f, OpEnd}, ok: true},
		{in: []byte{OpGlobalGet, 0, OpEnd}, ok: true},
		{in: []byte{OpRefNull, 0x00, OpEnd}, ok: true}, // any heap type: wazero checks it later
		{in: []byte{OpRefFunc, 3, OpEnd}, ok: true},
		{in: append(append([]byte{OpPrefixSIMD, SIMDV128Const}, make([]byte, 16)...), OpEnd), ok: true},
		{in: []byte{OpI32Const, 1, OpI32Const, 2, 0x6a, OpEnd}}, // extended-const: wazero refuses it
		{in: []byte{OpPrefixSIMD, 0x8c, 0x00, OpEnd}},           // v128.const as a long LEB128
		{in: []byte{OpNop, OpEnd}},                              // not constant
		{in: []byte{OpI32Const, 1}},                             // no end
	}
	consts := func(n int) []byte { // n i32.const 0, then end
		var b []byte
		for range n {
			b = append(b, OpI32Const, 0)
		}
		return append(b, OpEnd)
	}
	tests = append(tests, []struct {
		in []byte
		ok bool
	}{{in: consts(511), ok: true}, {in: consts(512)}}...) // 1,023 and 1,025 bytes
	for _, tt := range tests {
		r := NewReader(tt.in)
		err := r.ConstExpr()
		if (err == nil) != tt.ok || (tt.ok && !r.EOF()) {
			t.Errorf("ConstExpr(% x) = %v, %d bytes left; want ok %t", tt.in, err, r.Len(), tt.ok)
		}
	}
}

func TestElementSegment(t *testing.T) {
	tests := []struct {
		in   []byte
		want uint32
		ok   bool
	}{
		{in: []byte{0, OpI32Const, 0, OpEnd, 2, 0, 1}, want: 2, ok: true},    // active, table 0, indices
		{in: []byte{1, 0, 3, 0, 1, 2}, want: 3, ok: true},                    // passive, indices
		{in: []byte{2, 1, OpI32Const, 0, OpEnd, 0, 1, 5}, want: 1, ok: true}, // active, table 1, indices
		{in: []byte{5, Funcref, 1, OpRefFunc, 0, OpEnd}, want: 1, ok: true},  // passive, expressions
		{in: []byte{4, OpI32Const, 0, OpEnd, 2, OpRefNull, Funcref, OpEnd, OpRefFunc, 1, OpEnd}, want: 2, ok: true},
		{in: []byte{8}}, // flags
		{in: []byte{1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}}, // count bomb
	}
	for _, tt := range tests {
		r := NewReader(tt.in)
		n, err := r.ElementSegment()
		if (err == nil) != tt.ok || (tt.ok && (n != tt.want || !r.EOF())) {
			t.Errorf("ElementSegment(% x) = %d, %v, %d bytes left; want %d, ok %t", tt.in, n, err, r.Len(), tt.want, tt.ok)
		}
	}
}

func TestDataSegment(t *testing.T) {
	tests := []struct {
		in []byte
		ok bool
	}{
		{in: []byte{0, OpI32Const, 8, OpEnd, 2, 'h', 'i'}, ok: true},
		{in: []byte{1, 1, 'x'}, ok: true},
		{in: []byte{2, 0, OpI32Const, 8, OpEnd, 0}, ok: true},
		{in: []byte{3, 0}},
		{in: []byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f}},
	}
	for _, tt := range tests {
		r := NewReader(tt.in)
		if err := r.DataSegment(); (err == nil) != tt.ok || (tt.ok && !r.EOF()) {
			t.Errorf("DataSegment(% x) = %v; want ok %t", tt.in, err, tt.ok)
		}
	}
}
