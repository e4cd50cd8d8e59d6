package runtime

import (
	"testing"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
)

// TestCodeCostOfExamples checks that the compile budget leaves real modules,
// the examples in every language, far below it.
func TestCodeCostOfExamples(t *testing.T) {
	for _, lang := range examples.Languages() {
		t.Run(lang, func(t *testing.T) {
			_, cost, err := precheck(examples.Legacy()[lang])
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: total %d (%.3f%% of the budget), largest function %d (%.3f%%), locals up to %d, nesting up to %d",
				lang, cost.total, 100*float64(cost.total)/maxModuleCost, cost.maxFunc,
				100*float64(cost.maxFunc)/maxFunctionCost, cost.maxLocals, cost.maxNest)
			if cost.total > maxModuleCost/100 || cost.maxFunc > maxFunctionCost/100 {
				t.Errorf("the %s example uses more than 1%% of the compile budget", lang)
			}
		})
	}
}
