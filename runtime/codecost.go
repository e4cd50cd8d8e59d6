package runtime

import (
	"errors"
	"fmt"

	"github.com/wasmauth/wasmauth/internal/wasmbin"
)

// The compile budget. wazero's optimising compiler builds SSA: a local read
// inside nested blocks gets a value at every enclosing block header, and the
// register allocator then works on every value live across a block, so the
// work of one function grows with its control constructs times the square of
// its locals (parameters included). A 20 KB function of 400 nested loops
// that reads 5,000 locals takes 28 s and hundreds of MiB to compile; at the
// 50,000 locals the structure checks allow, hours and gigabytes. The time
// budget (Config.CompileTimeout) cannot stop such a compile, only stop
// waiting for it, and it would hold a compile slot and its memory until it
// ended. Branches cost too: each branch is an edge into its target block, and
// the work grows with the square of the edges into one block: a 1 MB
// br_table of a million entries into two blocks takes two minutes and 4 GiB.
// So precheck estimates the work before compiling,
//
//	cost = blocks x locals^2 + sum over blocks of (branches into it)^2 + body bytes,
//
// and refuses a module above a budget far above what real tool chains emit:
// the examples in Go, C, Rust and AssemblyScript each stay under 1% of it
// (see TestCodeCostOfExamples). One unit is about 0.5 to 3 ns of compiling on
// an idle core, so a module at the budget compiles in seconds.
const (
	// maxFunctionCost bounds the cost of one function.
	maxFunctionCost = 1_000_000_000
	// maxModuleCost bounds the sum over the module's functions.
	maxModuleCost = 4_000_000_000
	// maxNesting bounds the depth of nested blocks, loops and ifs in a
	// function (V8 and wazero's decoder accept more; real code stays far below).
	maxNesting = 10_000
)

// codeCost is what precheck measures in the code section.
type codeCost struct {
	total     uint64 // sum of the functions' costs
	maxFunc   uint64 // the largest function's cost
	maxLocals int    // the most locals (parameters included) of a function
	maxNest   int    // the deepest control nesting of a function
}

// functionCost returns the estimated compile work of a function body whose
// locals declarations body has read (locals counts parameters too): the
// number of block, loop and if instructions times locals squared, plus the
// squares of the numbers of branches into each block, plus the body's
// length. It decodes every instruction, so that an immediate is never taken
// for an opcode; an instruction it does not know is an error (the compiler
// would refuse it too). in is scratch space, reused from call to call.
func functionCost(body *wasmbin.Reader, locals int, in *wasmbin.Instr) (cost uint64, nest int, err error) {
	size := uint64(body.Pos() + body.Len()) // the whole body, locals included
	var constructs, edgeCost uint64
	// edges[i] counts the branches into the i-th open block; edges[0] is the
	// function body. The stack is bounded by maxNesting.
	edges := []uint64{0}
	branch := func(label uint32) {
		if int64(label) < int64(len(edges)) {
			edges[len(edges)-1-int(label)]++
		}
	}
	depth := 1 // the function body itself
	for !body.EOF() {
		if err := body.Instr(in); err != nil {
			return 0, 0, err
		}
		switch in.Op {
		case wasmbin.OpBlock, wasmbin.OpLoop, wasmbin.OpIf:
			constructs++
			depth++
			nest = max(nest, depth)
			if depth > maxNesting {
				return 0, 0, fmt.Errorf("blocks nested more than %d deep", maxNesting)
			}
			edges = append(edges, 0)
		case wasmbin.OpEnd:
			e := edges[len(edges)-1]
			edgeCost += e * e
			if len(edges) > 1 {
				edges = edges[:len(edges)-1]
			}
			depth--
			if depth == 0 && !body.EOF() {
				return 0, 0, errors.New("instructions after the end of the function")
			}
		case wasmbin.OpBr, wasmbin.OpBrIf:
			branch(in.Index)
		case wasmbin.OpBrTable:
			for _, label := range in.Labels {
				branch(label)
			}
		}
	}
	if depth != 0 {
		return 0, 0, errors.New("function body does not end")
	}
	l := uint64(locals)
	return constructs*l*l + edgeCost + size, nest, nil
}
