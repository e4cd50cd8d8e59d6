package fuel

import (
	"errors"
	"fmt"

	"github.com/wasmauth/wasmauth/internal/wasmbin"
)

// wasmHeader is the header Instrument accepts and writes.
var wasmHeader = wasmbin.AppendHeader(nil)

// ErrAlreadyInstrumented is returned by Instrument for a module that already
// exports GlobalExport.
var ErrAlreadyInstrumented = errors.New("fuel: module already exports " + GlobalExport)

// Options tune Instrument. The zero value is ready to use.
type Options struct {
	// InitialFuel is the fuel the global holds when an instance is created.
	// It pays for the module's start function, which runs while the module
	// is instantiated, before the host can call Set. Zero means
	// DefaultInitializeBudget; it must not be negative.
	InitialFuel int64

	// StripCustomSections drops custom sections (names, producers, DWARF).
	// By default they are kept unchanged: Instrument adds no function, so
	// function names stay right.
	StripCustomSections bool
}

type section struct {
	id      byte
	payload []byte
}

// Instrument returns a copy of the core WebAssembly module wasm that meters
// its own execution with a fuel counter: a mutable i64 global, exported as
// GlobalExport, that every straight-line run of code decreases by its cost
// before it executes. When the counter goes below zero the module traps with
// unreachable and the global stays negative. See the package documentation
// for the scheme.
//
// Instrument decodes the module only as far as it needs to and does not
// validate it fully: compiling the result with wazero does. It refuses
// instructions outside the WebAssembly 2.0 core (wazero's CoreFeaturesV2),
// modules that already export GlobalExport (ErrAlreadyInstrumented), and
// code that names a global or local the module does not declare, because
// such an index would otherwise name the added global or scratch local.
func Instrument(wasm []byte, opts Options) ([]byte, error) {
	if opts.InitialFuel < 0 {
		return nil, fmt.Errorf("fuel: negative initial fuel %d", opts.InitialFuel)
	}
	initial := opts.InitialFuel
	if initial == 0 {
		initial = DefaultInitializeBudget
	}
	if err := wasmbin.CheckHeader(wasm); err != nil {
		return nil, fmt.Errorf("fuel: %w", err)
	}

	m, err := parseModule(wasm[len(wasmHeader):])
	if err != nil {
		return nil, fmt.Errorf("fuel: %w", err)
	}

	fuelGlobal := m.numImportedGlobals + m.numGlobals
	code, err := m.rewriteCode(fuelGlobal)
	if err != nil {
		return nil, fmt.Errorf("fuel: code section: %w", err)
	}
	global := appendGlobal(m.sectionPayload(wasmbin.SecGlobal), initial)
	export, err := appendExport(m.sectionPayload(wasmbin.SecExport), fuelGlobal, m.numImportedGlobals+m.numGlobals)
	if err != nil {
		return nil, fmt.Errorf("fuel: export section: %w", err)
	}

	out := make([]byte, 0, len(wasm)+len(wasm)/2+64)
	out = append(out, wasmHeader...)
	wroteGlobal, wroteExport := false, false
	globalOrder, _ := wasmbin.SectionOrder(wasmbin.SecGlobal)
	exportOrder, _ := wasmbin.SectionOrder(wasmbin.SecExport)
	for _, s := range m.sections {
		if s.id == wasmbin.SecCustom {
			if !opts.StripCustomSections {
				out = wasmbin.AppendSection(out, s.id, s.payload)
			}
			continue
		}
		order, _ := wasmbin.SectionOrder(s.id)
		if !wroteGlobal && order >= globalOrder {
			out = wasmbin.AppendSection(out, wasmbin.SecGlobal, global)
			wroteGlobal = true
		}
		if !wroteExport && order >= exportOrder {
			out = wasmbin.AppendSection(out, wasmbin.SecExport, export)
			wroteExport = true
		}
		switch s.id {
		case wasmbin.SecGlobal, wasmbin.SecExport:
		case wasmbin.SecCode:
			out = wasmbin.AppendSection(out, wasmbin.SecCode, code)
		default:
			out = wasmbin.AppendSection(out, s.id, s.payload)
		}
	}
	if !wroteGlobal {
		out = wasmbin.AppendSection(out, wasmbin.SecGlobal, global)
	}
	if !wroteExport {
		out = wasmbin.AppendSection(out, wasmbin.SecExport, export)
	}
	return out, nil
}

// parseModule splits the module after its header into sections and
// decodes or checks each in turn, in the order wazero decodes them: a
// declaration wazero would choke on is refused before anything after it is
// looked at. It checks that each known section appears at most once and in
// order, and that no vector declares more entries than it has bytes
// (wasmbin.ErrImplausible).
func parseModule(b []byte) (*module, error) {
	m := &module{}
	r := wasmbin.NewReader(b)
	last := 0
	for !r.EOF() {
		id, payload, err := r.Section()
		if err != nil {
			return nil, err
		}
		if id != wasmbin.SecCustom {
			order, ok := wasmbin.SectionOrder(id)
			if !ok {
				return nil, fmt.Errorf("unknown section id %d", id)
			}
			if order <= last {
				return nil, fmt.Errorf("section %d is duplicated or out of order", id)
			}
			last = order
		}
		if err := m.decodeSection(id, payload); err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		m.sections = append(m.sections, section{id: id, payload: payload})
	}
	if uint64(m.numImportedGlobals)+uint64(m.numGlobals) >= 1<<32-1 {
		return nil, errors.New("too many globals")
	}
	return m, nil
}

// decodeSection records what Instrument needs from a section, and checks
// the declarations of the others.
func (m *module) decodeSection(id byte, payload []byte) error {
	r := wasmbin.NewReader(payload)
	var err error
	switch id {
	case wasmbin.SecCustom:
		// wazero decodes the name section, sizing its allocations by the
		// counts and lengths it declares.
		if _, err := wasmbin.CheckCustom(payload); err != nil {
			return fmt.Errorf("%w: %w", wasmbin.ErrImplausible, err)
		}
		return nil
	case wasmbin.SecType:
		return m.decodeTypes(r)
	case wasmbin.SecImport:
		return m.decodeImports(r)
	case wasmbin.SecFunction:
		return m.decodeFunctions(r)
	case wasmbin.SecGlobal:
		m.numGlobals, err = r.Count("globals", 1)
	case wasmbin.SecExport:
		_, err = appendExport(payload, 0, 1<<32-1)
	case wasmbin.SecElement:
		return checkElements(r)
	case wasmbin.SecData:
		return checkData(r)
	case wasmbin.SecCode:
		return checkCode(r)
	case wasmbin.SecTable:
		_, err = r.Count("tables", 1)
	case wasmbin.SecMemory:
		_, err = r.Count("memories", 1)
	}
	return err
}

// module is what Instrument learns about a module before rewriting it.
type module struct {
	sections           []section
	typeParams         []uint32 // number of parameters of each function type
	funcTypes          []uint32 // type index of each defined function
	numImportedFuncs   uint32
	numImportedGlobals uint32
	numGlobals         uint32 // defined globals
}

func (m *module) sectionPayload(id byte) []byte {
	for _, s := range m.sections {
		if s.id == id {
			return s.payload
		}
	}
	return nil
}

func (m *module) decodeTypes(r *wasmbin.Reader) error {
	n, err := r.Count("types", 3)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		form, err := r.Byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			return fmt.Errorf("type %d: unsupported form 0x%02x", i, form)
		}
		params, err := skipValTypes(r, "params")
		if err != nil {
			return fmt.Errorf("type %d: %w", i, err)
		}
		if _, err := skipValTypes(r, "results"); err != nil {
			return fmt.Errorf("type %d: %w", i, err)
		}
		m.typeParams = append(m.typeParams, params)
	}
	return r.Done()
}

func skipValTypes(r *wasmbin.Reader, what string) (uint32, error) {
	n, err := r.Count(what, 1)
	if err != nil {
		return 0, err
	}
	for i := uint32(0); i < n; i++ {
		t, err := r.Byte()
		if err != nil {
			return 0, err
		}
		if !wasmbin.IsValType(t) {
			return 0, fmt.Errorf("%s: unsupported value type 0x%02x", what, t)
		}
	}
	return n, nil
}

func (m *module) decodeImports(r *wasmbin.Reader) error {
	n, err := r.Count("imports", 4)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if _, err := r.Name("module name"); err != nil {
			return fmt.Errorf("import %d: %w", i, err)
		}
		if _, err := r.Name("name"); err != nil {
			return fmt.Errorf("import %d: %w", i, err)
		}
		kind, err := r.Byte()
		if err != nil {
			return err
		}
		switch kind {
		case wasmbin.ExternFunc:
			_, err = r.U32()
			m.numImportedFuncs++
		case wasmbin.ExternTable:
			if _, err = r.Byte(); err == nil {
				_, err = r.Limits()
			}
		case wasmbin.ExternMemory:
			_, err = r.Limits()
		case wasmbin.ExternGlobal:
			var t byte
			if t, err = r.Byte(); err == nil && !wasmbin.IsValType(t) {
				err = fmt.Errorf("unsupported global type 0x%02x", t)
			}
			if err == nil {
				_, err = r.Byte()
			}
			m.numImportedGlobals++
		default:
			err = fmt.Errorf("unsupported import kind %d", kind)
		}
		if err != nil {
			return fmt.Errorf("import %d: %w", i, err)
		}
	}
	return r.Done()
}

func (m *module) decodeFunctions(r *wasmbin.Reader) error {
	n, err := r.Count("functions", 1)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		t, err := r.U32()
		if err != nil {
			return err
		}
		m.funcTypes = append(m.funcTypes, t)
	}
	return r.Done()
}

// rewriteCode instruments every function body of the code section.
func (m *module) rewriteCode(fuelGlobal uint32) ([]byte, error) {
	payload := m.sectionPayload(wasmbin.SecCode)
	r := wasmbin.NewReader(payload)
	n, err := r.Count("function bodies", 1)
	if payload == nil {
		n, err = 0, nil
	}
	if err != nil {
		return nil, err
	}
	if int(n) != len(m.funcTypes) {
		return nil, fmt.Errorf("%d bodies for %d functions", n, len(m.funcTypes))
	}
	out := make([]byte, 0, len(payload)+len(payload)/2+8)
	out = wasmbin.AppendU32(out, n)
	var w walker
	for i := uint32(0); i < n; i++ {
		body, err := r.Body()
		if err != nil {
			return nil, fmt.Errorf("body %d: %w", i, err)
		}
		t := m.funcTypes[i]
		if int(t) >= len(m.typeParams) {
			return nil, fmt.Errorf("function %d: type index %d out of range", m.numImportedFuncs+i, t)
		}
		body, err = w.instrumentBody(body, funcEnv{
			fuelGlobal: fuelGlobal,
			numGlobals: fuelGlobal,
			numParams:  m.typeParams[t],
			index:      m.numImportedFuncs + i,
		})
		if err != nil {
			return nil, err
		}
		out = wasmbin.AppendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return out, nil
}

// appendGlobal returns a global section payload with the fuel global,
// (mut i64) initialised to initial, added after the existing globals.
func appendGlobal(payload []byte, initial int64) []byte {
	var n uint32
	rest := payload
	if payload != nil {
		r := wasmbin.NewReader(payload)
		n, _ = r.U32() // already decoded by decodeSection
		rest = payload[r.Pos():]
	}
	out := wasmbin.AppendU32(nil, n+1)
	out = append(out, rest...)
	out = append(out, wasmbin.I64, 0x01, wasmbin.OpI64Const)
	out = wasmbin.AppendS64(out, initial)
	return append(out, wasmbin.OpEnd)
}

// appendExport returns an export section payload with the fuel global added.
// It refuses an existing export named GlobalExport, and an exported global
// index the original module does not declare (it would name the fuel
// global).
func appendExport(payload []byte, fuelGlobal, numGlobals uint32) ([]byte, error) {
	r := wasmbin.NewReader(payload)
	var n uint32
	if payload != nil {
		var err error
		if n, err = r.Count("exports", 3); err != nil {
			return nil, err
		}
	}
	start := r.Pos()
	for i := uint32(0); i < n; i++ {
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
		idx, err := r.U32()
		if err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		if kind == wasmbin.ExternGlobal && idx >= numGlobals {
			return nil, fmt.Errorf("export %q: global index %d out of range", name, idx)
		}
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	out := wasmbin.AppendU32(nil, n+1)
	out = append(out, payload[start:]...)
	out = wasmbin.AppendU32(out, uint32(len(GlobalExport)))
	out = append(out, GlobalExport...)
	out = append(out, wasmbin.ExternGlobal)
	return wasmbin.AppendU32(out, fuelGlobal), nil
}
