package runtime

import (
	"testing"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/runtime/fuel"
)

// BenchmarkReadGoExample measures the two upload-time walks of the Go example
// (3.3 MB, the largest): precheck (structure and compile cost) and fuel
// instrumentation.
func BenchmarkReadGoExample(b *testing.B) {
	wasm := examples.GoLegacy
	b.Run("precheck", func(b *testing.B) {
		b.SetBytes(int64(len(wasm)))
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := precheck(wasm); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("instrument", func(b *testing.B) {
		b.SetBytes(int64(len(wasm)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fuel.Instrument(wasm, fuel.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
