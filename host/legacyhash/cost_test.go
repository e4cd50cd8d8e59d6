package legacyhash

import (
	"context"
	"encoding/base64"
	"encoding/binary"
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
	{"Django 4+ ScryptPasswordHasher, N=2^14 r=8 p=1", "scrypt$16384$saltsaltsalt$8$1$" + costSum32 + costSum32},
	{"WordPress 6.8 $wp$, bcrypt cost 10", "$wp$2y$10$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu"},
	{"WordPress 6.8 $wp$, bcrypt cost 12 (PHP 8.4)", "$wp$2y$12$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu"},
	{"Drupal 7, 2^15", "$S$DpVVClQlPApsNlODAaZ4rziZIOORG8rKH3u1NarBGD0n.cEcG2q8"},
	{"ASP.NET Identity v2, PBKDF2-SHA1 1000", aspnetBlob(0, 0, 1000, 16, 32)},
	{"ASP.NET Core Identity v3, PBKDF2-SHA256 10,000", aspnetBlob(1, 1, 10000, 16, 32)},
	{"ASP.NET Core 7+ Identity v3, PBKDF2-SHA512 100,000", aspnetBlob(1, 2, 100000, 16, 32)},
	{"Firebase scrypt, rounds=8 mem_cost=14", "$firebase-scrypt$rounds=8,mem_cost=14$" + costSalt16 + "$Bw==$" + costSum32 + costSum32 + "$" + costSum32 + costSum32},
	{"OpenLDAP {SSHA512}", "{SSHA512}UweAzUpvjvE5jz6nWBj9q0BiWPv/iScwpbX/yGA6X/AMM4Vz4l5BHV0nnau4mHhhKbbncQtK3bqI9cz8WqqeP3NhbHRzYWx0"},
}

// aspnetBlob returns an ASP.NET Identity hash with the given header (v2
// when version is 0) and zero salt and subkey.
func aspnetBlob(version byte, prf, iter, saltLen, subkeyLen uint32) string {
	b := []byte{version}
	if version == 1 {
		b = binary.BigEndian.AppendUint32(b, prf)
		b = binary.BigEndian.AppendUint32(b, iter)
		b = binary.BigEndian.AppendUint32(b, saltLen)
	}
	b = append(b, make([]byte, saltLen+subkeyLen)...)
	return base64.StdEncoding.EncodeToString(b)
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
