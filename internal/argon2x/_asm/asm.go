// Command asm generates compress_amd64.s, the AVX2 and AVX-512 block
// compression of package argon2x. Run go generate in this directory.
//
// A block is 128 words, seen as 8 rows of 16 words. The compression
// G(X, Y) (RFC 9106, 3.5) computes R = X xor Y, applies the permutation P to
// each row and then to each column of 2-word pairs, and returns the result
// xor R. P is a BLAKE2b round on 16 words; its G steps are independent lane
// by lane, so a vector register holds the same role (a, b, c or d) of
// several G steps at once.
//
// Both versions see the block as 32 slots of 4 words (slot k is words
// 4k..4k+3). In the row pass, slots 8i..8i+3 are the a, b, c, d vectors of
// row 2i and slots 8i+4..8i+7 those of row 2i+1: the diagonal step is a
// rotation inside each vector. In the column pass, slots i, 8+i, 16+i, 24+i
// (rows 0, 2, 4, 6) and 4+i, 12+i, 20+i, 28+i (rows 1, 3, 5, 7) hold the a,
// b, c, d words of columns 2i and 2i+1, and the diagonal step moves words
// between the two sets.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

//go:generate go run . -out ../compress_amd64.s

func main() {
	ConstraintExpr("amd64,!purego")
	genAVX2()
	genAVX512()
	Generate()
}

// set is the a, b, c, d vectors of one group of G steps.
type set struct{ a, b, c, d Op }

// isa is the vector instructions one version uses.
type isa struct {
	xor                        func(src, dst Op) // dst ^= src
	ror32, ror24, ror16, rotl1 func(x, tmp Op)
}

// blamka sets a = a + b + 2*lo(a)*lo(b) for each word, using t.
func blamka(a, b, t Op) {
	VPMULUDQ(b, a, t)
	VPADDQ(b, a, a)
	VPADDQ(t, t, t)
	VPADDQ(t, a, a)
}

// gb applies GB to every set, interleaving the sets' instructions.
func gb(in isa, ss []set, t []Op) {
	each := func(f func(s set, t Op)) {
		for j, s := range ss {
			f(s, t[j])
		}
	}
	each(func(s set, t Op) { blamka(s.a, s.b, t) })
	each(func(s set, t Op) { in.xor(s.a, s.d); in.ror32(s.d, t) })
	each(func(s set, t Op) { blamka(s.c, s.d, t) })
	each(func(s set, t Op) { in.xor(s.c, s.b); in.ror24(s.b, t) })
	each(func(s set, t Op) { blamka(s.a, s.b, t) })
	each(func(s set, t Op) { in.xor(s.a, s.d); in.ror16(s.d, t) })
	each(func(s set, t Op) { blamka(s.c, s.d, t) })
	each(func(s set, t Op) { in.xor(s.c, s.b); in.rotl1(s.b, t) })
}

// ymm and zmm list the physical vector registers by number.
var (
	ymm = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	zmm = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}
)

// shuffleMask defines a 32-byte VPSHUFB mask that rotates each word right by
// n bytes.
func shuffleMask(name string, n int) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 32; i++ {
		DATA(i, U8(i&^7+(i+n)%8))
	}
	return m
}

// genAVX2 emits compressAVX2: the block goes through a 1 KiB stack buffer,
// eight slots (two sets) at a time, with R kept in out.
func genAVX2() {
	rot24 := shuffleMask("rot24", 3)
	rot16 := shuffleMask("rot16", 2)

	TEXT("compressAVX2", 0, "func(out, x, y *[128]uint64, xor bool)")
	Doc("compressAVX2 is compress with AVX2.")
	out := Mem{Base: Load(Param("out"), GP64())}
	x := Mem{Base: Load(Param("x"), GP64())}
	y := Mem{Base: Load(Param("y"), GP64())}
	xor := Load(Param("xor"), GP8())
	tmp := AllocLocal(1024)

	r24, r16 := Y14, Y15
	VMOVDQU(rot24, r24)
	VMOVDQU(rot16, r16)
	in := isa{
		xor:   func(src, dst Op) { VPXOR(src, dst, dst) },
		ror32: func(x, _ Op) { VPSHUFD(U8(0xb1), x, x) },
		ror24: func(x, _ Op) { VPSHUFB(r24, x, x) },
		ror16: func(x, _ Op) { VPSHUFB(r16, x, x) },
		rotl1: func(x, t Op) { VPADDQ(x, x, t); VPSRLQ(U8(63), x, x); VPXOR(t, x, x) },
	}
	v := ymm[:8]
	t := []Op{Y8, Y9}
	slot := func(m Mem, k int) Mem { return m.Offset(32 * k) }

	// The row pass, reading X and Y and storing R (xor the old out) in out.
	rowPass := func(withXor bool) {
		for i := 0; i < 4; i++ {
			for j := 0; j < 8; j++ {
				k := 8*i + j
				VMOVDQU(slot(x, k), v[j])
				VPXOR(slot(y, k), v[j], v[j])
				if withXor {
					VPXOR(slot(out, k), v[j], Y10)
					VMOVDQU(Y10, slot(out, k))
				} else {
					VMOVDQU(v[j], slot(out, k))
				}
			}
			ss := []set{{v[0], v[1], v[2], v[3]}, {v[4], v[5], v[6], v[7]}}
			gb(in, ss, t)
			for _, s := range ss {
				VPERMQ(U8(0x39), s.b, s.b)
				VPERMQ(U8(0x4e), s.c, s.c)
				VPERMQ(U8(0x93), s.d, s.d)
			}
			gb(in, ss, t)
			for _, s := range ss {
				VPERMQ(U8(0x93), s.b, s.b)
				VPERMQ(U8(0x4e), s.c, s.c)
				VPERMQ(U8(0x39), s.d, s.d)
			}
			for j := 0; j < 8; j++ {
				VMOVDQU(v[j], slot(tmp, 8*i+j))
			}
		}
	}
	CMPB(xor, U8(0))
	JNE(LabelRef("withxor"))
	rowPass(false)
	JMP(LabelRef("columns"))
	Label("withxor")
	rowPass(true)

	// The column pass, xoring the result into out.
	Label("columns")
	// swapPairs sets (o0, o1) to the words of (i0, i1) with each pair of
	// adjacent words exchanged between the vectors and swapped:
	// o0 = (i1[1], i0[0], i1[3], i0[2]), o1 = (i0[1], i1[0], i0[3], i1[2]).
	swapPairs := func(i0, i1, o0, o1 Op) {
		VPBLENDD(U8(0xcc), i1, i0, t[0])
		VPBLENDD(U8(0x33), i1, i0, t[1])
		VPERMQ(U8(0xb1), t[0], o0)
		VPERMQ(U8(0xb1), t[1], o1)
	}
	for i := 0; i < 4; i++ {
		a0, a1, b0, b1, c0, c1, d0, d1 := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
		ks := []int{i, 4 + i, 8 + i, 12 + i, 16 + i, 20 + i, 24 + i, 28 + i}
		for j, k := range ks {
			VMOVDQU(slot(tmp, k), v[j])
		}
		gb(in, []set{{a0, b0, c0, d0}, {a1, b1, c1, d1}}, t)
		swapPairs(b0, b1, b1, b0)
		swapPairs(d0, d1, d0, d1)
		gb(in, []set{{a0, b0, c1, d0}, {a1, b1, c0, d1}}, t)
		swapPairs(b0, b1, b0, b1)
		swapPairs(d0, d1, d1, d0)
		for j, k := range ks {
			VPXOR(slot(out, k), v[j], v[j])
			VMOVDQU(v[j], slot(out, k))
		}
	}
	VZEROUPPER()
	RET()
}

// genAVX512 emits compressAVX512: the whole block lives in 16 registers,
// each holding slots k and k+4, so that one register does the work of the
// two sets of the AVX2 version.
func genAVX512() {
	// In the column pass a register holds (B0, B1) of the AVX2 version; the
	// diagonal step is one permutation of its eight words.
	perm := func(name string, idx [8]uint64) Mem {
		m := GLOBL(name, RODATA|NOPTR)
		for i, w := range idx {
			DATA(8*i, U64(w))
		}
		return m
	}
	permB := perm("permB", [8]uint64{1, 4, 3, 6, 5, 0, 7, 2})
	permD := perm("permD", [8]uint64{5, 0, 7, 2, 1, 4, 3, 6}) // also the inverse of permB

	TEXT("compressAVX512", 0, "func(out, x, y *[128]uint64, xor bool)")
	Doc("compressAVX512 is compress with AVX-512 (F, VL and BW).")
	out := Mem{Base: Load(Param("out"), GP64())}
	x := Mem{Base: Load(Param("x"), GP64())}
	y := Mem{Base: Load(Param("y"), GP64())}
	xor := Load(Param("xor"), GP8())
	tmp := AllocLocal(1024)
	pb, pd := Z30, Z31
	VMOVDQU64(permB, pb)
	VMOVDQU64(permD, pd)
	in := isa{
		xor:   func(src, dst Op) { VPXORQ(src, dst, dst) },
		ror32: func(x, _ Op) { VPRORQ(U8(32), x, x) },
		ror24: func(x, _ Op) { VPRORQ(U8(24), x, x) },
		ror16: func(x, _ Op) { VPRORQ(U8(16), x, x) },
		rotl1: func(x, _ Op) { VPROLQ(U8(1), x, x) },
	}
	t := []Op{Z16, Z17, Z18, Z19}
	line := func(m Mem, k int) Mem { return m.Offset(64 * k) }

	// R = X xor Y goes to tmp, and R (xor the old out) to out.
	rPass := func(withXor bool) {
		for k := 0; k < 16; k++ {
			r := zmm[k%8]
			VMOVDQU64(line(x, k), r)
			VPXORQ(line(y, k), r, r)
			VMOVDQU64(r, line(tmp, k))
			if withXor {
				VPXORQ(line(out, k), r, r)
			}
			VMOVDQU64(r, line(out, k))
		}
	}
	CMPB(xor, U8(0))
	JNE(LabelRef("withxor512"))
	rPass(false)
	JMP(LabelRef("load512"))
	Label("withxor512")
	rPass(true)
	Label("load512")

	// Register n holds slots k and k+4 for k = 8*(n/4) + n%4.
	slotOf := func(n int) int { return 8*(n/4) + n%4 }
	for n := 0; n < 16; n++ {
		k := slotOf(n)
		VMOVDQU64(tmp.Offset(32*k), zmm[n].AsY())
		VINSERTI64X4(U8(1), tmp.Offset(32*(k+4)), zmm[n], zmm[n])
	}
	z := zmm[:16]

	// The row pass: register 4i+j is vector j of rows 2i and 2i+1.
	var rows []set
	for i := 0; i < 4; i++ {
		rows = append(rows, set{z[4*i], z[4*i+1], z[4*i+2], z[4*i+3]})
	}
	gb(in, rows, t)
	for _, s := range rows {
		VPERMQ(U8(0x39), s.b, s.b)
		VPERMQ(U8(0x4e), s.c, s.c)
		VPERMQ(U8(0x93), s.d, s.d)
	}
	gb(in, rows, t)
	for _, s := range rows {
		VPERMQ(U8(0x93), s.b, s.b)
		VPERMQ(U8(0x4e), s.c, s.c)
		VPERMQ(U8(0x39), s.d, s.d)
	}

	// The column pass: registers i, 4+i, 8+i, 12+i are the a, b, c, d of
	// columns 2i and 2i+1.
	var cols []set
	for i := 0; i < 4; i++ {
		cols = append(cols, set{z[i], z[4+i], z[8+i], z[12+i]})
	}
	gb(in, cols, t)
	for _, s := range cols {
		VPERMQ(s.b, pb, s.b)
		VSHUFI64X2(U8(0x4e), s.c, s.c, s.c)
		VPERMQ(s.d, pd, s.d)
	}
	gb(in, cols, t)
	for _, s := range cols {
		VPERMQ(s.b, pd, s.b)
		VSHUFI64X2(U8(0x4e), s.c, s.c, s.c)
		VPERMQ(s.d, pb, s.d)
	}

	// out ^= the result, through tmp to return to memory order.
	for n := 0; n < 16; n++ {
		k := slotOf(n)
		VMOVDQU64(zmm[n].AsY(), tmp.Offset(32*k))
		VEXTRACTI64X4(U8(1), zmm[n], tmp.Offset(32*(k+4)))
	}
	for k := 0; k < 16; k++ {
		r := zmm[k%8]
		VMOVDQU64(line(tmp, k), r)
		VPXORQ(line(out, k), r, r)
		VMOVDQU64(r, line(out, k))
	}
	VZEROUPPER()
	RET()
}
