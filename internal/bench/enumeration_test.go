package bench

import (
	"context"
	goruntime "runtime"
	"testing"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/password"
)

// BenchmarkEnumerationGap makes make bench's "enumeration gap" row alone,
// with the real argon2id parameters and the Go example, each time on a
// fresh server:
//
//	go test ./internal/bench/ -run '^$' -bench EnumerationGap -benchtime 1x
func BenchmarkEnumerationGap(b *testing.B) {
	for range b.N {
		row, err := measureEnumerationGap(context.Background(), b.TempDir(), password.DefaultParams,
			2*goruntime.GOMAXPROCS(0), examples.GoLegacy, moduleLabel(examples.GoLegacy))
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %s (%s)", row.Name, row.Result, row.Verdict)
	}
}
