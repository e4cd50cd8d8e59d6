package legacyhash

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

const (
	costSalt16 = "c29tZXNhbHRzb21lc2FsdA"                      // 16 bytes
	costSum32  = "E2UjtrDTCgIx4mfpqQ9GwLzvabuQuVCcwisqBRbSI+4" // 32 bytes
)

// frameworkDefaults are the parameters frameworks write today; each must be
// within the caps.
var frameworkDefaults = []struct {
	name string
	hash string
}{
	{"Django 5.2 PBKDF2-SHA256, 1,000,000 iterations", "pbkdf2_sha256$1000000$saltsaltsalt$" + costSum32 + "="},
	{"Django Argon2PasswordHasher, m=100 MiB t=2 p=8", "argon2$argon2id$v=19$m=102400,t=2,p=8$" + costSalt16 + "$" + costSum32},
	{"PHP PASSWORD_ARGON2ID, m=64 MiB t=4 p=1", "$argon2id$v=19$m=65536,t=4,p=1$" + costSalt16 + "$" + costSum32},
	{"RFC 9106 second choice, m=64 MiB t=3 p=4", "$argon2id$v=19$m=65536,t=3,p=4$" + costSalt16 + "$" + costSum32},
	{"bcrypt cost 12 (PHP 8.4, Laravel)", "$2y$12$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu"},
	{"bcrypt cost 13", "$2b$13$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu"},
	{"bcrypt cost 14", "$2b$14$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu"},
	{"passlib scrypt, ln=16 r=8 p=1", "$scrypt$ln=16,r=8,p=1$" + costSalt16 + "$" + costSum32},
	{"scrypt ln=18 r=8 p=1 (256 MiB)", "$scrypt$ln=18,r=8,p=1$" + costSalt16 + "$" + costSum32},
	{"Keycloak PBKDF2-SHA512, 210,000 iterations", "$pbkdf2-sha512$210000$" + costSalt16 + "$" + costSum32},
	{"passlib sha512_crypt, 656,000 rounds", "$6$rounds=656000$saltsaltsaltsalt$" + strings.Repeat("a", 86)},
	{"WordPress phpass, 2^13", "$P$B12345678qjXMvbEw8oaL.CzflDtaK/"},
}

// TestFrameworkDefaultsFit: the parameters frameworks use by default are
// estimated well within the caps; a password of 64 bytes does not change
// that.
func TestFrameworkDefaultsFit(t *testing.T) {
	for _, fd := range frameworkDefaults {
		for _, pw := range []string{"pw", strings.Repeat("p", 64)} {
			c, err := Estimate([]byte(fd.hash), []byte(pw))
			if err != nil {
				t.Errorf("%s, %d-byte password: %v", fd.name, len(pw), err)
				continue
			}
			if c.Time <= 0 || c.Time > MaxTime || c.Memory > MaxMemory {
				t.Errorf("%s: estimated %+v", fd.name, c)
			}
			t.Logf("%-50s %3d-byte password: %8v, %4d MiB", fd.name, len(pw), c.Time.Round(time.Millisecond), c.Memory>>20)
		}
	}
}

// TestEstimateRefuses: Estimate gives the errors Verify gives before work.
func TestEstimateRefuses(t *testing.T) {
	for hash, want := range map[string]error{
		"$argon2id$v=19$m=1048576,t=10,p=1$" + costSalt16 + "$" + costSum32: ErrTooExpensive,
		"$2b$15$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu":      ErrTooExpensive,
		"password": ErrUnknownFormat,
	} {
		if _, err := Estimate([]byte(hash), []byte("pw")); !errors.Is(err, want) {
			t.Errorf("Estimate(%q): %v, want %v", hash, err, want)
		}
	}
}

// TestVerifyContextStops: the interruptible schemes stop soon after their
// context ends, with its error.
func TestVerifyContextStops(t *testing.T) {
	for _, hash := range []string{
		"$pbkdf2-sha256$9000000$" + costSalt16 + "$" + costSum32,
		"$6$rounds=3000000$saltsaltsaltsalt$" + strings.Repeat("a", 86),
		"$P$J12345678qjXMvbEw8oaL.CzflDtaK/", // 2^21
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		start := time.Now()
		ok, err := VerifyContext(ctx, []byte(hash), []byte("pw"))
		cancel()
		if ok || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("VerifyContext(%q) = %v, %v; want the context's error", hash, ok, err)
		}
		if took := time.Since(start); took > 500*time.Millisecond {
			t.Errorf("VerifyContext(%q) went on for %v after its context ended", hash, took)
		}
	}
}

// BenchmarkUnitCost measures each scheme at parameters common in the wild
// and reports the measured time against Estimate's (est-ratio near 1 means
// the unit costs in cost.go hold on this machine). Run it alone on an idle
// machine to recalibrate:
//
//	go test -run '^$' -bench UnitCost -benchtime 3x ./host/legacyhash/
func BenchmarkUnitCost(b *testing.B) {
	pw := []byte(benchPassword)
	for _, bh := range benchHashes {
		hash := []byte(bh.hash)
		b.Run(bh.name, func(b *testing.B) {
			c, err := Estimate(hash, pw)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if ok, err := Verify(hash, pw); err != nil || !ok {
					b.Fatalf("Verify(%q) = %v, %v", hash, ok, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(c.Time), "est-ratio")
		})
	}
}
