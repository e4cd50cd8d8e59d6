package fuel

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/wasmauth/wasmauth/internal/wasmbin"
)

// chargeSites instruments the module in testdata/file and returns how many
// charges (static and bulk) each defined function received.
func chargeSites(t *testing.T, file string) []int {
	t.Helper()
	wasm, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseModule(wasm[len(wasmHeader):])
	if err != nil {
		t.Fatal(err)
	}
	m.refuel, m.numFuncs = m.numImportedFuncs, m.numImportedFuncs+uint32(len(m.funcTypes))
	code, err := m.rewriteCode(m.numImportedGlobals + m.numGlobals)
	if err != nil {
		t.Fatal(err)
	}
	r := wasmbin.NewReader(code)
	n, _ := r.U32()
	check := appendCheck(nil, m.numImportedGlobals+m.numGlobals, m.refuel)
	var sites []int
	for range n {
		body, _ := r.Body()
		sites = append(sites, bytes.Count(body, check))
	}
	return sites
}

// TestChargeSites pins where the scheme places charges, so that a change
// that adds charges to hot paths shows up here and not only in benchmarks.
func TestChargeSites(t *testing.T) {
	tests := []struct {
		file string
		want []int
	}{
		// straight, calls, count, ifelse, guard, skip, while, fill, copy
		{file: "costs.wasm", want: []int{1, 1, 1, 3, 3, 2, 1, 2, 2}},
		// hash: entry, loop header (exit test and body merged), after the
		// loop; tight: loop header, after the loop; chase: entry, loop
		// header, after the loop; fib: entry (with the then-arm hoisted),
		// else-arm.
		{file: "bench.wasm", want: []int{3, 2, 3, 2}},
		// spin: loop header; fib; walk: loop header, if-arm, after the
		// loop, then-arm; fill_forever: loop header and bulk; trap.
		{file: "spin.wasm", want: []int{1, 2, 4, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			if got := chargeSites(t, tt.file); !slices.Equal(got, tt.want) {
				t.Errorf("charge sites = %v, want %v", got, tt.want)
			}
		})
	}
}
