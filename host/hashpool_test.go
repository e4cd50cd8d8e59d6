package host_test

import (
	"context"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/host"
)

// bcrypt12 is a bcrypt hash at cost 12: about 0.2 s of one core.
const bcrypt12 = "$2b$12$abcdefghijklmnopqrstuu0sDWleciW5uGBGYwxpcgAsh9WK4bWNy"

// TestVerifyPasswordRefusesWhatCannotFinish: a hash whose estimated cost
// exceeds the call's remaining time is refused at once with -2, before
// any hashing, and the call's log says why.
func TestVerifyPasswordRefusesWhatCannotFinish(t *testing.T) {
	p := newProbe(t, nil, host.Limits{}, host.Config{}, "")
	ctx, cancel := context.WithTimeout(p.ctx, 50*time.Millisecond)
	defer cancel()
	p.ctx = ctx
	p.write(0, []byte(bcrypt12))
	p.write(1000, []byte("correct horse"))
	start := time.Now()
	if got := p.invoke("verify_password", 0, uint64(len(bcrypt12)), 1000, 13); got != host.StatusTooLarge {
		t.Fatalf("verify_password = %d, want %d", got, host.StatusTooLarge)
	}
	if took := time.Since(start); took > 40*time.Millisecond {
		t.Fatalf("the refusal took %v: the hash ran", took)
	}
	if logs, _ := p.call.Logs(); len(logs) != 1 {
		t.Fatalf("logs %v, want one line saying why", logs)
	}
}
