package fuel

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// FuzzInstrument checks that Instrument never panics; that whenever wazero
// compiles a module whose sections Instrument accepts, Instrument accepts
// its code too (unless it already exports GlobalExport or imports from
// ImportModule) and wazero compiles
// the result; and the other way round, that instrumenting never turns an
// invalid module into a valid one (such as code naming the added global).
func FuzzInstrument(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.wasm"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range seeds {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCoreFeatures(api.CoreFeaturesV2))
	f.Cleanup(func() { _ = r.Close(ctx) })
	compiles := func(wasm []byte) error {
		cm, err := r.CompileModule(ctx, wasm)
		if err == nil {
			_ = cm.Close(ctx)
		}
		return err
	}
	f.Fuzz(func(t *testing.T, wasm []byte) {
		out, err := Instrument(wasm, Options{})
		if err != nil {
			// A module refused before its code is read is not handed to
			// wazero, which can take seconds and gigabytes to refuse it,
			// or crash the process out of memory.
			if !bytes.HasPrefix(wasm, wasmHeader) || errors.Is(err, ErrAlreadyInstrumented) || errors.Is(err, ErrReservedImport) {
				return
			}
			if _, perr := parseModule(wasm[len(wasmHeader):]); perr != nil {
				return
			}
			if compiles(wasm) == nil {
				t.Fatalf("Instrument refuses a module wazero compiles: %v", err)
			}
			return
		}
		origErr, newErr := compiles(wasm), compiles(out)
		switch {
		case origErr == nil && newErr != nil:
			t.Fatalf("instrumented module does not compile: %v", newErr)
		case origErr != nil && newErr == nil && !strings.Contains(origErr.Error(), "failed to read custom section name["):
			// (wazero v1.12 refuses an empty custom section at the very
			// end of a module, as reading 0 bytes there reports EOF; the
			// sections Instrument appends move it off the end.)
			t.Fatalf("instrumenting made an invalid module valid (it was: %v)", origErr)
		}
	})
}
