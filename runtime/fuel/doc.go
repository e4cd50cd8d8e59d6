// Package fuel meters the CPU a WebAssembly guest spends, deterministically:
// Instrument rewrites a tenant's module once, at upload, so that it counts
// its own instructions in a global and traps when its budget runs out.
// wazero has no instruction counting of its own (wazero issue #422), and
// its WithCloseOnContextDone checks made loops many times slower (see "The
// result" below) and, in the project's measurements, did not stop loop-free
// recursion.
//
// # The counter
//
// Instrument appends one mutable i64 global, after every imported and
// defined global so that no existing index moves, and exports it as
// GlobalExport. It also imports one function, ImportModule.ImportName
// ("wasmauth_fuel.refuel", [] -> []), after the module's own imports: the
// defined functions move up by one index, and every reference to them is
// renumbered (calls, ref.func, exports, the start function, element
// segments, global initialisers and the name section). The guest's own
// code never names the import; a module that imports anything from
// ImportModule itself is refused (ErrReservedImport).
//
// Every charge decreases the global; when it goes below zero, the module
// calls refuel. The host gives a call its budget through a Meter: at most
// Slice (10 million units) in the global, the rest held in the Meter, which
// refuel moves into the global a slice at a time. When the budget is spent,
// refuel leaves the global at the (negative) fuel left and traps with
// ErrOutOfFuel; when the Meter was stopped or the call's context ended, it
// traps with ErrStopped. The fuel a call used is its budget minus
// Meter.Remaining (the global plus what the Meter holds), exactly as if the
// whole budget had been in the global: slicing changes when the host is
// called, never what is charged. Set and Remaining still put a whole
// budget in the global, with no Meter: refuel then only traps.
//
// # Why slices
//
// Go cannot preempt a goroutine while it runs compiled wasm, and a garbage
// collection's stop-the-world waits for every goroutine: one guest spinning
// in a loop froze the whole process, its other tenants and the deadline
// watchdog included, until its fuel ran out, seconds for a large budget
// (runtime.TestSpinnerDoesNotStallGC; before slicing, minutes on a budget of
// 2^40). refuel is a call to Go, where the collector can stop the
// goroutine, so the stall is now at most one slice: under a millisecond of
// tight loops, about 4 ms of call-heavy code, some 80 ms at worst of loads
// that all miss the caches. A refuel runs once per 10 million units, which
// is negligible; the call's presence in the code costs more (see "The
// result"). (wazero's WithCloseOnContextDone exits to Go every so many
// back-edges for the same reason, at a far higher cost per iteration.)
//
// The start function runs while the module is instantiated, before the
// host can call Set: the global starts with min(Options.InitialFuel,
// Slice), and a Meter from StartMeter, given to the instantiation's
// context, holds the rest.
//
// # What a unit is
//
// One unit is one executed WebAssembly instruction, whatever it is: an add,
// a load, a call or a br_table cost 1 each; block, loop, else and end cost
// nothing, as they compile to no code. On top of that, memory.fill,
// memory.copy and memory.init cost 1 per MemoryBytesPerUnit bytes, and
// table.fill, table.copy and table.init 1 per TableElemsPerUnit elements,
// charged from their length operand before they run, so that a loop of
// 1 MiB fills is stopped like any other loop. memory.grow and table.grow
// cost 1: memory never shrinks and its growth is capped by the memory
// limit, so their total work over an instance's life is bounded, and a
// failed grow is cheap. Host functions are not metered (each has its own
// limits), and neither is wazero's own work compiling or instantiating.
//
// # Where the charges go
//
// The code of each function is cut into runs: straight-line code that
// control enters only at its first instruction. A run begins at the
// function's entry, after loop (the target of backward branches), after if
// and else, and after the end of an if, of a block that some branch targets
// and of a loop that some branch targets (so the code after a loop is not
// paid for on every iteration). Calls do not end a run (the callee pays for
// itself at its entry, and control comes back to the next instruction), nor
// do br_if, with the exceptions below; br, br_table, return and unreachable
// end it, and the code after them up to the next end or else is unreachable
// and never charged. Each run is paid for in one charge, placed at its
// start, of the sum of its instructions' costs:
//
//	global.get $fuel  i64.const cost  i64.sub  global.set $fuel
//	global.get $fuel  i64.const 0  i64.ge_s  if  else  call $refuel  end
//
// wazero keeps the global's new value in a register, so the second
// global.get costs nothing; the refuel call sits in the else-arm because
// wazero lays the then-arm out on the fall-through path, so the common case
// jumps nowhere (with the call or trap in the then-arm the tightest loop
// measured ran 1.66x slower; with this form, as fast as without fuel).
//
// Three refinements remove charges from hot paths without making any path
// pay less than it runs:
//   - The code after a br_if starts a run of its own, so that a taken
//     br_if does not pay for it; but when that run is short (at most 16
//     units) or the br_if leaves the innermost loop (taken once per
//     execution of the loop, such as the exit test of a while loop), it
//     is paid for together with the code before the br_if. A taken br_if
//     then overpays by at most 16 units, or by one iteration's run once
//     per loop.
//   - Exactly one arm of an if runs after it, so the cost both arms have
//     in common (the smaller arm's) is paid before the if, and the cheaper
//     arm needs no charge. The code after an if whose then-arm cannot
//     fall through counts as its else-arm. When the run before the if
//     cannot trap, call or write anything but locals (a condition such as
//     "local.get i32.const i32.lt_u"), its cost is paid in each arm
//     instead, and it needs no charge: a naive recursive fib then pays one
//     charge per call instead of two. This changes neither the fuel a
//     call uses nor whether it runs out (the running total at the last
//     charge before any trap or return is the same); only the fuel left
//     after running out can be lower, by at most the arm's cost.
//   - A run that costs nothing (an entry that starts with a loop, code
//     between two ends) gets no charge.
//
// # The result
//
// Each loop iteration pays one charge, at its header, and each call one or
// two. The project's other documents link here for the overhead figures.
// BenchmarkOverhead runs the guests of
// testdata/bench.wat plain, instrumented and plain under
// WithCloseOnContextDone in turn, and reports thread CPU time relative to
// plain; on a shared, busy 2-core AMD EPYC (go test ./runtime/fuel -run
// '^$' -bench Overhead -benchtime 20x, 2026-12-03), with the refuel call in
// the else-arm, and before fuel slicing (unreachable in the else-arm):
//
//	guest                          fuel    before  WithCloseOnContextDone
//	hash (a hash-like loop)        1.14x   0.95x   19x
//	fib (naive recursion)          1.15x   1.04x   1.0x
//	tight (a two-instruction loop) 1.65x   1.01x   39x
//	chase (cache-missing loads)    1.00x   1.00x   1.1x
//
// The call costs the hot path although it never runs there: wazero's
// register allocator keeps the values that live across a call in memory
// for the whole loop, where a trap (which ends the function) kept them in
// registers. Putting the call in the then-arm, or behind a br_if, measured
// worse (tight 2.7x); wrapping each loop in an outer loop whose header
// calls refuel gained little in a hand-written test (1.2-1.3x against
// 1.35x). Loops that do more per iteration than tight's two instructions
// pay proportionally less.
//
// On a shared 2-core Intel Xeon (AVX-512), load average 5.3-5.8, three
// alternating runs each: paying a pure if-condition in the arms (see
// "Where the charges go") took fib from 1.59-1.73x to 1.21-1.28x, hash
// 1.02-1.08x and tight 1.54-1.65x either way. wazero's code for fib showed
// why: the entry and the else-arm each loaded, decreased and stored the
// global, and the else-arm's load waited for the entry's store; the refuel
// call itself cost fib about 0.1x more than a trap in its place. Other
// check forms, measured side by side in one process: "block loop (ge_s
// br_if 1) call br 0 end end", whose call block branches back to the
// check, ran tight at 1.1-1.4x but hash 0.05x and fib 0.1x slower than
// the if-else form; "block (ge_s br_if 0) call end" ran hash at 1.20x
// against 1.05x (one run). Per-function choices (the loop form only in
// functions with loops) gave no clear gain, and code that differed only in
// address measured 0.15x apart on tight, so smaller differences than that
// on tight are noise.
//
// # Determinism
//
// The charges are fixed when the module is instrumented: the fuel a call
// uses depends only on the module and on the path the code takes, which
// depends only on the call's input and the answers of host functions,
// never on timing, the machine or the engine. The same call on the same
// input uses the same fuel every time. Fuel measures work, not time: a
// unit takes from a fraction of a nanosecond (register arithmetic) to tens
// of nanoseconds (a load that misses the caches), so a wall-clock deadline
// is still needed for the worst case.
//
// # What Instrument refuses
//
// The instruction decoder, shared with the runtime's validation
// (internal/wasmbin), knows every instruction wazero accepts under
// api.CoreFeaturesV2 (multi-value, bulk memory, reference types, sign
// extension, non-trapping float-to-int conversions, 0xFC and fixed-width
// SIMD 0xFD instructions) and refuses any other opcode with an error naming
// it, rather than guess its immediates. It also refuses modules that
// already export GlobalExport or import from ImportModule; code naming a
// global, local or function the module does not declare (such an index
// would name the added global, scratch local or import); and declarations that cannot be right, such as a vector declaring
// more entries than it has bytes or a function with more than 50,000
// locals, which make wazero v1.12 allocate gigabytes, or crash the process
// out of memory, before it finds the module invalid. Instrument does not
// validate the module fully: compiling its output with wazero does. Custom
// sections are kept unless Options.StripCustomSections is set; in the name
// section, function names and local names are renumbered and the other
// subsections (extended names, which wazero ignores) dropped.
package fuel
