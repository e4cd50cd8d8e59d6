package runtime

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wasmauth/wasmauth/internal/wasmbin"
)

// Structural bounds checked before a module reaches a decoder. wazero's
// decoder (and any other) trusts the element counts written in a module and
// allocates for them up front, so a few bytes claiming 2^32 imports or locals
// would make it allocate gigabytes; precheck walks the binary first and refuses
// counts the bytes cannot back (package internal/wasmbin reads the binary and
// refuses those), and counts beyond what real tool chains emit (the limits
// are those of V8's wasm-limits.h, where one exists; wasmbin bounds locals).
const (
	maxTypes        = 100_000
	maxImports      = 100_000
	maxFunctions    = 200_000
	maxGlobals      = 100_000
	maxExports      = 100_000
	maxSegments     = 100_000 // element or data segments
	maxElements     = 1 << 20 // table elements, across all segments
	maxParams       = 1000
	maxResults      = 1000
	maxTables       = 8
	maxTableEntries = 1 << 18 // 2 MiB of references per table
	maxNameLen      = 100_000 // bytes of an import, export or custom section name
)

// count reads a vector's length as wasmbin.Reader.Count does and refuses
// more than limit entries (any number when limit is 0).
func count(r *wasmbin.Reader, what string, minSize int, limit int) (int, error) {
	n, err := r.Count(what, minSize)
	if err != nil {
		return 0, err
	}
	if limit > 0 && uint64(n) > uint64(limit) {
		return 0, fmt.Errorf("%d %s, at most %d allowed", n, what, limit)
	}
	return int(n), nil
}

// each reads a vector's count as count does and calls visit with the index
// of each element, stopping at the first error.
func each(r *wasmbin.Reader, what string, minSize int, limit int, visit func(i int) error) error {
	n, err := count(r, what, minSize, limit)
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

// name reads a name of at most maxNameLen bytes and returns it for
// messages: cut to 64 bytes, with invalid UTF-8 replaced.
func name(r *wasmbin.Reader, what string) (string, error) {
	b, err := r.Name(what)
	if err != nil {
		return "", err
	}
	if len(b) > maxNameLen {
		return "", fmt.Errorf("%s is %d bytes long", what, len(b))
	}
	return strings.ToValidUTF8(string(b[:min(len(b), 64)]), "?"), nil
}

// limits reads table or memory limits; shared ones are refused.
func limits(r *wasmbin.Reader) (wasmbin.Limits, error) {
	l, err := r.Limits()
	if err == nil && l.Shared {
		err = errors.New("shared memories and tables are not supported")
	}
	return l, err
}

// precheck walks wasm and checks its structure against the bounds above. It
// returns the module to compile: wasm itself, or a copy whose table section
// caps each table's maximum at maxTableEntries (a table without a maximum
// could otherwise be grown by table.grow to gigabytes, outside the memory
// limit); and the code's estimated compile cost, which it checked against
// the compile budget. Its errors are reasons for a ModuleError.
func precheck(wasm []byte) ([]byte, codeCost, error) {
	var cost codeCost
	if err := wasmbin.CheckHeader(wasm); err != nil {
		return nil, cost, err
	}
	r := wasmbin.NewReader(wasm)
	_ = r.Skip(wasmbin.HeaderLen)
	var tableStart, tableEnd int
	var newTables []byte
	elements := 0
	var typeParams []int   // parameters of each type
	var funcTypes []uint32 // type of each defined function
	for !r.EOF() {
		headerStart := r.Pos()
		id, payload, err := r.Section()
		if err != nil {
			return nil, cost, err
		}
		sec := wasmbin.NewReader(payload)
		var serr error
		switch id {
		case wasmbin.SecCustom:
			var n []byte
			if n, serr = wasmbin.CheckCustom(payload); serr == nil && len(n) > maxNameLen {
				serr = fmt.Errorf("custom section name is %d bytes long", len(n))
			}
		case wasmbin.SecType:
			typeParams, serr = checkTypes(sec)
		case wasmbin.SecImport:
			serr = checkImports(sec)
		case wasmbin.SecFunction:
			funcTypes, serr = checkFunctions(sec)
		case wasmbin.SecTable:
			newTables, serr = checkTables(sec)
			tableStart, tableEnd = headerStart, r.Pos()
		case wasmbin.SecMemory:
			serr = checkMemories(sec)
		case wasmbin.SecGlobal:
			serr = checkGlobals(sec)
		case wasmbin.SecExport:
			serr = checkExports(sec)
		case wasmbin.SecStart, wasmbin.SecDataCount:
			_, serr = sec.U32()
		case wasmbin.SecElement:
			serr = checkElements(sec, &elements)
		case wasmbin.SecCode:
			cost, serr = checkCode(sec, func(i int) int {
				if i < len(funcTypes) && int(funcTypes[i]) < len(typeParams) {
					return typeParams[funcTypes[i]]
				}
				return 0 // the compiler refuses the mismatch
			})
		case wasmbin.SecData:
			serr = checkData(sec)
		default:
			return nil, cost, fmt.Errorf("unknown section id %d", id)
		}
		if serr == nil && id != wasmbin.SecCustom {
			serr = sec.Done()
		}
		if serr != nil {
			return nil, cost, fmt.Errorf("%s section: %w", wasmbin.SectionName(id), serr)
		}
	}
	if newTables == nil {
		return wasm, cost, nil
	}
	out := make([]byte, 0, len(wasm)+len(newTables))
	out = append(out, wasm[:tableStart]...)
	out = wasmbin.AppendSection(out, wasmbin.SecTable, newTables)
	return append(out, wasm[tableEnd:]...), cost, nil
}

// checkTypes checks the type section and returns each type's number of
// parameters.
func checkTypes(r *wasmbin.Reader) ([]int, error) {
	n, err := count(r, "types", 3, maxTypes)
	if err != nil {
		return nil, err
	}
	params := make([]int, n)
	for i := 0; i < n; i++ {
		form, err := r.Byte()
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
			k, err := count(r, what.name, 1, what.limit)
			if err != nil {
				return nil, fmt.Errorf("type %d: %w", i, err)
			}
			if j == 0 {
				params[i] = k
			}
			if err := r.Skip(uint32(k)); err != nil {
				return nil, err
			}
		}
	}
	return params, nil
}

// checkImports checks the import section; only functions may be imported
// (which ones is checked after compiling).
func checkImports(r *wasmbin.Reader) error {
	kinds := [...]string{"a function", "a table", "a memory", "a global", "a tag"}
	return each(r, "imports", 4, maxImports, func(int) error {
		mod, err := name(r, "import module name")
		if err != nil {
			return err
		}
		field, err := name(r, "import name")
		if err != nil {
			return err
		}
		kind, err := r.Byte()
		if err != nil {
			return err
		}
		if kind != 0 {
			what := fmt.Sprintf("kind %d", kind)
			if int(kind) < len(kinds) {
				what = kinds[kind]
			}
			return fmt.Errorf("imports %s.%s, %s: a module may import only functions and must define and export its own memory", mod, field, what)
		}
		_, err = r.U32()
		return err
	})
}

// checkFunctions checks the function section and returns the type index of
// each defined function.
func checkFunctions(r *wasmbin.Reader) ([]uint32, error) {
	n, err := count(r, "functions", 1, maxFunctions)
	if err != nil {
		return nil, err
	}
	types := make([]uint32, n)
	for i := 0; i < n; i++ {
		if types[i], err = r.U32(); err != nil {
			return nil, err
		}
	}
	return types, nil
}

// checkTables checks the tables and returns a re-encoded table section with
// every maximum capped, or nil when no table needs it.
func checkTables(r *wasmbin.Reader) ([]byte, error) {
	n, err := count(r, "tables", 3, maxTables)
	if err != nil {
		return nil, err
	}
	out := wasmbin.AppendU32(nil, uint32(n))
	changed := false
	for i := 0; i < n; i++ {
		ref, err := r.Byte()
		if err != nil {
			return nil, err
		}
		if ref != wasmbin.Funcref && ref != wasmbin.Externref {
			return nil, fmt.Errorf("table %d has element type 0x%x", i, ref)
		}
		l, err := limits(r)
		if err != nil {
			return nil, err
		}
		lo, hi, hasMax := l.Min, l.Max, l.HasMax
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
		out = wasmbin.AppendU32(out, lo)
		out = wasmbin.AppendU32(out, hi)
	}
	if !changed {
		return nil, nil
	}
	return out, nil
}

func checkMemories(r *wasmbin.Reader) error {
	return each(r, "memories", 2, 1, func(int) error {
		_, err := limits(r)
		return err
	})
}

func checkGlobals(r *wasmbin.Reader) error {
	return each(r, "globals", 3, maxGlobals, func(i int) error {
		if err := r.Skip(2); err != nil { // value type and mutability
			return err
		}
		if err := r.ConstExpr(); err != nil {
			return fmt.Errorf("global %d: %w", i, err)
		}
		return nil
	})
}

func checkExports(r *wasmbin.Reader) error {
	return each(r, "exports", 3, maxExports, func(int) error {
		if _, err := name(r, "export name"); err != nil {
			return err
		}
		if err := r.Skip(1); err != nil {
			return err
		}
		_, err := r.U32()
		return err
	})
}

func checkElements(r *wasmbin.Reader, total *int) error {
	return each(r, "element segments", 2, maxSegments, func(i int) error {
		n, err := r.ElementSegment()
		if err != nil {
			return fmt.Errorf("element segment %d: %w", i, err)
		}
		if *total += int(n); *total > maxElements {
			return fmt.Errorf("more than %d table elements", maxElements)
		}
		return nil
	})
}

// checkCode checks the function bodies: their locals, and their estimated
// compile work against the compile budget (see codecost.go). params returns
// the number of parameters of the i-th defined function.
func checkCode(r *wasmbin.Reader, params func(i int) int) (codeCost, error) {
	var cost codeCost
	n, err := count(r, "function bodies", 2, maxFunctions)
	if err != nil {
		return cost, err
	}
	var in wasmbin.Instr
	for i := 0; i < n; i++ {
		b, err := r.Body()
		if err != nil {
			return cost, fmt.Errorf("function body %d: %w", i, err)
		}
		body := wasmbin.NewReader(b)
		_, total, err := body.Locals()
		if err != nil {
			return cost, fmt.Errorf("function body %d: %w", i, err)
		}
		locals := int(total) + params(i)
		fc, nest, err := functionCost(body, locals, &in)
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

func checkData(r *wasmbin.Reader) error {
	return each(r, "data segments", 2, maxSegments, func(i int) error {
		if err := r.DataSegment(); err != nil {
			return fmt.Errorf("data segment %d: %w", i, err)
		}
		return nil
	})
}
