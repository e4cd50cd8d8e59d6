package legacyhash

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// fuzzLimits are caps small enough that any hash the fuzzer builds is
// verified in milliseconds; a hash that escaped its cap check would stall
// the fuzzer instead.
func fuzzLimits() *limits {
	return &limits{maxTime: 2 * time.Millisecond, maxMemory: 256 << 10, argon2Threads: 4}
}

func FuzzVerify(f *testing.F) {
	for _, v := range slices.Concat(knownAnswers, formatAnswers) {
		f.Add([]byte(v.hash), []byte(v.password))
	}
	f.Add([]byte("$5$rounds=10$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"), []byte("the minimum number is still observed"))
	f.Add([]byte("$argon2id$v=19$m=99999999999999999999999,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA"), []byte("x"))
	f.Add([]byte("$scrypt$ln=200,r=8,p=1$$AAAAAAAAAAAAAAAAAAAAAA"), []byte("x"))
	f.Add([]byte("pbkdf2_sha256$1$$"), []byte{0})
	f.Add([]byte("$firebase-scrypt$rounds=8,mem_cost=62$AA$Bw==$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"), []byte("x"))
	f.Add([]byte("scrypt$4$s$1$1$AAAAAAAAAAAAAAAAAAAAAA"), []byte("x"))
	f.Add([]byte("AQAAAAIAAAPoAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), []byte("x"))
	f.Add([]byte("{ssha}AAAAAAAAAAAAAAAAAAAAAAAAAAAA"), []byte("x"))
	f.Add([]byte("{CRYPT}$6$rounds=1000$s$"), []byte("x"))
	f.Add([]byte("U$S$7aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), []byte("x"))
	l := fuzzLimits()
	f.Fuzz(func(t *testing.T, hash, password []byte) {
		ok, err := l.verify(hash, password)
		switch {
		case err == nil:
		case errors.Is(err, ErrUnknownFormat), errors.Is(err, ErrTooExpensive):
			if ok {
				t.Fatalf("verify(%q) = true with error %v", hash, err)
			}
		default:
			t.Fatalf("verify(%q): unexpected error %v", hash, err)
		}
		if m := Memory(hash); m < 0 || m > MaxMemory {
			t.Fatalf("Memory(%q) = %d, outside the caps", hash, m)
		}
		if Format(hash) == "" && !errors.Is(err, ErrUnknownFormat) {
			t.Fatalf("Format(%q) is empty but verify gave %v, %v", hash, ok, err)
		}
	})
}
