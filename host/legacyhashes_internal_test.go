package host

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/wasmauth/wasmauth/host/legacyhash"
)

// TestLegacyHashesVerify checks the server's own verification of legacy
// hashes: the formats and caps of verify_password, in its pool.
func TestLegacyHashesVerify(t *testing.T) {
	h := NewLegacyHashes(Config{LegacyHashes: 2})
	hash, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Check(hash); err != nil {
		t.Fatalf("Check(bcrypt) = %v", err)
	}
	if err := h.Check([]byte("plain:secret")); err == nil || errors.Is(err, legacyhash.ErrTooExpensive) {
		t.Fatalf("Check(an unknown format) = %v", err)
	}
	if err := h.Check([]byte("$2a$31$" + string(hash[7:]))); !errors.Is(err, legacyhash.ErrTooExpensive) {
		t.Fatalf("Check(bcrypt cost 31) = %v, want ErrTooExpensive", err)
	}
	ctx := context.Background()
	if ok, err := h.Verify(ctx, "acme", hash, []byte("secret")); !ok || err != nil {
		t.Fatalf("Verify(right password) = %v, %v", ok, err)
	}
	if ok, err := h.Verify(ctx, "acme", hash, []byte("wrong")); ok || err != nil {
		t.Fatalf("Verify(wrong password) = %v, %v", ok, err)
	}

	// The tenant's share of the pool (one of two slots) is taken, by a
	// guest's verify_password say: the server's check waits for it too.
	release, err := h.pool.acquire(ctx, "acme", legacyhash.Cost{})
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := h.Verify(short, "acme", hash, []byte("secret")); err == nil {
		t.Fatal("Verify ran beyond the tenant's share of the pool")
	}
	if ok, err := h.Verify(ctx, "other", hash, []byte("secret")); !ok || err != nil {
		t.Fatalf("another tenant's Verify = %v, %v", ok, err)
	}
	release()
	if ok, err := h.Verify(ctx, "acme", hash, []byte("secret")); !ok || err != nil {
		t.Fatalf("Verify after the release = %v, %v", ok, err)
	}
}
