//go:build amd64 && !purego

package argon2x

import "golang.org/x/sys/cpu"

//go:noescape
func compressAVX2(out, x, y *block, xor bool)

//go:noescape
func compressAVX512(out, x, y *block, xor bool)

// hasAVX512 is whether the CPU and the operating system support the AVX-512
// subsets compressAVX512 uses.
var hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512BW

// implementations lists the compression functions this CPU supports,
// slowest first.
func implementations() []impl {
	impls := []impl{{"generic", compressGeneric}}
	if cpu.X86.HasAVX2 {
		impls = append(impls, impl{"avx2", compressAVX2})
	}
	if hasAVX512 {
		impls = append(impls, impl{"avx512", compressAVX512})
	}
	return impls
}
