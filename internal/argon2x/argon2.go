package argon2x

import (
	"encoding/binary"
	"sync"

	"golang.org/x/crypto/blake2b"
)

// version is the only Argon2 version implemented, 1.3 (0x13).
const version = 0x13

// syncPoints is the number of slices a lane is cut into (RFC 9106, 3.4).
const syncPoints = 4

// mode is the Argon2 type, the y parameter of RFC 9106.
type mode uint32

const (
	modeD  mode = 0
	modeI  mode = 1
	modeID mode = 2
)

// IDKey derives a key of keyLen bytes from password and salt with argon2id,
// time passes over memory KiB in threads lanes. It returns the same bytes as
// golang.org/x/crypto/argon2.IDKey and panics on the same invalid input
// (time or threads below 1). It allocates the memory for this one hash; use
// a Pool to reuse it.
func IDKey(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	return (*Pool)(nil).IDKey(password, salt, time, memory, threads, keyLen)
}

// Key is IDKey for argon2i; it matches golang.org/x/crypto/argon2.Key.
func Key(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	return (*Pool)(nil).Key(password, salt, time, memory, threads, keyLen)
}

// Pool keeps the block memory of finished hashes for the next ones. It holds
// at most the number of buffers given to NewPool, so size it by the number of
// hashes that may run at once: the memory it keeps is then the peak those
// hashes reach anyway, and it keeps it for its lifetime. Like x/crypto, it
// does not wipe the memory of a finished hash; the next hash overwrites it. A
// nil *Pool is valid and keeps nothing. A Pool is safe for concurrent use.
type Pool struct {
	free chan []block
}

// NewPool returns a Pool that keeps up to n buffers.
func NewPool(n int) *Pool {
	return &Pool{free: make(chan []block, n)}
}

// IDKey is the package's IDKey using memory from p.
func (p *Pool) IDKey(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	return p.derive(modeID, password, salt, nil, nil, time, memory, threads, keyLen)
}

// IDKeyYield is IDKey calling yield between the segments of the hash: a
// quarter of a pass over the memory, time·4 - 1 calls per hash, on the
// calling goroutine (with threads > 1, once all lanes have finished the
// segment). A scheduler can use it to let other work run, or wait, between
// segments; the hash is the same. A nil yield costs nothing.
func (p *Pool) IDKeyYield(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32, yield func()) []byte {
	return p.deriveYield(modeID, password, salt, nil, nil, time, memory, threads, keyLen, yield)
}

// Key is the package's Key using memory from p.
func (p *Pool) Key(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	return p.derive(modeI, password, salt, nil, nil, time, memory, threads, keyLen)
}

// get returns n blocks, from the pool when it holds a buffer large enough.
// The blocks are not cleared: every block is written before it is read.
func (p *Pool) get(n int) []block {
	if p != nil {
		select {
		case b := <-p.free:
			if cap(b) >= n {
				return b[:n]
			}
		default:
		}
	}
	return make([]block, n)
}

// put offers b to the pool, dropping it when the pool is full.
func (p *Pool) put(b []block) {
	if p == nil {
		return
	}
	select {
	case p.free <- b:
	default:
	}
}

// derive computes an Argon2 tag of type y (RFC 9106, section 3).
func (p *Pool) derive(y mode, password, salt, secret, data []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	return p.deriveYield(y, password, salt, secret, data, time, memory, threads, keyLen, nil)
}

// deriveYield is derive calling yield, when not nil, between segments.
func (p *Pool) deriveYield(y mode, password, salt, secret, data []byte, time, memory uint32, threads uint8, keyLen uint32, yield func()) []byte {
	if time < 1 {
		panic("argon2x: number of rounds too small")
	}
	if threads < 1 {
		panic("argon2x: parallelism degree too low")
	}
	lanes := uint32(threads)
	h0 := initialHash(y, password, salt, secret, data, time, memory, lanes, keyLen)

	// m' = 4p * floor(m / 4p), at least 2 * 4p blocks (RFC 9106, 3.2 step 5;
	// the minimum is the one x/crypto and the reference implementation use).
	blocks := memory / (syncPoints * lanes) * (syncPoints * lanes)
	if blocks < 2*syncPoints*lanes {
		blocks = 2 * syncPoints * lanes
	}
	laneLen := blocks / lanes
	B := p.get(int(blocks))
	defer p.put(B)

	var in [blake2b.Size + 8]byte
	copy(in[:], h0[:])
	var buf [1024]byte
	for l := uint32(0); l < lanes; l++ {
		binary.LittleEndian.PutUint32(in[blake2b.Size+4:], l)
		for j := uint32(0); j < 2; j++ {
			binary.LittleEndian.PutUint32(in[blake2b.Size:], j)
			hashPrime(buf[:], in[:])
			B[l*laneLen+j].fromBytes(&buf)
		}
	}

	f := filler{B: B, y: y, time: time, blocks: blocks, lanes: lanes, laneLen: laneLen, segLen: laneLen / syncPoints}
	for n := uint32(0); n < time; n++ {
		for s := uint32(0); s < syncPoints; s++ {
			if yield != nil && (n > 0 || s > 0) {
				yield()
			}
			if lanes == 1 {
				f.segment(n, s, 0)
				continue
			}
			var wg sync.WaitGroup
			for l := uint32(0); l < lanes; l++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					f.segment(n, s, l)
				}()
			}
			wg.Wait()
		}
	}

	var c block
	for l := uint32(0); l < lanes; l++ {
		last := &B[l*laneLen+laneLen-1]
		for i := range c {
			c[i] ^= last[i]
		}
	}
	c.toBytes(&buf)
	tag := make([]byte, keyLen)
	hashPrime(tag, buf[:])
	return tag
}

// initialHash is H_0 of RFC 9106, section 3.2 step 1.
func initialHash(y mode, password, salt, secret, data []byte, time, memory, lanes, keyLen uint32) [blake2b.Size]byte {
	h, _ := blake2b.New512(nil)
	var buf [24]byte
	le := binary.LittleEndian
	le.PutUint32(buf[0:], lanes)
	le.PutUint32(buf[4:], keyLen)
	le.PutUint32(buf[8:], memory)
	le.PutUint32(buf[12:], time)
	le.PutUint32(buf[16:], version)
	le.PutUint32(buf[20:], uint32(y))
	h.Write(buf[:])
	for _, b := range [][]byte{password, salt, secret, data} {
		le.PutUint32(buf[:4], uint32(len(b)))
		h.Write(buf[:4])
		h.Write(b)
	}
	var h0 [blake2b.Size]byte
	h.Sum(h0[:0])
	return h0
}

// hashPrime fills out with H' of in, the variable-length hash of RFC 9106,
// section 3.3.
func hashPrime(out, in []byte) {
	var t [4]byte
	binary.LittleEndian.PutUint32(t[:], uint32(len(out)))
	if len(out) <= blake2b.Size {
		h, err := blake2b.New(len(out), nil)
		if err != nil {
			panic("argon2x: " + err.Error())
		}
		h.Write(t[:])
		h.Write(in)
		h.Sum(out[:0])
		return
	}
	h, _ := blake2b.New512(nil)
	h.Write(t[:])
	h.Write(in)
	var v [blake2b.Size]byte
	h.Sum(v[:0])
	copy(out, v[:32])
	out = out[32:]
	for len(out) > blake2b.Size {
		h.Reset()
		h.Write(v[:])
		h.Sum(v[:0])
		copy(out, v[:32])
		out = out[32:]
	}
	last, _ := blake2b.New(len(out), nil)
	last.Write(v[:])
	last.Sum(out[:0])
}

// filler fills the memory of one hash, one segment at a time.
type filler struct {
	B       []block
	y       mode
	time    uint32
	blocks  uint32 // m'
	lanes   uint32
	laneLen uint32
	segLen  uint32
}

// segment computes segment s of lane l in pass n (RFC 9106, 3.4).
func (f *filler) segment(n, s, l uint32) {
	independent := f.y == modeI || (f.y == modeID && n == 0 && s < syncPoints/2)
	var addr, in, zero, tmp block
	if independent {
		in[0] = uint64(n)
		in[1] = uint64(l)
		in[2] = uint64(s)
		in[3] = uint64(f.blocks)
		in[4] = uint64(f.time)
		in[5] = uint64(f.y)
	}
	nextAddresses := func() {
		in[6]++
		compress(&tmp, &zero, &in, false)
		compress(&addr, &zero, &tmp, false)
	}
	start := uint32(0)
	if n == 0 && s == 0 {
		start = 2
		if independent {
			nextAddresses()
		}
	}
	laneStart := l * f.laneLen
	cur := laneStart + s*f.segLen + start
	prev := cur - 1
	if s == 0 && start == 0 {
		prev = laneStart + f.laneLen - 1
	}
	for i := start; i < f.segLen; i++ {
		var rand uint64
		if independent {
			if i%blockWords == 0 {
				nextAddresses()
			}
			rand = addr[i%blockWords]
		} else {
			rand = f.B[prev][0]
		}
		ref := f.refIndex(rand, n, s, l, i)
		compress(&f.B[cur], &f.B[prev], &f.B[ref], n > 0)
		prev = cur
		cur++
	}
}

// refIndex maps the pseudo-random value J1||J2 of block i of segment s of
// lane l in pass n to the index of its reference block (RFC 9106, 3.4.1.1
// and 3.4.2).
func (f *filler) refIndex(rand uint64, n, s, l, i uint32) uint32 {
	refLane := uint32(rand>>32) % f.lanes
	if n == 0 && s == 0 {
		refLane = l
	}
	// The reference set: the finished segments of the pass (or the last
	// three of the lane after the first pass), plus the blocks already
	// computed in this segment when the reference lane is this lane, minus
	// the previous block.
	var area, startPos uint32
	if n == 0 {
		area = s * f.segLen
	} else {
		area = (syncPoints - 1) * f.segLen
		startPos = (s + 1) % syncPoints * f.segLen
	}
	if refLane == l {
		area += i - 1
	} else if i == 0 {
		area--
	}
	x := rand & 0xffffffff
	x = x * x >> 32
	z := uint64(area) - 1 - uint64(area)*x>>32
	return refLane*f.laneLen + uint32((uint64(startPos)+z)%uint64(f.laneLen))
}
