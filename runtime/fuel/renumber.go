package fuel

import (
	"errors"
	"fmt"

	"github.com/wasmauth/wasmauth/internal/wasmbin"
)

// Instrument adds one imported function, the refuel import, after the
// module's own imported functions. Every defined function then has an index
// one higher, and the sections that name functions are rewritten here: the
// exports, the start function, element segments, constant expressions
// (global initialisers, element expressions) and the name section. The code
// is renumbered by the walker in code.go.

// refuelType is the type of the refuel import, [] -> [], appended to the
// type section.
var refuelType = []byte{0x60, 0, 0}

// refuelImport returns the import entry of the refuel function of type t.
func refuelImport(t uint32) []byte {
	b := wasmbin.AppendU32(nil, uint32(len(ImportModule)))
	b = append(b, ImportModule...)
	b = wasmbin.AppendU32(b, uint32(len(ImportName)))
	b = append(b, ImportName...)
	b = append(b, wasmbin.ExternFunc)
	return wasmbin.AppendU32(b, t)
}

// appendVector returns the payload of a section that is a vector (already
// decoded by decodeSection, or nil) with entry added at its end.
func appendVector(payload, entry []byte) []byte {
	var n uint32
	rest := payload
	if payload != nil {
		r := wasmbin.NewReader(payload)
		n, _ = r.U32()
		rest = payload[r.Pos():]
	}
	out := wasmbin.AppendU32(make([]byte, 0, len(payload)+len(entry)+5), n+1)
	out = append(out, rest...)
	return append(out, entry...)
}

// funcIndex returns the new index of function x of the original module,
// which must declare it.
func (m *module) funcIndex(x uint32) (uint32, error) {
	if x >= m.numFuncs {
		return 0, fmt.Errorf("function index %d out of range", x)
	}
	return remapFunc(x, m.refuel), nil
}

// constExpr copies the constant expression at r's position (in payload) to
// out, renumbering ref.func.
func (m *module) constExpr(payload []byte, r *wasmbin.Reader, out []byte) ([]byte, error) {
	for start := r.Pos(); ; {
		if r.Pos()-start > 1<<10 {
			return nil, errors.New("constant expression too long")
		}
		at := r.Pos()
		op, err := r.Byte()
		if err != nil {
			return nil, err
		}
		switch op {
		case wasmbin.OpEnd:
			return append(out, op), nil
		case wasmbin.OpRefFunc:
			x, err := r.U32()
			if err == nil {
				x, err = m.funcIndex(x)
			}
			if err != nil {
				return nil, fmt.Errorf("ref.func: %w", err)
			}
			out = append(out, op)
			out = wasmbin.AppendU32(out, x)
			continue
		case wasmbin.OpI32Const:
			err = r.SkipS32()
		case wasmbin.OpI64Const:
			err = r.SkipS64()
		case wasmbin.OpF32Const:
			err = r.Skip(4)
		case wasmbin.OpF64Const:
			err = r.Skip(8)
		case wasmbin.OpGlobalGet:
			_, err = r.U32()
		case wasmbin.OpRefNull:
			_, err = r.Byte()
		case wasmbin.OpPrefixSIMD:
			var sub byte
			if sub, err = r.Byte(); err == nil && sub != wasmbin.SIMDV128Const {
				err = fmt.Errorf("instruction 0xfd 0x%02x in a constant expression", sub)
			}
			if err == nil {
				err = r.Skip(16)
			}
		default:
			err = fmt.Errorf("instruction 0x%02x in a constant expression", op)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, payload[at:r.Pos()]...)
	}
}

// rewriteGlobals returns the global section with ref.func renumbered in the
// initialisers and the fuel global, (mut i64) initialised to
// min(initial, Slice), added after the existing globals.
func (m *module) rewriteGlobals(initial int64) ([]byte, error) {
	payload := m.sectionPayload(wasmbin.SecGlobal)
	out := wasmbin.AppendU32(make([]byte, 0, len(payload)+16), m.numGlobals+1)
	if payload != nil {
		r := wasmbin.NewReader(payload)
		_, _ = r.U32() // m.numGlobals
		for i := uint32(0); i < m.numGlobals; i++ {
			at := r.Pos()
			if err := r.Skip(2); err != nil { // value type, mutability
				return nil, fmt.Errorf("global %d: %w", i, err)
			}
			out = append(out, payload[at:r.Pos()]...)
			var err error
			if out, err = m.constExpr(payload, r, out); err != nil {
				return nil, fmt.Errorf("global %d: %w", i, err)
			}
		}
		if err := r.Done(); err != nil {
			return nil, err
		}
	}
	out = append(out, wasmbin.I64, 0x01, wasmbin.OpI64Const)
	out = wasmbin.AppendS64(out, min(initial, Slice))
	return append(out, wasmbin.OpEnd), nil
}

// rewriteExports returns the export section with function indices
// renumbered and the fuel global, fuelGlobal, exported as GlobalExport. It
// refuses an existing export named GlobalExport, and an exported global or
// function the original module does not declare.
func (m *module) rewriteExports(fuelGlobal uint32) ([]byte, error) {
	payload := m.sectionPayload(wasmbin.SecExport)
	r := wasmbin.NewReader(payload)
	var n uint32
	if payload != nil {
		var err error
		if n, err = r.Count("exports", 3); err != nil {
			return nil, err
		}
	}
	numGlobals := m.numImportedGlobals + m.numGlobals
	out := wasmbin.AppendU32(make([]byte, 0, len(payload)+len(GlobalExport)+8), n+1)
	for i := uint32(0); i < n; i++ {
		at := r.Pos()
		name, err := r.Name("name")
		if err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		if string(name) == GlobalExport {
			return nil, ErrAlreadyInstrumented
		}
		kind, err := r.Byte()
		if err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		out = append(out, payload[at:r.Pos()]...)
		idx, err := r.U32()
		if err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		switch kind {
		case wasmbin.ExternGlobal:
			if idx >= numGlobals {
				return nil, fmt.Errorf("export %q: global index %d out of range", name, idx)
			}
		case wasmbin.ExternFunc:
			if idx, err = m.funcIndex(idx); err != nil {
				return nil, fmt.Errorf("export %q: %w", name, err)
			}
		}
		out = wasmbin.AppendU32(out, idx)
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	out = wasmbin.AppendU32(out, uint32(len(GlobalExport)))
	out = append(out, GlobalExport...)
	out = append(out, wasmbin.ExternGlobal)
	return wasmbin.AppendU32(out, fuelGlobal), nil
}

// rewriteStart renumbers the start function.
func (m *module) rewriteStart(payload []byte) ([]byte, error) {
	r := wasmbin.NewReader(payload)
	x, err := r.U32()
	if err == nil {
		err = r.Done()
	}
	if err == nil {
		x, err = m.funcIndex(x)
	}
	if err != nil {
		return nil, err
	}
	return wasmbin.AppendU32(nil, x), nil
}

// rewriteElements renumbers the functions of the element segments, named
// by index or by ref.func expressions. The section was checked by
// checkElements.
func (m *module) rewriteElements(payload []byte) ([]byte, error) {
	r := wasmbin.NewReader(payload)
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := wasmbin.AppendU32(make([]byte, 0, len(payload)+len(payload)/8+8), n)
	for i := uint32(0); i < n; i++ {
		if out, err = m.elementSegment(payload, r, out); err != nil {
			return nil, fmt.Errorf("element segment %d: %w", i, err)
		}
	}
	return out, r.Done()
}

func (m *module) elementSegment(payload []byte, r *wasmbin.Reader, out []byte) ([]byte, error) {
	flags, err := r.U32()
	if err != nil {
		return nil, err
	}
	if flags > 7 {
		return nil, fmt.Errorf("unsupported flags %d", flags)
	}
	out = wasmbin.AppendU32(out, flags)
	if flags&3 == 2 { // explicit table index
		t, err := r.U32()
		if err != nil {
			return nil, err
		}
		out = wasmbin.AppendU32(out, t)
	}
	if flags&1 == 0 { // active: offset expression
		if out, err = m.constExpr(payload, r, out); err != nil {
			return nil, fmt.Errorf("offset: %w", err)
		}
	}
	if flags&3 != 0 { // element kind or reference type
		b, err := r.Byte()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out = wasmbin.AppendU32(out, n)
	for i := uint32(0); i < n; i++ {
		if flags&4 != 0 { // expressions
			if out, err = m.constExpr(payload, r, out); err != nil {
				return nil, err
			}
			continue
		}
		x, err := r.U32()
		if err == nil {
			x, err = m.funcIndex(x)
		}
		if err != nil {
			return nil, err
		}
		out = wasmbin.AppendU32(out, x)
	}
	return out, nil
}

// rewriteNames returns the "name" custom section (checked by
// wasmbin.CheckCustom) with the function indices of its function names
// and local names renumbered. Names of functions the module does not
// declare are dropped, and so are the subsections of the extended name
// section (labels, types, tables and the rest), which wazero ignores.
func (m *module) rewriteNames(payload []byte) []byte {
	r := wasmbin.NewReader(payload)
	name, _ := r.Name("custom section name")
	out := wasmbin.AppendU32(make([]byte, 0, len(payload)+16), uint32(len(name)))
	out = append(out, name...)
	for !r.EOF() {
		id, err := r.Byte()
		if err != nil {
			break
		}
		size, err := r.U32()
		if err != nil {
			break
		}
		sub, err := r.Bytes(size)
		if err != nil {
			break
		}
		var body []byte
		switch id {
		case 0: // module name
			body = sub
		case 1: // function names
			body = m.funcNameMap(sub, false)
		case 2: // local names, by function
			body = m.funcNameMap(sub, true)
		}
		if body == nil {
			continue
		}
		out = append(out, id)
		out = wasmbin.AppendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	return out
}

// funcNameMap renumbers a vector of (function index, value) pairs, whose
// values are names, or name maps when indirect is set. It returns nil for
// a malformed vector.
func (m *module) funcNameMap(sub []byte, indirect bool) []byte {
	r := wasmbin.NewReader(sub)
	n, err := r.U32()
	if err != nil {
		return nil
	}
	var kept uint32
	var entries []byte
	for i := uint32(0); i < n; i++ {
		x, err := r.U32()
		if err != nil {
			return nil
		}
		at := r.Pos()
		if indirect {
			var k uint32
			if k, err = r.U32(); err == nil {
				for j := uint32(0); j < k && err == nil; j++ {
					if _, err = r.U32(); err == nil {
						_, err = r.Name("name")
					}
				}
			}
		} else {
			_, err = r.Name("name")
		}
		if err != nil {
			return nil
		}
		if x >= m.numFuncs {
			continue
		}
		kept++
		entries = wasmbin.AppendU32(entries, remapFunc(x, m.refuel))
		entries = append(entries, sub[at:r.Pos()]...)
	}
	return append(wasmbin.AppendU32(nil, kept), entries...)
}
