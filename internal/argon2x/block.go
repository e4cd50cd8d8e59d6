package argon2x

import (
	"encoding/binary"
	"math/bits"
)

// blockWords is the number of 64-bit words in a 1 KiB block.
const blockWords = 128

// block is one 1 KiB Argon2 memory block.
type block [blockWords]uint64

func (b *block) fromBytes(p *[1024]byte) {
	for i := range b {
		b[i] = binary.LittleEndian.Uint64(p[8*i:])
	}
}

func (b *block) toBytes(p *[1024]byte) {
	for i, w := range b {
		binary.LittleEndian.PutUint64(p[8*i:], w)
	}
}

// compress sets out to G(x, y), or XORs G(x, y) into out when xor is set
// (RFC 9106, 3.5). out may alias neither x nor y. It is the fastest
// implementation the CPU supports, the last of implementations.
var compress = func() func(out, x, y *block, xor bool) {
	impls := implementations()
	return impls[len(impls)-1].f
}()

// rowIndex and columnIndex list the words that permutation P mixes: the 16
// words of a row, and the 16 words of a column of 2-word registers.
var rowIndex, columnIndex = func() (r, c [8][16]uint8) {
	for i := range 8 {
		for k := range 16 {
			r[i][k] = uint8(16*i + k)
			c[i][k] = uint8(2*i + k%2 + 16*(k/2))
		}
	}
	return r, c
}()

// compressGeneric is compress in portable Go.
func compressGeneric(out, x, y *block, xor bool) {
	var r, z block
	for i := range r {
		r[i] = x[i] ^ y[i]
	}
	z = r
	for i := range rowIndex {
		permute(&z, &rowIndex[i])
	}
	for i := range columnIndex {
		permute(&z, &columnIndex[i])
	}
	if xor {
		for i := range out {
			out[i] ^= z[i] ^ r[i]
		}
	} else {
		for i := range out {
			out[i] = z[i] ^ r[i]
		}
	}
}

// permute applies P, one BLAKE2b round with the BlaMka multiplication, to the
// 16 words of b at idx.
func permute(b *block, idx *[16]uint8) {
	v0, v1, v2, v3 := b[idx[0]], b[idx[1]], b[idx[2]], b[idx[3]]
	v4, v5, v6, v7 := b[idx[4]], b[idx[5]], b[idx[6]], b[idx[7]]
	v8, v9, v10, v11 := b[idx[8]], b[idx[9]], b[idx[10]], b[idx[11]]
	v12, v13, v14, v15 := b[idx[12]], b[idx[13]], b[idx[14]], b[idx[15]]

	v0, v4, v8, v12 = gb(v0, v4, v8, v12)
	v1, v5, v9, v13 = gb(v1, v5, v9, v13)
	v2, v6, v10, v14 = gb(v2, v6, v10, v14)
	v3, v7, v11, v15 = gb(v3, v7, v11, v15)
	v0, v5, v10, v15 = gb(v0, v5, v10, v15)
	v1, v6, v11, v12 = gb(v1, v6, v11, v12)
	v2, v7, v8, v13 = gb(v2, v7, v8, v13)
	v3, v4, v9, v14 = gb(v3, v4, v9, v14)

	b[idx[0]], b[idx[1]], b[idx[2]], b[idx[3]] = v0, v1, v2, v3
	b[idx[4]], b[idx[5]], b[idx[6]], b[idx[7]] = v4, v5, v6, v7
	b[idx[8]], b[idx[9]], b[idx[10]], b[idx[11]] = v8, v9, v10, v11
	b[idx[12]], b[idx[13]], b[idx[14]], b[idx[15]] = v12, v13, v14, v15
}

// gb is the GB function of RFC 9106, 3.6: BLAKE2b's G with each addition
// a+b replaced by a + b + 2*lo(a)*lo(b).
func gb(a, b, c, d uint64) (uint64, uint64, uint64, uint64) {
	a += b + 2*uint64(uint32(a))*uint64(uint32(b))
	d = bits.RotateLeft64(d^a, -32)
	c += d + 2*uint64(uint32(c))*uint64(uint32(d))
	b = bits.RotateLeft64(b^c, -24)
	a += b + 2*uint64(uint32(a))*uint64(uint32(b))
	d = bits.RotateLeft64(d^a, -16)
	c += d + 2*uint64(uint32(c))*uint64(uint32(d))
	b = bits.RotateLeft64(b^c, -63)
	return a, b, c, d
}
