package wasmbin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
)

// each reads a vector of entries of at least minSize bytes with read.
func each(r *Reader, what string, minSize int, read func() error) error {
	n, err := r.Count(what, minSize)
	for i := uint32(0); i < n && err == nil; i++ {
		if err = read(); err != nil {
			err = fmt.Errorf("%s %d: %w", what, i, err)
		}
	}
	return err
}

// readModule reads every declaration of a module the way this package's
// users do, and returns its function bodies' expressions (after the
// locals), undecoded.
func readModule(wasm []byte) ([][]byte, error) {
	if err := CheckHeader(wasm); err != nil {
		return nil, err
	}
	var bodies [][]byte
	r := NewReader(wasm[HeaderLen:])
	last := 0
	for !r.EOF() {
		id, payload, err := r.Section()
		if err != nil {
			return nil, err
		}
		if id != SecCustom {
			order, ok := SectionOrder(id)
			if !ok || order <= last {
				return nil, fmt.Errorf("section %d unknown, duplicated or out of order", id)
			}
			last = order
		}
		s := NewReader(payload)
		valTypes := func() error {
			return each(s, "value types", 1, func() error {
				if t, err := s.Byte(); err != nil || !IsValType(t) {
					return errors.New("bad value type")
				}
				return nil
			})
		}
		switch id {
		case SecCustom:
			_, err = CheckCustom(payload)
		case SecType:
			err = each(s, "types", 3, func() error {
				if form, err := s.Byte(); err != nil || form != 0x60 {
					return errors.New("not a function type")
				}
				if err := valTypes(); err != nil {
					return err
				}
				return valTypes()
			})
		case SecImport:
			err = each(s, "imports", 4, func() error {
				if _, err := s.Name("module"); err != nil {
					return err
				}
				if _, err := s.Name("name"); err != nil {
					return err
				}
				kind, err := s.Byte()
				if err != nil {
					return err
				}
				switch kind {
				case ExternFunc:
					_, err = s.U32()
				case ExternTable:
					if _, err = s.Byte(); err == nil {
						_, err = s.Limits()
					}
				case ExternMemory:
					_, err = s.Limits()
				case ExternGlobal:
					err = s.Skip(2)
				default:
					err = fmt.Errorf("kind %d", kind)
				}
				return err
			})
		case SecFunction:
			err = each(s, "functions", 1, func() error { _, err := s.U32(); return err })
		case SecTable:
			err = each(s, "tables", 3, func() error {
				if _, err := s.Byte(); err != nil {
					return err
				}
				_, err := s.Limits()
				return err
			})
		case SecMemory:
			err = each(s, "memories", 2, func() error { _, err := s.Limits(); return err })
		case SecGlobal:
			err = each(s, "globals", 3, func() error {
				if err := s.Skip(2); err != nil {
					return err
				}
				return s.ConstExpr()
			})
		case SecExport:
			err = each(s, "exports", 3, func() error {
				if _, err := s.Name("name"); err != nil {
					return err
				}
				if err := s.Skip(1); err != nil {
					return err
				}
				_, err := s.U32()
				return err
			})
		case SecStart, SecDataCount:
			_, err = s.U32()
		case SecElement:
			err = each(s, "element segments", 1, func() error { _, err := s.ElementSegment(); return err })
		case SecCode:
			err = each(s, "bodies", 2, func() error {
				body, err := s.Body()
				if err != nil {
					return err
				}
				b := NewReader(body)
				if _, _, err := b.Locals(); err != nil {
					return err
				}
				bodies = append(bodies, body[b.Pos():])
				return nil
			})
		case SecData:
			err = each(s, "data segments", 1, s.DataSegment)
		}
		if err == nil && id != SecCustom {
			err = s.Done()
		}
		if err != nil {
			return nil, fmt.Errorf("%s section: %w", SectionName(id), err)
		}
	}
	return bodies, nil
}

// decodeBodies decodes every instruction of the bodies.
func decodeBodies(bodies [][]byte) error {
	var in Instr
	for i, body := range bodies {
		r := NewReader(body)
		for !r.EOF() {
			at := r.Pos()
			if err := r.Instr(&in); err != nil {
				return fmt.Errorf("body %d at %d: %w", i, at, err)
			}
			if r.Pos() <= at {
				return fmt.Errorf("body %d at %d: Instr did not advance", i, at)
			}
		}
	}
	return nil
}

// seedModules are real modules: the examples in every language but Go (3.3
// MB, read by TestReadModules only) and the fuel package's test modules.
func seedModules(tb testing.TB) map[string][]byte {
	mods := map[string][]byte{}
	for lang, wasm := range examples.Legacy() {
		if lang != "go" {
			mods[lang] = wasm
		}
	}
	paths, err := filepath.Glob(filepath.Join("..", "..", "runtime", "fuel", "testdata", "*.wasm"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		mods[filepath.Base(p)] = b
	}
	return mods
}

// TestReadModules reads and decodes every instruction of real modules.
func TestReadModules(t *testing.T) {
	mods := seedModules(t)
	mods["go"] = examples.GoLegacy
	for name, wasm := range mods {
		t.Run(name, func(t *testing.T) {
			bodies, err := readModule(wasm)
			if err != nil {
				t.Fatal(err)
			}
			if err := decodeBodies(bodies); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// FuzzReader feeds arbitrary bytes to the reader: it must never panic, its
// LEB128 readers must read back what the writers write, and it must decode
// the code of every module wazero compiles (an opcode the table lacks, or
// whose immediates it gets wrong, would fail the module in the runtime or
// shift every instruction after it).
func FuzzReader(f *testing.F) {
	for _, wasm := range seedModules(f) {
		f.Add(wasm)
	}
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCoreFeatures(api.CoreFeaturesV2))
	f.Cleanup(func() { _ = rt.Close(ctx) })
	f.Fuzz(func(t *testing.T, wasm []byte) {
		if v, err := NewReader(wasm).U32(); err == nil {
			if got, err := NewReader(AppendU32(nil, v)).U32(); err != nil || got != v {
				t.Fatalf("U32(AppendU32(%d)) = %d, %v", v, got, err)
			}
		}
		if v, err := NewReader(wasm).S33(); err == nil {
			if got, err := NewReader(AppendS64(nil, v)).S33(); err != nil || got != v {
				t.Fatalf("S33(AppendS64(%d)) = %d, %v", v, got, err)
			}
		}
		bodies, err := readModule(wasm)
		if err != nil {
			// Refused before any count is trusted: not handed to wazero,
			// which could take gigabytes to refuse it.
			return
		}
		if derr := decodeBodies(bodies); derr != nil {
			if cm, err := rt.CompileModule(ctx, wasm); err == nil {
				_ = cm.Close(ctx)
				t.Fatalf("wazero compiles a module whose code the reader refuses: %v", derr)
			}
		}
	})
}

// BenchmarkDecodeGoExample decodes every instruction of the Go example.
func BenchmarkDecodeGoExample(b *testing.B) {
	bodies, err := readModule(examples.GoLegacy)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(examples.GoLegacy)))
	for b.Loop() {
		if err := decodeBodies(bodies); err != nil {
			b.Fatal(err)
		}
	}
}
