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
		// header, after the loop; fib: then-arm and else-arm, each with
		// the pure condition's cost, and no charge at the entry.
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

// TestHoistArms checks both directions of hoistArms on an if whose arms cost
// 3 and 5: a condition run that can trap or call pays the arms' common 3,
// and a pure one is paid in each arm and needs no charge of its own. Either
// way each path pays its own total.
func TestHoistArms(t *testing.T) {
	tests := []struct {
		name    string
		effects bool
		want    []int64 // costs of cond, then-arm, else-arm
	}{
		{name: "condition with effects", effects: true, want: []int64{2 + 3, 0, 2}},
		{name: "pure condition", want: []int64{0, 2 + 3, 2 + 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs := []segment{{cost: 2, effects: tt.effects}, {cost: 3}, {cost: 5}}
			hoistArms(segs, []hoist{{cond: 0, a: 1, b: 2}})
			got := []int64{segs[0].cost, segs[1].cost, segs[2].cost}
			if !slices.Equal(got, tt.want) {
				t.Errorf("costs = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPure(t *testing.T) {
	for _, op := range []byte{wasmbin.OpLocalGet, wasmbin.OpLocalTee, wasmbin.OpI32Const, wasmbin.OpI32Eqz, 0x49 /* i32.lt_u */, 0x6a /* i32.add */, wasmbin.OpSelect} {
		if !pure(op) {
			t.Errorf("pure(0x%02x) = false", op)
		}
	}
	for _, op := range []byte{wasmbin.OpCall, wasmbin.OpCallIndirect, wasmbin.OpGlobalSet, wasmbin.OpI32Load, wasmbin.OpI64Store32,
		wasmbin.OpMemoryGrow, 0x6d /* i32.div_s */, 0x82 /* i64.rem_u */, 0xa8 /* i32.trunc_f32_s */, 0xb1 /* i64.trunc_f64_u */, wasmbin.OpPrefixMisc} {
		if pure(op) {
			t.Errorf("pure(0x%02x) = true", op)
		}
	}
}
