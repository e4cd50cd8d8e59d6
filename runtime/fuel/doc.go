// Package fuel meters the CPU a WebAssembly guest spends, deterministically,
// by rewriting the module at upload so that it counts its own instructions
// in a global and traps when the budget runs out.
package fuel
