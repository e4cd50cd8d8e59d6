// Package bench measures wasmauth against the limits it promises, in one run
// on one machine: the table behind "make bench" and BENCHMARKS.md.
//
// Run starts everything it measures in-process: wasm engines on temporary
// cache folders, raw wazero runtimes for the fuel overhead, and a complete
// server on 127.0.0.1 with a random port, driven over real HTTP by a bounded
// load generator (Load) that refuses any address but the loopback one and
// stops by itself after a count or a duration. Each row of the Report is a
// ratio (or a number) measured in that same run, so that the machine's load
// at the time weighs on both sides of a ratio alike; where load from other
// processes could still skew a ratio, the two sides are measured in
// alternating windows, and CPU time is reported beside wall time.
//
// The rows, their targets and what bounds each are listed in BENCHMARKS.md
// at the root of the repository, which holds the latest results.
package bench
