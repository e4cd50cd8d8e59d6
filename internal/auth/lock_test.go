package auth

import (
	"runtime"
	"testing"
)

// refsOf returns how many callers hold or wait for key's lock.
func refsOf(s *Service, key string) int {
	s.migratingMu.Lock()
	defer s.migratingMu.Unlock()
	if l := s.migrating[key]; l != nil {
		return l.refs
	}
	return 0
}

// TestLockLegacyID: the per-legacy-id lock serialises the holders of one
// key, leaves other keys free, and forgets a key nobody holds.
func TestLockLegacyID(t *testing.T) {
	s := &Service{migrating: map[string]*keyLock{}}
	const a, b = "acme\x007", "acme\x008"
	unlockA := s.lockLegacyID(a)

	got := make(chan func())
	go func() { got <- s.lockLegacyID(a) }()
	// Once the second caller holds a reference it is at, or past, the
	// mutex, which the first still holds: it cannot have the lock.
	for refsOf(s, a) != 2 {
		runtime.Gosched()
	}
	select {
	case <-got:
		t.Fatal("two callers hold the lock of one legacy id")
	default:
	}

	// Another legacy id is not held up (this would deadlock otherwise).
	s.lockLegacyID(b)()

	unlockA()
	unlockA2 := <-got
	if n := refsOf(s, a); n != 1 {
		t.Fatalf("%d references while one caller holds the lock", n)
	}
	unlockA2()
	s.migratingMu.Lock()
	n := len(s.migrating)
	s.migratingMu.Unlock()
	if n != 0 {
		t.Fatalf("%d keys left after every release, want 0", n)
	}
}
