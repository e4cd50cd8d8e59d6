package scripts

import (
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/runtime"
)

func TestEngineLimits(t *testing.T) {
	base := runtime.DefaultMaxLimits()
	got := EngineLimits(auth.Limits{TimeoutMS: 30_000, MemoryMB: 512, Instances: 8}, base)
	if got.Timeout != 30*time.Second || got.Memory != 512<<20 || got.Instances != 8 {
		t.Fatalf("set fields: %+v", got)
	}
	if got.Fuel != base.Fuel || got.MaxQueries != base.MaxQueries || got.MaxRows != base.MaxRows || got.MaxOutput != base.MaxOutput {
		t.Fatalf("zero fields must keep the base: %+v", got)
	}
	if EngineLimits(auth.Limits{}, base) != base {
		t.Fatal("no limits must change nothing")
	}
}
