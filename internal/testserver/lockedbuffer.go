package testserver

import (
	"bytes"
	"sync"
)

// LockedBuffer is a bytes.Buffer safe for a writer goroutine (a process's
// stderr, a log sink) and the test reading it.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
