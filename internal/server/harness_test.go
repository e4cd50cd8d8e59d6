package server_test

import (
	"fmt"
	"strings"

	"github.com/wasmauth/wasmauth/internal/testserver"
)

// migration returns the tenant's migration status.
func migration(ts *testserver.Server, tenant string) map[string]any {
	ts.T.Helper()
	return ts.Must(ts.Do("GET", "/admin/v1/tenants/"+tenant+"/migration", testserver.OperatorToken, nil), 200, "migration status").JSON
}

// num reads a JSON number at a dotted path such as "legacy.errors".
func num(m map[string]any, path string) int {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, _ := v.(map[string]any)
		v = mm[k]
	}
	f, ok := v.(float64)
	if !ok {
		panic(fmt.Sprintf("no number at %s in %v", path, m))
	}
	return int(f)
}
