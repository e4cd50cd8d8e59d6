package bench

import (
	"context"
	"os"
	"testing"
)

// TestConsoleRow makes only the console's tenant page row:
//
//	WASMAUTH_BENCH_CONSOLE=1 go test ./internal/bench -run TestConsoleRow -v -timeout 20m
func TestConsoleRow(t *testing.T) {
	if os.Getenv("WASMAUTH_BENCH_CONSOLE") == "" {
		t.Skip("set WASMAUTH_BENCH_CONSOLE=1 to measure the console's tenant page with 1,000,000 users")
	}
	row, err := measureConsolePage(context.Background(), t.TempDir(), DefaultBudget().ConsoleUsers)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s (%v)", row.Name, row.Result, row.Verdict)
}
