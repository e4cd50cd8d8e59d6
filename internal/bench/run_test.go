package bench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/password"
)

// cheapHash keeps the server-side measurements of the tests quick.
var cheapHash = password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// quickBudget runs every measurement briefly.
var quickBudget = Budget{
	Window:        200 * time.Millisecond,
	Rounds:        1,
	FirstLogins:   3,
	Concurrent:    50,
	CachedCompile: 1,
	ColdCalls:     3,
	WarmCalls:     50,
	LanguagePhase: 100 * time.Millisecond,
	FuelPerGuest:  50 * time.Millisecond,
	NoisyClients:  2,

	DrainUsers:     600,
	ImportUsers:    300,
	ImportedLogins: 2,
	ConsoleUsers:   3000,
	OIDCTries:      3,
}

// TestRun makes every measurement of a run, small: the WAT example instead
// of the Go one, cheap hashes, short windows. It checks that every row is
// measured (none failed) and that the report holds them, not the numbers.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and compiles modules")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// The rows of several nodes need PostgreSQL: required on CI, left out
	// without it elsewhere.
	rows, noNodes := 21+len(NodeRows), false
	if c, err := pgx.Connect(ctx, benchPostgres()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required on CI: %v", err)
		}
		rows, noNodes = 21, true
	} else {
		c.Close(ctx)
	}
	rep, err := Run(ctx, Options{
		NoNodes:      noNodes,
		Budget:       quickBudget,
		Hash:         cheapHash,
		HashSlots:    2,
		LegacyModule: examples.WATLegacy,
		Languages:    []string{"wat", "c"},
		WorkDir:      t.TempDir(),
		Command:      "go test",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != rows {
		t.Errorf("%d rows, want %d:\n%s", len(rep.Rows), rows, rep.Table())
	}
	for _, r := range rep.Rows {
		if r.Verdict == Failed {
			t.Errorf("row %q failed: %s", r.Name, r.Result)
		}
		if r.Result == "" || r.Bound == "" || r.Target == "" {
			t.Errorf("row %q lacks a result, bound or target: %+v", r.Name, r)
		}
	}
	var langs []string
	for _, l := range rep.Languages {
		langs = append(langs, l.Language)
		if l.Size == 0 || l.Cold <= 0 || l.Warm <= 0 || l.Fuel <= 0 {
			t.Errorf("language row %+v is incomplete", l)
		}
	}
	if got := strings.Join(langs, ","); got != "wat,c,wat-trivial" {
		t.Errorf("languages %s, want wat,c,wat-trivial", got)
	}
	md := rep.Markdown()
	for _, want := range []string{"| row | measures | result | target | met |", "## Example modules", "## What bounds each row", rep.Machine.CPUModel} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	t.Log("\n" + md)
}
