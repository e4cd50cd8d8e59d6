package badgerstore

import (
	"errors"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Past its limit the memory refuses new requests until expired ones are
// swept.
func TestPendingLimit(t *testing.T) {
	p := newPendingRequests()
	p.limit = 2
	now := time.Now()
	add := func(id string, ttl time.Duration) error {
		return p.add("t", &authRequestRecord{ID: id, ExpiresAt: now.Add(ttl)}, now)
	}
	if err := add("short", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := add("long", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := add("third", time.Hour); !errors.Is(err, auth.ErrUnavailable) {
		t.Fatalf("a request past the limit: %v, want ErrUnavailable", err)
	}
	now = now.Add(time.Second)
	if err := add("fourth", time.Hour); err != nil {
		t.Fatalf("a request once one expired: %v", err)
	}
	if err := add("fifth", time.Hour); !errors.Is(err, auth.ErrUnavailable) {
		t.Fatalf("a request past the limit again: %v, want ErrUnavailable", err)
	}
}
