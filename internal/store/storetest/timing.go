package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// testLoginTiming checks that a tenant's login timing is stored whole,
// replaced, kept apart from other tenants' and dropped with its tenant.
func testLoginTiming(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	mustTenant(t, s, "acme")
	mustTenant(t, s, "other")

	if _, err := s.GetLoginTiming(ctx, "acme"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("GetLoginTiming before any Put: %v, want ErrNotFound", err)
	}
	if err := s.PutLoginTiming(ctx, "ghost", &auth.LoginTiming{}); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("PutLoginTiming of an unknown tenant: %v, want ErrNotFound", err)
	}
	first := &auth.LoginTiming{
		Local: []auth.TimingBin{{Upper: 31 * time.Millisecond, Hits: 12, Last: at(1)}},
		Legacy: []auth.TimingBin{
			{Upper: 2 * time.Millisecond, Hits: 40, Last: at(2)},
			{Upper: 63*time.Millisecond + 417, Hits: 3, Last: at(3)},
		},
	}
	if err := s.PutLoginTiming(ctx, "acme", first); err != nil {
		t.Fatalf("PutLoginTiming: %v", err)
	}
	if got, err := s.GetLoginTiming(ctx, "acme"); err != nil || !sameTiming(got, first) {
		t.Fatalf("GetLoginTiming = %+v, %v; want %+v", got, err, first)
	}
	if _, err := s.GetLoginTiming(ctx, "other"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("another tenant's login timing: %v, want ErrNotFound", err)
	}

	second := &auth.LoginTiming{Local: []auth.TimingBin{{Upper: 40 * time.Millisecond, Hits: 1, Last: at(4)}}}
	if err := s.PutLoginTiming(ctx, "acme", second); err != nil {
		t.Fatalf("PutLoginTiming again: %v", err)
	}
	if got, err := s.GetLoginTiming(ctx, "acme"); err != nil || !sameTiming(got, second) {
		t.Fatalf("GetLoginTiming after a replace = %+v, %v; want %+v", got, err, second)
	}

	if err := s.DeleteTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	mustTenant(t, s, "acme")
	if _, err := s.GetLoginTiming(ctx, "acme"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("login timing outlived its tenant: %v", err)
	}
}

// sameTiming compares two login timings, bin times by instant.
func sameTiming(a, b *auth.LoginTiming) bool {
	norm := func(bins []auth.TimingBin) []auth.TimingBin {
		out := make([]auth.TimingBin, len(bins))
		for i, x := range bins {
			out[i] = auth.TimingBin{Upper: x.Upper, Hits: x.Hits, Last: x.Last.UTC()}
		}
		return out
	}
	return reflect.DeepEqual(norm(a.Local), norm(b.Local)) && reflect.DeepEqual(norm(a.Legacy), norm(b.Legacy))
}
