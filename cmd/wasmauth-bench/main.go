// Command wasmauth-bench measures wasmauth against its limits in one run
// (make bench) and prints the results as one markdown table; -out also
// writes the full report (machine, table, example modules, what bounds each
// row), the text of BENCHMARKS.md. It starts everything it measures
// in-process and sends requests to 127.0.0.1 only.
//
//	go run ./cmd/wasmauth-bench -out bench-results.md
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/wasmauth/wasmauth/internal/bench"
)

func main() {
	out := flag.String("out", "bench-results.md", "file to write the full report to (empty: none)")
	timeout := flag.Duration("timeout", 10*time.Minute, "stop the run after this long")
	nodes := flag.Bool("nodes", false, "measure only the rows of several nodes sharing PostgreSQL (WASMAUTH_BENCH_POSTGRES, default the tests' 127.0.0.1:5432; WASMAUTH_BENCH_REDIS)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "wasmauth-bench: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	os.Exit(run(ctx, *out, *nodes))
}

func run(ctx context.Context, out string, nodes bool) int {
	cmd := "go run ./cmd/wasmauth-bench"
	measure := bench.Run
	if nodes {
		cmd += " -nodes"
		measure = bench.RunNodes
	}
	if out != "" {
		cmd += " -out " + out
	}
	rep, err := measure(ctx, bench.Options{Command: cmd, Progress: os.Stderr})
	if rep == nil {
		fmt.Fprintf(os.Stderr, "wasmauth-bench: %v\n", err)
		return 1
	}
	fmt.Print(rep.Table())
	code := 0
	if err != nil {
		fmt.Fprintf(os.Stderr, "wasmauth-bench: the run stopped early: %v\n", err)
		code = 1
	}
	if out != "" {
		if werr := os.WriteFile(out, []byte(rep.Markdown()), 0o644); werr != nil {
			fmt.Fprintf(os.Stderr, "wasmauth-bench: %v\n", werr)
			return 1
		}
		fmt.Fprintf(os.Stderr, "wasmauth-bench: report written to %s\n", out)
	}
	// A missed target is a result, reported in the table; a measurement
	// that could not be made is a failure of the command.
	var missed, failed []string
	for _, r := range rep.Rows {
		switch r.Verdict {
		case bench.Missed:
			missed = append(missed, r.Name)
		case bench.Failed:
			failed = append(failed, r.Name)
		}
	}
	if len(missed) > 0 {
		fmt.Fprintf(os.Stderr, "wasmauth-bench: targets not met: %s\n", strings.Join(missed, "; "))
	}
	if len(failed) > 0 {
		fmt.Fprintf(os.Stderr, "wasmauth-bench: measurements failed: %s\n", strings.Join(failed, "; "))
		code = 1
	}
	return code
}
