package cli

import (
	"fmt"

	"github.com/wasmauth/wasmauth/runtime"
)

// maxLimitsDefault describes runtime.DefaultMaxLimits, the maxima of
// tenants' script limits without --max-limits, for the flag's help.
func maxLimitsDefault() string {
	m := runtime.DefaultMaxLimits()
	return fmt.Sprintf("%v, %d MiB, %d fuel, %d queries, %d rows, %d instances",
		m.Timeout, m.Memory>>20, m.Fuel, m.MaxQueries, m.MaxRows, m.Instances)
}
