package wasmbin

import (
	"bytes"
	"errors"
	"fmt"
)

// Section ids.
const (
	SecCustom byte = iota
	SecType
	SecImport
	SecFunction
	SecTable
	SecMemory
	SecGlobal
	SecExport
	SecStart
	SecElement
	SecCode
	SecData
	SecDataCount
)

// sectionOrder is the position of each known section in a module (the data
// count section sits between element and code); custom sections go
// anywhere.
var sectionOrder = [...]int{
	SecType: 1, SecImport: 2, SecFunction: 3, SecTable: 4, SecMemory: 5,
	SecGlobal: 6, SecExport: 7, SecStart: 8, SecElement: 9, SecDataCount: 10,
	SecCode: 11, SecData: 12,
}

// SectionOrder returns the position the binary format requires of the
// section id among the others (from 1; custom sections have 0 and go
// anywhere), and false for an unknown id.
func SectionOrder(id byte) (int, bool) {
	if int(id) >= len(sectionOrder) {
		return 0, false
	}
	return sectionOrder[id], true
}

// SectionName returns the name of section id, for messages.
func SectionName(id byte) string {
	names := [...]string{"custom", "type", "import", "function", "table", "memory", "global",
		"export", "start", "element", "code", "data", "data count"}
	if int(id) < len(names) {
		return names[id]
	}
	return fmt.Sprintf("id %d", id)
}

// Value types of the WebAssembly 2.0 core.
const (
	I32       = 0x7f
	I64       = 0x7e
	F32       = 0x7d
	F64       = 0x7c
	V128      = 0x7b
	Funcref   = 0x70
	Externref = 0x6f
)

// IsValType reports whether t is a value type of the WebAssembly 2.0 core.
func IsValType(t byte) bool {
	switch t {
	case I32, I64, F32, F64, V128, Funcref, Externref:
		return true
	}
	return false
}

// Import and export kinds.
const (
	ExternFunc   = 0
	ExternTable  = 1
	ExternMemory = 2
	ExternGlobal = 3
)

// header is the magic number and version 1 of the binary format.
var header = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// HeaderLen is the length of a module's header, before its first section.
const HeaderLen = 8

// CheckHeader checks the magic number and version of a module.
func CheckHeader(wasm []byte) error {
	if len(wasm) < HeaderLen || !bytes.Equal(wasm[:4], header[:4]) {
		return errors.New("not a WebAssembly module (bad magic number)")
	}
	if !bytes.Equal(wasm[4:HeaderLen], header[4:]) {
		return errors.New("unsupported WebAssembly binary version (only version 1 is)")
	}
	return nil
}

// AppendHeader appends the header of a module.
func AppendHeader(b []byte) []byte { return append(b, header...) }

// Section reads a section's id and size and returns its payload, which
// aliases the input.
func (r *Reader) Section() (id byte, payload []byte, err error) {
	if id, err = r.Byte(); err != nil {
		return 0, nil, err
	}
	size, err := r.U32()
	if err != nil {
		return id, nil, fmt.Errorf("section %d size: %w", id, err)
	}
	if payload, err = r.Bytes(size); err != nil {
		return id, nil, fmt.Errorf("section %d is larger than the module: its size, %d, runs past the end", id, size)
	}
	return id, payload, nil
}

// AppendSection appends a section.
func AppendSection(b []byte, id byte, payload []byte) []byte {
	b = append(b, id)
	b = AppendU32(b, uint32(len(payload)))
	return append(b, payload...)
}

// Limits are the limits of a table or memory.
type Limits struct {
	Min, Max uint32
	HasMax   bool
	Shared   bool // a shared memory (the threads proposal)
}

// Limits reads table or memory limits.
func (r *Reader) Limits() (Limits, error) {
	var l Limits
	flag, err := r.Byte()
	if err != nil {
		return l, err
	}
	if flag > 3 {
		return l, fmt.Errorf("unsupported limits flag 0x%02x", flag)
	}
	l.HasMax, l.Shared = flag&1 != 0, flag&2 != 0
	if l.Min, err = r.U32(); err != nil {
		return l, err
	}
	if l.HasMax {
		l.Max, err = r.U32()
	}
	return l, err
}

// MaxLocals is the most locals a function may declare, the limit V8 sets;
// compilers stay far below it, and wazero allocates for every declared local
// before it checks anything.
const MaxLocals = 50_000

// Body reads the size of a function body in the code section and returns
// the body (its locals and expression), which aliases the input.
func (r *Reader) Body() ([]byte, error) {
	size, err := r.U32()
	if err != nil {
		return nil, fmt.Errorf("size: %w", err)
	}
	b, err := r.Bytes(size)
	if err != nil {
		return nil, implausiblef("size %d runs past the section", size)
	}
	return b, nil
}

// Locals reads the local declarations at the start of a function body and
// returns how many groups declare how many locals, refusing more than
// MaxLocals.
func (r *Reader) Locals() (groups uint32, locals uint64, err error) {
	if groups, err = r.Count("local groups", 2); err != nil {
		return 0, 0, err
	}
	for i := uint32(0); i < groups; i++ {
		n, err := r.U32()
		if err != nil {
			return 0, 0, fmt.Errorf("locals: %w", err)
		}
		if locals += uint64(n); locals > MaxLocals {
			return 0, 0, implausiblef("declares more than %d locals", MaxLocals)
		}
		t, err := r.Byte()
		if err != nil || !IsValType(t) {
			return 0, 0, errors.New("locals: bad value type")
		}
	}
	return groups, locals, nil
}

// CheckCustom checks a custom section and returns its name. For the "name"
// section, the only one wazero decodes, it checks that the section is well
// formed: each subsection is exactly as long as it declares, and no count or
// name runs past the section. wazero sizes its allocations by those counts
// and lengths, and reads on past the end of a subsection when they are
// wrong.
func CheckCustom(payload []byte) (name []byte, err error) {
	r := NewReader(payload)
	if name, err = r.Name("custom section name"); err != nil || string(name) != "name" {
		return name, err
	}
	for !r.EOF() {
		id, _ := r.Byte()
		size, err := r.U32()
		if err != nil {
			return name, fmt.Errorf("name section: subsection %d size: %w", id, err)
		}
		start := r.pos
		switch id {
		case 0: // module name
			_, err = r.Name("module name")
		case 1: // function names
			err = r.nameMap()
		case 2: // local names
			var n uint32
			if n, err = r.Count("local name maps", 2); err != nil {
				break
			}
			for i := uint32(0); i < n && err == nil; i++ {
				if _, err = r.U32(); err == nil {
					err = r.nameMap()
				}
			}
		default:
			err = r.Skip(size)
		}
		if err == nil && r.pos-start != int(size) {
			err = fmt.Errorf("subsection %d is %d bytes, not the %d it declares", id, r.pos-start, size)
		}
		if err != nil {
			return name, fmt.Errorf("name section: %w", err)
		}
	}
	return name, nil
}

// nameMap reads a vector of (index, name) pairs.
func (r *Reader) nameMap() error {
	n, err := r.Count("names", 2)
	for i := uint32(0); i < n && err == nil; i++ {
		if _, err = r.U32(); err == nil {
			_, err = r.Name("name")
		}
	}
	return err
}
