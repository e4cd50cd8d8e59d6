package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/wasmauth/wasmauth/internal/wasmbin"
)

// Structural bounds checked before a module reaches a decoder. wazero's
// decoder (and any other) trusts the element counts written in a module and
// allocates for them up front, so a few bytes claiming 2^32 imports or locals
// would make it allocate gigabytes; precheck walks the binary first and refuses
// counts the bytes cannot back, and counts beyond what real tool chains emit
// (the limits are those of V8's wasm-limits.h, where one exists).
const (
	maxTypes         = 100_000
	maxImports       = 100_000
	maxFunctions     = 200_000
	maxGlobals       = 100_000
	maxExports       = 100_000
	maxSegments      = 100_000 // element or data segments
	maxElements      = 1 << 20 // table elements, across all segments
	maxParams        = 1000
	maxResults       = 1000
	maxLocals        = 50_000
	maxTables        = 8
	maxTableEntries  = 1 << 18 // 2 MiB of references per table
	maxNameLen       = 100_000 // bytes of an import, export or custom section name
	maxConstExprSize = 1 << 10
)

// Section ids.
const (
	secCustom = iota
	secType
	secImport
	secFunction
	secTable
	secMemory
	secGlobal
	secExport
	secStart
	secElement
	secCode
	secData
	secDataCount
)

var wasmMagic = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

var errTruncated = errors.New("unexpected end of section")

// reader reads the binary format within one bounded range.
type reader struct {
	b   []byte
	off int
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errTruncated
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) skip(n uint32) error {
	if uint64(n) > uint64(r.left()) {
		return errTruncated
	}
	r.off += int(n)
	return nil
}

// u32 reads an unsigned LEB128 of at most 32 bits.
func (r *reader) u32() (uint32, error) {
	var v uint32
	for shift := uint(0); shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if shift == 28 && c > 0x0f {
			return 0, errors.New("integer too large")
		}
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("integer too long")
}

// sleb skips a signed LEB128 of at most maxBytes bytes.
func (r *reader) sleb(maxBytes int) error {
	for i := 0; i < maxBytes; i++ {
		c, err := r.byte()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
	}
	return errors.New("integer too long")
}

// count reads a vector length and checks that each element, at least min bytes
// long, fits in what is left.
func (r *reader) count(what string, min int, limit int) (int, error) {
	n, err := r.u32()
	if err != nil {
		return 0, fmt.Errorf("%s count: %w", what, err)
	}
	if uint64(n)*uint64(min) > uint64(r.left()) {
		return 0, fmt.Errorf("%s count %d is larger than its section", what, n)
	}
	if limit > 0 && uint64(n) > uint64(limit) {
		return 0, fmt.Errorf("%d %s, at most %d allowed", n, what, limit)
	}
	return int(n), nil
}

// each reads a vector's count as count does and calls visit with the index
// of each element, stopping at the first error.
func (r *reader) each(what string, min int, limit int, visit func(i int) error) error {
	n, err := r.count(what, min, limit)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := visit(i); err != nil {
			return err
		}
	}
	return nil
}

// str reads a name and returns it, cut to 64 bytes for messages.
func (r *reader) str(what string) (string, error) {
	start := r.off
	if err := r.name(what); err != nil {
		return "", err
	}
	b := r.b[start:r.off]
	for len(b) > 0 && b[0]&0x80 != 0 { // skip the length
		b = b[1:]
	}
	b = b[1:]
	if len(b) > 64 {
		b = b[:64]
	}
	return strings.ToValidUTF8(string(b), "?"), nil
}

func (r *reader) name(what string) error {
	n, err := r.u32()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n > maxNameLen {
		return fmt.Errorf("%s is %d bytes long", what, n)
	}
	if err := r.skip(n); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// limits reads table or memory limits, returning min, max and whether max is set.
func (r *reader) limits() (uint32, uint32, bool, error) {
	flag, err := r.byte()
	if err != nil {
		return 0, 0, false, err
	}
	if flag > 1 {
		return 0, 0, false, fmt.Errorf("limits flag 0x%x (shared or 64-bit) is not supported", flag)
	}
	lo, err := r.u32()
	if err != nil {
		return 0, 0, false, err
	}
	if flag == 0 {
		return lo, 0, false, nil
	}
	hi, err := r.u32()
	return lo, hi, true, err
}

// constExpr skips a constant expression up to its end opcode.
func (r *reader) constExpr() error {
	start := r.off
	for r.off-start < maxConstExprSize {
		op, err := r.byte()
		if err != nil {
			return err
		}
		switch op {
		case 0x0b: // end
			return nil
		case 0x41: // i32.const
			err = r.sleb(5)
		case 0x42: // i64.const
			err = r.sleb(10)
		case 0x43: // f32.const
			err = r.skip(4)
		case 0x44: // f64.const
			err = r.skip(8)
		case 0x23, 0xd2: // global.get, ref.func
			_, err = r.u32()
		case 0xd0: // ref.null
			_, err = r.byte()
		case 0xfd: // v128.const
			var sub uint32
			if sub, err = r.u32(); err == nil {
				if sub != 12 {
					return fmt.Errorf("instruction 0xfd %d in a constant expression", sub)
				}
				err = r.skip(16)
			}
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended-const arithmetic
		default:
			return fmt.Errorf("instruction 0x%x in a constant expression", op)
		}
		if err != nil {
			return err
		}
	}
	return errors.New("constant expression too long")
}

// precheck walks wasm and checks its structure against the bounds above. It
// returns the module to compile: wasm itself, or a copy whose table section
// caps each table's maximum at maxTableEntries (a table without a maximum
// could otherwise be grown by table.grow to gigabytes, outside the memory
// limit). Its errors are reasons for a ModuleError.
func precheck(wasm []byte) ([]byte, error) {
	out, _, err := precheckCost(wasm)
	return out, err
}

// precheckCost is precheck that also returns the code's compile cost.
func precheckCost(wasm []byte) ([]byte, codeCost, error) {
	var cost codeCost
	if len(wasm) < len(wasmMagic) || !bytes.Equal(wasm[:4], wasmMagic[:4]) {
		return nil, cost, errors.New("not a WebAssembly module (bad magic number)")
	}
	if !bytes.Equal(wasm[4:8], wasmMagic[4:]) {
		return nil, cost, errors.New("unsupported WebAssembly binary version (only version 1 is)")
	}
	r := &reader{b: wasm, off: 8}
	var tableStart, tableEnd int
	var newTables []byte
	elements := 0
	var typeParams []int   // parameters of each type
	var funcTypes []uint32 // type of each defined function
	for r.left() > 0 {
		headerStart := r.off
		id, err := r.byte()
		if err != nil {
			return nil, cost, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, cost, fmt.Errorf("section %d size: %w", id, err)
		}
		if uint64(size) > uint64(r.left()) {
			return nil, cost, fmt.Errorf("section %d is larger than the module", id)
		}
		sec := &reader{b: r.b[r.off : r.off+int(size)]}
		r.off += int(size)
		var serr error
		switch id {
		case secCustom:
			serr = checkCustom(sec)
		case secType:
			typeParams, serr = checkTypes(sec)
		case secImport:
			serr = checkImports(sec)
		case secFunction:
			funcTypes, serr = checkFunctions(sec)
		case secTable:
			newTables, serr = checkTables(sec)
			tableStart, tableEnd = headerStart, r.off
		case secMemory:
			serr = checkMemories(sec)
		case secGlobal:
			serr = checkGlobals(sec)
		case secExport:
			serr = checkExports(sec)
		case secStart, secDataCount:
			_, serr = sec.u32()
		case secElement:
			serr = checkElements(sec, &elements)
		case secCode:
			cost, serr = checkCode(sec, func(i int) int {
				if i < len(funcTypes) && int(funcTypes[i]) < len(typeParams) {
					return typeParams[funcTypes[i]]
				}
				return 0 // the compiler refuses the mismatch
			})
		case secData:
			serr = checkData(sec)
		default:
			return nil, cost, fmt.Errorf("unknown section id %d", id)
		}
		if serr != nil {
			return nil, cost, fmt.Errorf("%s section: %w", sectionName(id), serr)
		}
		if id != secCustom && sec.left() != 0 {
			return nil, cost, fmt.Errorf("%s section: %d bytes left over", sectionName(id), sec.left())
		}
	}
	if newTables == nil {
		return wasm, cost, nil
	}
	out := make([]byte, 0, len(wasm)+len(newTables))
	out = append(out, wasm[:tableStart]...)
	out = append(out, secTable)
	out = appendU32(out, uint32(len(newTables)))
	out = append(out, newTables...)
	return append(out, wasm[tableEnd:]...), cost, nil
}

func sectionName(id byte) string {
	names := [...]string{"custom", "type", "import", "function", "table", "memory", "global",
		"export", "start", "element", "code", "data", "data count"}
	if int(id) < len(names) {
		return names[id]
	}
	return fmt.Sprintf("id %d", id)
}

// checkCustom checks a custom section's name and, for the "name" section
// (the only one wazero decodes), the counts of its name maps.
func checkCustom(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return fmt.Errorf("custom section name: %w", err)
	}
	if uint64(n) > uint64(r.left()) || n > maxNameLen {
		return errors.New("custom section name is larger than its section")
	}
	name := string(r.b[r.off : r.off+int(n)])
	r.off += int(n)
	if name != "name" {
		return nil
	}
	for r.left() > 0 {
		id, err := r.byte()
		if err != nil {
			return err
		}
		size, err := r.u32()
		if err != nil {
			return err
		}
		if uint64(size) > uint64(r.left()) {
			return errors.New("name subsection is larger than its section")
		}
		sub := &reader{b: r.b[r.off : r.off+int(size)]}
		r.off += int(size)
		switch id {
		case 1: // function names
			err = sub.nameMap()
		case 2: // local names
			var k int
			if k, err = sub.count("function local names", 2, maxFunctions); err != nil {
				return err
			}
			for i := 0; i < k && err == nil; i++ {
				if _, err = sub.u32(); err == nil {
					err = sub.nameMap()
				}
			}
		}
		if err != nil {
			return fmt.Errorf("name section: %w", err)
		}
	}
	return nil
}

// nameMap checks a vector of (index, name) pairs.
func (r *reader) nameMap() error {
	return r.each("names", 2, maxFunctions, func(int) error {
		if _, err := r.u32(); err != nil {
			return err
		}
		return r.name("name")
	})
}

// checkTypes checks the type section and returns each type's number of
// parameters.
func checkTypes(r *reader) ([]int, error) {
	n, err := r.count("types", 3, maxTypes)
	if err != nil {
		return nil, err
	}
	params := make([]int, n)
	for i := 0; i < n; i++ {
		form, err := r.byte()
		if err != nil {
			return nil, err
		}
		if form != 0x60 {
			return nil, fmt.Errorf("type %d is not a function type (0x%x)", i, form)
		}
		for j, what := range []struct {
			name  string
			limit int
		}{{"params", maxParams}, {"results", maxResults}} {
			k, err := r.count(what.name, 1, what.limit)
			if err != nil {
				return nil, fmt.Errorf("type %d: %w", i, err)
			}
			if j == 0 {
				params[i] = k
			}
			if err := r.skip(uint32(k)); err != nil {
				return nil, err
			}
		}
	}
	return params, nil
}

// checkImports checks the import section; only functions may be imported
// (which ones is checked after compiling).
func checkImports(r *reader) error {
	kinds := [...]string{"a function", "a table", "a memory", "a global", "a tag"}
	return r.each("imports", 4, maxImports, func(int) error {
		mod, err := r.str("import module name")
		if err != nil {
			return err
		}
		name, err := r.str("import name")
		if err != nil {
			return err
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		if kind != 0 {
			what := fmt.Sprintf("kind %d", kind)
			if int(kind) < len(kinds) {
				what = kinds[kind]
			}
			return fmt.Errorf("imports %s.%s, %s: a module may import only functions and must define and export its own memory", mod, name, what)
		}
		_, err = r.u32()
		return err
	})
}

// checkFunctions checks the function section and returns the type index of
// each defined function.
func checkFunctions(r *reader) ([]uint32, error) {
	n, err := r.count("functions", 1, maxFunctions)
	if err != nil {
		return nil, err
	}
	types := make([]uint32, n)
	for i := 0; i < n; i++ {
		if types[i], err = r.u32(); err != nil {
			return nil, err
		}
	}
	return types, nil
}

// checkTables checks the tables and returns a re-encoded table section with
// every maximum capped, or nil when no table needs it.
func checkTables(r *reader) ([]byte, error) {
	n, err := r.count("tables", 3, maxTables)
	if err != nil {
		return nil, err
	}
	out := appendU32(nil, uint32(n))
	changed := false
	for i := 0; i < n; i++ {
		ref, err := r.byte()
		if err != nil {
			return nil, err
		}
		if ref != 0x70 && ref != 0x6f {
			return nil, fmt.Errorf("table %d has element type 0x%x", i, ref)
		}
		lo, hi, hasMax, err := r.limits()
		if err != nil {
			return nil, err
		}
		if lo > maxTableEntries {
			return nil, fmt.Errorf("table %d starts with %d entries, at most %d allowed", i, lo, maxTableEntries)
		}
		if !hasMax || hi > maxTableEntries {
			hi, changed = maxTableEntries, true
		}
		if hi < lo {
			return nil, fmt.Errorf("table %d has a maximum below its minimum", i)
		}
		out = append(out, ref, 1)
		out = appendU32(out, lo)
		out = appendU32(out, hi)
	}
	if !changed {
		return nil, nil
	}
	return out, nil
}

func checkMemories(r *reader) error {
	return r.each("memories", 2, 1, func(int) error {
		_, _, _, err := r.limits()
		return err
	})
}

func checkGlobals(r *reader) error {
	return r.each("globals", 3, maxGlobals, func(i int) error {
		if err := r.skip(2); err != nil { // value type and mutability
			return err
		}
		if err := r.constExpr(); err != nil {
			return fmt.Errorf("global %d: %w", i, err)
		}
		return nil
	})
}

func checkExports(r *reader) error {
	return r.each("exports", 3, maxExports, func(int) error {
		if err := r.name("export name"); err != nil {
			return err
		}
		if err := r.skip(1); err != nil {
			return err
		}
		_, err := r.u32()
		return err
	})
}

func checkElements(r *reader, total *int) error {
	return r.each("element segments", 2, maxSegments, func(i int) error {
		flags, err := r.u32()
		if err != nil {
			return err
		}
		if flags > 7 {
			return fmt.Errorf("element segment %d has flags %d", i, flags)
		}
		if flags&3 == 2 { // explicit table index
			if _, err := r.u32(); err != nil {
				return err
			}
		}
		if flags&1 == 0 { // active: offset expression
			if err := r.constExpr(); err != nil {
				return fmt.Errorf("element segment %d offset: %w", i, err)
			}
		}
		if flags&3 != 0 { // element kind or reference type
			if _, err := r.byte(); err != nil {
				return err
			}
		}
		k, err := r.count("elements", 1, maxElements-*total)
		if err != nil {
			return err
		}
		*total += k
		for j := 0; j < k; j++ {
			if flags&4 != 0 {
				err = r.constExpr()
			} else {
				_, err = r.u32()
			}
			if err != nil {
				return fmt.Errorf("element segment %d: %w", i, err)
			}
		}
		return nil
	})
}

// checkCode checks the function bodies: their locals, and their estimated
// compile work against the compile budget (see codecost.go). params returns
// the number of parameters of the i-th defined function.
func checkCode(r *reader, params func(i int) int) (codeCost, error) {
	var cost codeCost
	n, err := r.count("function bodies", 2, maxFunctions)
	if err != nil {
		return cost, err
	}
	for i := 0; i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return cost, err
		}
		if uint64(size) > uint64(r.left()) {
			return cost, fmt.Errorf("function body %d is larger than its section", i)
		}
		body := &reader{b: r.b[r.off : r.off+int(size)]}
		r.off += int(size)
		groups, err := body.count("local groups", 2, 0)
		if err != nil {
			return cost, fmt.Errorf("function body %d: %w", i, err)
		}
		total := uint64(0)
		for j := 0; j < groups; j++ {
			k, err := body.u32()
			if err != nil {
				return cost, fmt.Errorf("function body %d: %w", i, err)
			}
			total += uint64(k)
			if total > maxLocals {
				return cost, fmt.Errorf("function body %d declares more than %d locals", i, maxLocals)
			}
			if _, err := body.byte(); err != nil {
				return cost, fmt.Errorf("function body %d: %w", i, err)
			}
		}
		locals := int(total) + params(i)
		code := wasmbin.NewReader(body.b)
		_ = code.Skip(uint32(body.off)) // the locals, read above
		fc, nest, err := functionCost(code, locals)
		if err != nil {
			return cost, fmt.Errorf("function body %d: %w", i, err)
		}
		if fc > maxFunctionCost {
			return cost, fmt.Errorf("function body %d is too costly to compile (%d locals, blocks nested %d deep; estimated cost %d, at most %d): split it into smaller functions",
				i, locals, nest, fc, uint64(maxFunctionCost))
		}
		cost.total += fc
		cost.maxFunc = max(cost.maxFunc, fc)
		cost.maxLocals = max(cost.maxLocals, locals)
		cost.maxNest = max(cost.maxNest, nest)
		if cost.total > maxModuleCost {
			return cost, fmt.Errorf("the module is too costly to compile: its functions' estimated costs add up to more than %d", uint64(maxModuleCost))
		}
	}
	return cost, nil
}

func checkData(r *reader) error {
	return r.each("data segments", 2, maxSegments, func(i int) error {
		flags, err := r.u32()
		if err != nil {
			return err
		}
		switch flags {
		case 0:
			err = r.constExpr()
		case 1:
		case 2:
			if _, err = r.u32(); err == nil {
				err = r.constExpr()
			}
		default:
			return fmt.Errorf("data segment %d has flags %d", i, flags)
		}
		if err != nil {
			return fmt.Errorf("data segment %d: %w", i, err)
		}
		size, err := r.u32()
		if err != nil {
			return err
		}
		if err := r.skip(size); err != nil {
			return fmt.Errorf("data segment %d: %w", i, err)
		}
		return nil
	})
}

func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}
