package fuel

import (
	"bytes"
	"errors"
	"fmt"
)

// Section ids of the binary format.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
)

// sectionRank orders the known sections as the binary format requires; the
// data count section sits between element and code.
var sectionRank = map[byte]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5,
	secGlobal: 6, secExport: 7, secStart: 8, secElement: 9, secDataCount: 10,
	secCode: 11, secData: 12,
}

// Value types of the WebAssembly 2.0 core.
const (
	valI32       = 0x7f
	valI64       = 0x7e
	valF32       = 0x7d
	valF64       = 0x7c
	valV128      = 0x7b
	valFuncref   = 0x70
	valExternref = 0x6f
)

func isValType(t byte) bool {
	switch t {
	case valI32, valI64, valF32, valF64, valV128, valFuncref, valExternref:
		return true
	}
	return false
}

// Import and export kinds.
const (
	externFunc   = 0
	externTable  = 1
	externMemory = 2
	externGlobal = 3
)

var wasmHeader = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

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
	if !bytes.HasPrefix(wasm, wasmHeader) {
		return nil, errors.New("fuel: not a WebAssembly 1.0 binary module (bad magic or version)")
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
	global := appendGlobal(m.sectionPayload(secGlobal), initial)
	export, err := appendExport(m.sectionPayload(secExport), fuelGlobal, m.numImportedGlobals+m.numGlobals)
	if err != nil {
		return nil, fmt.Errorf("fuel: export section: %w", err)
	}

	out := make([]byte, 0, len(wasm)+len(wasm)/2+64)
	out = append(out, wasmHeader...)
	wroteGlobal, wroteExport := false, false
	for _, s := range m.sections {
		if s.id == secCustom {
			if !opts.StripCustomSections {
				out = appendSection(out, s.id, s.payload)
			}
			continue
		}
		rank := sectionRank[s.id]
		if !wroteGlobal && rank >= sectionRank[secGlobal] {
			out = appendSection(out, secGlobal, global)
			wroteGlobal = true
		}
		if !wroteExport && rank >= sectionRank[secExport] {
			out = appendSection(out, secExport, export)
			wroteExport = true
		}
		switch s.id {
		case secGlobal, secExport:
		case secCode:
			out = appendSection(out, secCode, code)
		default:
			out = appendSection(out, s.id, s.payload)
		}
	}
	if !wroteGlobal {
		out = appendSection(out, secGlobal, global)
	}
	if !wroteExport {
		out = appendSection(out, secExport, export)
	}
	return out, nil
}

// errImplausible marks a module whose declared sizes cannot be right. Such
// declarations are refused before anything allocates by them: wazero v1.12
// sizes its allocations by the declared counts, so a few bytes declaring a
// hundred million exports or four billion locals cost it seconds and
// gigabytes before it finds the module invalid.
var errImplausible = errors.New("implausible module")

// maxLocals is the most locals (parameters included) a function may have,
// the limit V8 sets; compilers stay far below it.
const maxLocals = 50000

// parseModule splits the module after its header into sections and
// decodes or checks each in turn, in the order wazero decodes them: a
// declaration wazero would choke on is refused before anything after it is
// looked at. It checks that each known section appears at most once and in
// order, and that no vector declares more entries than it has bytes.
func parseModule(b []byte) (*module, error) {
	m := &module{}
	r := reader{b: b}
	last := 0
	for !r.eof() {
		id, _ := r.byte()
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("section %d size: %w", id, err)
		}
		start := r.pos
		if err := r.skip(int(size)); err != nil {
			return nil, fmt.Errorf("section %d: size %d runs past the end of the module", id, size)
		}
		if id != secCustom {
			rank, ok := sectionRank[id]
			if !ok {
				return nil, fmt.Errorf("unknown section id %d", id)
			}
			if rank <= last {
				return nil, fmt.Errorf("section %d is duplicated or out of order", id)
			}
			last = rank
		}
		payload := b[start:r.pos]
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
	r := reader{b: payload}
	var err error
	switch id {
	case secCustom:
		return checkCustom(payload)
	case secType:
		return m.decodeTypes(payload)
	case secImport:
		return m.decodeImports(payload)
	case secFunction:
		return m.decodeFunctions(payload)
	case secGlobal:
		m.numGlobals, err = r.vec(1)
	case secExport:
		_, err = appendExport(payload, 0, 1<<32-1)
	case secElement:
		return checkElements(payload)
	case secData:
		return checkData(payload)
	case secCode:
		return checkCode(payload)
	case secTable, secMemory:
		_, err = r.vec(1)
	}
	return err
}

// checkCustom checks that a custom section's name fits in it and, for the
// "name" section, that it is well formed: wazero decodes it, sizing its
// allocations by the counts and lengths it declares, and reads on past the
// end of a subsection or of the section when those are wrong.
func checkCustom(payload []byte) error {
	r := reader{b: payload}
	name, err := r.name()
	if err != nil {
		return fmt.Errorf("%w: name: %v", errImplausible, err)
	}
	if name != "name" {
		return nil
	}
	for !r.eof() {
		id, _ := r.byte()
		size, err := r.u32()
		if err != nil {
			return fmt.Errorf("%w: name section: %v", errImplausible, err)
		}
		start := r.pos
		switch id {
		case 0: // module name
			_, err = r.name()
		case 1: // function names
			err = skipNameMap(&r)
		case 2: // local names
			var n uint32
			if n, err = r.vec(2); err != nil {
				break
			}
			for i := uint32(0); i < n && err == nil; i++ {
				if _, err = r.u32(); err == nil {
					err = skipNameMap(&r)
				}
			}
		default:
			err = r.skip(int(size))
		}
		if err == nil && r.pos-start != int(size) {
			err = fmt.Errorf("subsection %d is %d bytes, not the %d it declares", id, r.pos-start, size)
		}
		if err != nil {
			return fmt.Errorf("%w: name section: %v", errImplausible, err)
		}
	}
	return nil
}

// skipNameMap skips a vector of (index, name) pairs.
func skipNameMap(r *reader) error {
	n, err := r.vec(2)
	for i := uint32(0); i < n && err == nil; i++ {
		if _, err = r.u32(); err == nil {
			_, err = r.name()
		}
	}
	return err
}

func appendSection(b []byte, id byte, payload []byte) []byte {
	b = append(b, id)
	b = appendU32(b, uint32(len(payload)))
	return append(b, payload...)
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

func (m *module) decodeTypes(b []byte) error {
	r := reader{b: b}
	n, err := r.vec(3)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		form, err := r.byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			return fmt.Errorf("type %d: unsupported form 0x%02x", i, form)
		}
		params, err := skipValTypes(&r)
		if err != nil {
			return fmt.Errorf("type %d params: %w", i, err)
		}
		if _, err := skipValTypes(&r); err != nil {
			return fmt.Errorf("type %d results: %w", i, err)
		}
		m.typeParams = append(m.typeParams, params)
	}
	return trailing(&r)
}

func skipValTypes(r *reader) (uint32, error) {
	n, err := r.vec(1)
	if err != nil {
		return 0, err
	}
	for i := uint32(0); i < n; i++ {
		t, err := r.byte()
		if err != nil {
			return 0, err
		}
		if !isValType(t) {
			return 0, fmt.Errorf("unsupported value type 0x%02x", t)
		}
	}
	return n, nil
}

func (m *module) decodeImports(b []byte) error {
	r := reader{b: b}
	n, err := r.vec(4)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if _, err := r.name(); err != nil {
			return fmt.Errorf("import %d module: %w", i, err)
		}
		if _, err := r.name(); err != nil {
			return fmt.Errorf("import %d name: %w", i, err)
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		switch kind {
		case externFunc:
			_, err = r.u32()
			m.numImportedFuncs++
		case externTable:
			if _, err = r.byte(); err == nil {
				err = skipLimits(&r)
			}
		case externMemory:
			err = skipLimits(&r)
		case externGlobal:
			var t byte
			if t, err = r.byte(); err == nil && !isValType(t) {
				err = fmt.Errorf("unsupported global type 0x%02x", t)
			}
			if err == nil {
				_, err = r.byte()
			}
			m.numImportedGlobals++
		default:
			err = fmt.Errorf("unsupported import kind %d", kind)
		}
		if err != nil {
			return fmt.Errorf("import %d: %w", i, err)
		}
	}
	return trailing(&r)
}

func skipLimits(r *reader) error {
	flag, err := r.byte()
	if err != nil {
		return err
	}
	if flag > 3 {
		return fmt.Errorf("unsupported limits flag 0x%02x", flag)
	}
	if _, err := r.u32(); err != nil {
		return err
	}
	if flag&1 != 0 {
		_, err = r.u32()
	}
	return err
}

func (m *module) decodeFunctions(b []byte) error {
	r := reader{b: b}
	n, err := r.vec(1)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		t, err := r.u32()
		if err != nil {
			return err
		}
		m.funcTypes = append(m.funcTypes, t)
	}
	return trailing(&r)
}

func trailing(r *reader) error {
	if !r.eof() {
		return fmt.Errorf("%d unexpected bytes at the end", len(r.b)-r.pos)
	}
	return nil
}

// rewriteCode instruments every function body of the code section.
func (m *module) rewriteCode(fuelGlobal uint32) ([]byte, error) {
	payload := m.sectionPayload(secCode)
	r := reader{b: payload}
	n, err := r.vec(1)
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
	out = appendU32(out, n)
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("body %d size: %w", i, err)
		}
		start := r.pos
		if err := r.skip(int(size)); err != nil {
			return nil, fmt.Errorf("body %d: size %d runs past the section", i, size)
		}
		t := m.funcTypes[i]
		if int(t) >= len(m.typeParams) {
			return nil, fmt.Errorf("function %d: type index %d out of range", m.numImportedFuncs+i, t)
		}
		body, err := instrumentBody(payload[start:r.pos], funcEnv{
			fuelGlobal: fuelGlobal,
			numGlobals: fuelGlobal,
			numParams:  m.typeParams[t],
			index:      m.numImportedFuncs + i,
		})
		if err != nil {
			return nil, err
		}
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	if err := trailing(&r); err != nil {
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
		r := reader{b: payload}
		n, _ = r.u32() // already decoded by decodeModule
		rest = payload[r.pos:]
	}
	out := appendU32(nil, n+1)
	out = append(out, rest...)
	out = append(out, valI64, 0x01, opI64Const)
	out = appendS64(out, initial)
	return append(out, opEnd)
}

// appendExport returns an export section payload with the fuel global added.
// It refuses an existing export named GlobalExport, and an exported global
// index the original module does not declare (it would name the fuel
// global).
func appendExport(payload []byte, fuelGlobal, numGlobals uint32) ([]byte, error) {
	r := reader{b: payload}
	var n uint32
	if payload != nil {
		var err error
		if n, err = r.vec(3); err != nil {
			return nil, err
		}
	}
	start := r.pos
	for i := uint32(0); i < n; i++ {
		name, err := r.name()
		if err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		if name == GlobalExport {
			return nil, ErrAlreadyInstrumented
		}
		kind, err := r.byte()
		if err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		idx, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		if kind == externGlobal && idx >= numGlobals {
			return nil, fmt.Errorf("export %q: global index %d out of range", name, idx)
		}
	}
	if err := trailing(&r); err != nil {
		return nil, err
	}
	out := appendU32(nil, n+1)
	out = append(out, payload[start:]...)
	out = appendU32(out, uint32(len(GlobalExport)))
	out = append(out, GlobalExport...)
	out = append(out, externGlobal)
	return appendU32(out, fuelGlobal), nil
}
