package runtime

import (
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

// memoryLimit is the bound of one instance's linear memory. memory.grow past
// it fails (the guest sees -1) instead of growing to the engine-wide maximum
// and being refused only after the call, so an instance never holds more
// than its tenant's limit. Call sets it before each call, as a tenant's
// limit may change between calls.
type memoryLimit struct {
	bytes   atomic.Int64
	refused atomic.Bool // a growth was refused since the last reset
}

// allocator returns a wazero memory allocator bounded by l.
func (l *memoryLimit) allocator() experimental.MemoryAllocator {
	return experimental.MemoryAllocatorFunc(func(capacity, maxBytes uint64) experimental.LinearMemory {
		return &linearMemory{limit: l, max: maxBytes, hint: capacity}
	})
}

// linearMemory is a linear memory that grows within its limit.
type linearMemory struct {
	buf   []byte
	limit *memoryLimit
	max   uint64 // the memory's own maximum, in bytes
	hint  uint64 // the suggested initial capacity
}

// Reallocate implements experimental.LinearMemory. The first allocation (the
// module's initial memory, checked against the limit before instantiating)
// always succeeds: wazero cannot handle its failure.
func (m *linearMemory) Reallocate(size uint64) []byte {
	limit := uint64(max(m.limit.bytes.Load(), 0))
	if m.buf != nil && size > limit {
		m.limit.refused.Store(true)
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	// Grow geometrically, within the limit and the memory's maximum, so
	// that a guest growing page by page does not copy its memory each time.
	capacity := max(size, min(2*uint64(cap(m.buf)), limit, m.max), min(m.hint, limit))
	buf := make([]byte, size, capacity)
	copy(buf, m.buf)
	m.buf = buf
	return m.buf
}

// Free implements experimental.LinearMemory.
func (m *linearMemory) Free() { m.buf = nil }
