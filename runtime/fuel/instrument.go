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
	// InitialFuel is the fuel for the module's start function, which runs
	// while the module is instantiated, before the host can call Set. The
	// global starts with at most Slice of it; a Meter from StartMeter,
	// given to the instantiation's context, holds the rest. Zero means
	// DefaultInitializeBudget; it must not be negative.
	InitialFuel int64

	// StripCustomSections drops custom sections (names, producers, DWARF).
	// By default they are kept, with the function indices of the name
	// section renumbered (its subsections other than the module, function
	// and local names are dropped).
	StripCustomSections bool
}

// initial returns the start function's fuel.
func (o Options) initial() int64 {
	if o.InitialFuel == 0 {
		return DefaultInitializeBudget
	}
	return o.InitialFuel
}

type section struct {
	id      byte
	payload []byte
}

// Instrument returns a copy of the core WebAssembly module wasm that meters
// its own execution with a fuel counter: a mutable i64 global, exported as
// GlobalExport, that every straight-line run of code decreases by its cost
// before it executes. When the counter goes below zero the module calls the
// function it imports as ImportModule.ImportName (see HostModule), which
// adds the next slice of the call's budget or traps, leaving the global
// negative. See the package documentation for the scheme.
//
// Instrument decodes the module only as far as it needs to and does not
// validate it fully: compiling the result with wazero does. It refuses
// instructions outside the WebAssembly 2.0 core (wazero's CoreFeaturesV2),
// modules that already export GlobalExport (ErrAlreadyInstrumented) or
// import from ImportModule (ErrReservedImport), and code that names a
// global, local or function the module does not declare, because such an
// index would otherwise name the added global, scratch local or import.
func Instrument(wasm []byte, opts Options) ([]byte, error) {
	if opts.InitialFuel < 0 {
		return nil, fmt.Errorf("fuel: negative initial fuel %d", opts.InitialFuel)
	}
	if err := wasmbin.CheckHeader(wasm); err != nil {
		return nil, fmt.Errorf("fuel: %w", err)
	}

	m, err := parseModule(wasm[len(wasmHeader):])
	if err != nil {
		return nil, fmt.Errorf("fuel: %w", err)
	}
	out, err := m.instrument(opts)
	if err != nil {
		return nil, fmt.Errorf("fuel: %w", err)
	}
	return out, nil
}

// instrument writes the instrumented module: the refuel import is added
// after the module's own imports, so the defined functions move up by one
// index and every reference to them is renumbered.
func (m *module) instrument(opts Options) ([]byte, error) {
	m.refuel = m.numImportedFuncs
	m.numFuncs = m.numImportedFuncs + uint32(len(m.funcTypes))
	if m.numFuncs == 1<<32-1 {
		return nil, errors.New("too many functions")
	}
	fuelGlobal := m.numImportedGlobals + m.numGlobals
	repl := map[byte][]byte{
		wasmbin.SecType:   appendVector(m.sectionPayload(wasmbin.SecType), refuelType),
		wasmbin.SecImport: appendVector(m.sectionPayload(wasmbin.SecImport), refuelImport(uint32(len(m.typeParams)))),
	}
	var err error
	if repl[wasmbin.SecCode], err = m.rewriteCode(fuelGlobal); err != nil {
		return nil, fmt.Errorf("code section: %w", err)
	}
	if repl[wasmbin.SecGlobal], err = m.rewriteGlobals(opts.initial()); err != nil {
		return nil, fmt.Errorf("global section: %w", err)
	}
	if repl[wasmbin.SecExport], err = m.rewriteExports(fuelGlobal); err != nil {
		return nil, fmt.Errorf("export section: %w", err)
	}
	if p := m.sectionPayload(wasmbin.SecStart); p != nil {
		if repl[wasmbin.SecStart], err = m.rewriteStart(p); err != nil {
			return nil, fmt.Errorf("start section: %w", err)
		}
	}
	if p := m.sectionPayload(wasmbin.SecElement); p != nil {
		if repl[wasmbin.SecElement], err = m.rewriteElements(p); err != nil {
			return nil, fmt.Errorf("element section: %w", err)
		}
	}

	// Sections the output always has, written where the order puts them
	// if the module has none.
	added := []byte{wasmbin.SecType, wasmbin.SecImport, wasmbin.SecGlobal, wasmbin.SecExport}
	out := make([]byte, 0, m.size+m.size/2+64)
	out = append(out, wasmHeader...)
	for _, s := range m.sections {
		if s.id == wasmbin.SecCustom {
			if opts.StripCustomSections {
				continue
			}
			if name, _ := wasmbin.CheckCustom(s.payload); string(name) == "name" {
				out = wasmbin.AppendSection(out, s.id, m.rewriteNames(s.payload))
			} else {
				out = wasmbin.AppendSection(out, s.id, s.payload)
			}
			continue
		}
		order, _ := wasmbin.SectionOrder(s.id)
		for len(added) > 0 {
			o, _ := wasmbin.SectionOrder(added[0])
			if o > order {
				break
			}
			if added[0] != s.id {
				out = wasmbin.AppendSection(out, added[0], repl[added[0]])
			}
			added = added[1:]
		}
		if p, ok := repl[s.id]; ok {
			out = wasmbin.AppendSection(out, s.id, p)
		} else {
			out = wasmbin.AppendSection(out, s.id, s.payload)
		}
	}
	for _, id := range added {
		out = wasmbin.AppendSection(out, id, repl[id])
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
	m := &module{size: len(b)}
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
		m.numFuncs = m.numImportedFuncs + uint32(len(m.funcTypes))
		_, err = m.rewriteExports(0)
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
	size               int // bytes after the header
	sections           []section
	typeParams         []uint32 // number of parameters of each function type
	funcTypes          []uint32 // type index of each defined function
	numImportedFuncs   uint32
	numImportedGlobals uint32
	numGlobals         uint32 // defined globals
	numFuncs           uint32 // imported and defined functions
	refuel             uint32 // index of the refuel import in the output
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
		mod, err := r.Name("module name")
		if err != nil {
			return fmt.Errorf("import %d: %w", i, err)
		}
		if string(mod) == ImportModule {
			return fmt.Errorf("import %d: %w", i, ErrReservedImport)
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
			refuel:     m.refuel,
			numFuncs:   m.numFuncs,
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
