package runtime

import (
	"errors"
	"fmt"
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
// locals declarations have been read (locals counts parameters too): the
// number of block, loop and if instructions times locals squared, plus the
// squares of the numbers of branches into each block, plus the body's length. It decodes every instruction, so that an immediate is never
// taken for an opcode; an instruction it does not know is an error (the
// compiler would refuse it too).
func functionCost(body *reader, locals int) (cost uint64, nest int, err error) {
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
	for body.left() > 0 {
		op, err := body.byte()
		if err != nil {
			return 0, 0, err
		}
		switch {
		case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
			constructs++
			depth++
			nest = max(nest, depth)
			if depth > maxNesting {
				return 0, 0, fmt.Errorf("blocks nested more than %d deep", maxNesting)
			}
			edges = append(edges, 0)
			err = body.blockType()
		case op == 0x0b: // end
			e := edges[len(edges)-1]
			edgeCost += e * e
			if len(edges) > 1 {
				edges = edges[:len(edges)-1]
			}
			depth--
			if depth == 0 && body.left() > 0 {
				return 0, 0, errors.New("instructions after the end of the function")
			}
		case op == 0x05 || op == 0x00 || op == 0x01 || op == 0x0f || op == 0x1a || op == 0x1b || op == 0xd1:
			// else, unreachable, nop, return, drop, select, ref.is_null
		case op == 0x0c || op == 0x0d: // br, br_if
			var label uint32
			if label, err = body.u32(); err == nil {
				branch(label)
			}
		case op == 0x10 || op == 0xd2 || (op >= 0x20 && op <= 0x26):
			// call, ref.func, local.*, global.*, table.get/set
			_, err = body.u32()
		case op == 0x0e: // br_table
			var n int
			if n, err = body.count("br_table targets", 1, 0); err == nil {
				for i := 0; i <= n && err == nil; i++ {
					var label uint32
					if label, err = body.u32(); err == nil {
						branch(label)
					}
				}
			}
		case op == 0x11: // call_indirect
			if _, err = body.u32(); err == nil {
				_, err = body.u32()
			}
		case op == 0x1c: // select with types
			var n int
			if n, err = body.count("select types", 1, 0); err == nil {
				err = body.skip(uint32(n))
			}
		case op >= 0x28 && op <= 0x3e: // loads and stores
			err = body.memarg()
		case op == 0x3f || op == 0x40 || op == 0xd0: // memory.size, memory.grow, ref.null
			_, err = body.byte()
		case op == 0x41:
			err = body.sleb(5)
		case op == 0x42:
			err = body.sleb(10)
		case op == 0x43:
			err = body.skip(4)
		case op == 0x44:
			err = body.skip(8)
		case op >= 0x45 && op <= 0xc4: // numeric, sign extension
		case op == 0xfc:
			err = body.miscImmediates()
		case op == 0xfd:
			err = body.simdImmediates()
		default:
			return 0, 0, fmt.Errorf("unknown instruction 0x%02x", op)
		}
		if err != nil {
			return 0, 0, err
		}
	}
	if depth != 0 {
		return 0, 0, errors.New("function body does not end")
	}
	l := uint64(locals)
	return constructs*l*l + edgeCost + uint64(len(body.b)), nest, nil
}

// blockType skips a block type: empty, a value type or a type index (s33).
func (r *reader) blockType() error {
	if r.off >= len(r.b) {
		return errTruncated
	}
	switch r.b[r.off] {
	case 0x40, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
		r.off++
		return nil
	}
	return r.sleb(5)
}

// memarg skips a memory argument: alignment and offset.
func (r *reader) memarg() error {
	if _, err := r.u32(); err != nil {
		return err
	}
	_, err := r.u32()
	return err
}

// miscImmediates skips the immediates of a 0xfc instruction: saturating
// truncation, bulk memory and table instructions.
func (r *reader) miscImmediates() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 7: // trunc_sat
		return nil
	case sub == 8: // memory.init
		if _, err := r.u32(); err != nil {
			return err
		}
		_, err = r.byte()
	case sub == 9 || sub == 13 || (sub >= 15 && sub <= 17): // data.drop, elem.drop, table.grow/size/fill
		_, err = r.u32()
	case sub == 10: // memory.copy
		err = r.skip(2)
	case sub == 11: // memory.fill
		_, err = r.byte()
	case sub == 12 || sub == 14: // table.init, table.copy
		if _, err = r.u32(); err == nil {
			_, err = r.u32()
		}
	default:
		return fmt.Errorf("unknown instruction 0xfc %d", sub)
	}
	return err
}

// simdImmediates skips the immediates of a 0xfd (SIMD) instruction.
func (r *reader) simdImmediates() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 11 || sub == 92 || sub == 93: // loads and stores
		return r.memarg()
	case sub == 12 || sub == 13: // v128.const, i8x16.shuffle
		return r.skip(16)
	case sub >= 21 && sub <= 34: // extract_lane, replace_lane
		_, err = r.byte()
		return err
	case sub >= 84 && sub <= 91: // load_lane, store_lane
		if err := r.memarg(); err != nil {
			return err
		}
		_, err = r.byte()
		return err
	case sub <= 0x113:
		return nil
	}
	return fmt.Errorf("unknown instruction 0xfd %d", sub)
}
