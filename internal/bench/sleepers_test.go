package bench

import (
	"context"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
)

// TestSleepingRow measures the sleeping neighbours' row alone, with the
// budget of make bench:
//
//	go test -run TestSleepingRow -v ./internal/bench/
func TestSleepingRow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and compiles the Go example")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := startServer(ctx, t.TempDir(), cheapHash, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	if err := setUpTenants(ctx, s, examples.GoLegacy, 1); err != nil {
		t.Fatal(err)
	}
	b := DefaultBudget()
	row, err := measureSleeping(ctx, s, 2, 3, 4, 2*b.Window)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s (%s)", row.Name, row.Result, row.Verdict)
}
