package legacyhash

import (
	"errors"
	"os"
	"testing"
)

// benchPassword is the password of every benchHashes entry; the hashes come
// from libxcrypt, the argon2 reference tool, passlib and hashlib, with the
// parameters common in the wild, and for the formats of genformats.py from
// the same code paths at each framework's default parameters.
const benchPassword = "correct horse battery staple"

var benchHashes = []struct {
	name string
	hash string
}{
	{"bcrypt/cost=10", "$2y$10$abcdefghijklmnopqrstuuGGgFFcYeueaAql8Z7U7CnCTRw4DR77W"},
	{"bcrypt/cost=12", "$2b$12$abcdefghijklmnopqrstuu0sDWleciW5uGBGYwxpcgAsh9WK4bWNy"},
	{"argon2id/m=19MiB,t=2,p=1", "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$gy5SuVm5Z7Vw7keB9se9p87QGcomaseB/S2U1OhTsM0"},
	{"argon2id/m=64MiB,t=2,p=1", "$argon2id$v=19$m=65536,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$zbRUdUw9sz1FaVI3sKQxa+iDT35yIfZSk/ylSOTraP8"},
	{"argon2id/m=64MiB,t=3,p=4", "$argon2id$v=19$m=65536,t=3,p=4$MDEyMzQ1Njc4OWFiY2RlZg$77UfmnZYT23WpPeUKhovauWm5OxRQv9nTf1dJ+tF5EY"},
	{"scrypt/ln=15,r=8,p=1", "$scrypt$ln=15,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$9rcVF+DZ8uU77qz3H/v29+n2g8c877AOCRXSQvC/fs0"},
	{"scrypt/ln=17,r=8,p=1", "$scrypt$ln=17,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$6FprYHTFsXknvwZ92YQBgBBStM5YQLYkqgAq+B0yKwM"},
	{"pbkdf2-sha1/i=131000", "$pbkdf2$131000$4jyn9F4Lwdgbg9D637s3pg$lAElc0YjAbytZL.lz6lui/WUGn0"},
	{"pbkdf2-sha256/i=29000", "$pbkdf2-sha256$29000$/n/vvZeS0pqzVkqJ8R7DuA$Znr6YUFnNYPuSx5UvCaYWlj2pmGFzEA5x2PKFdAuvTQ"},
	{"pbkdf2-sha512/i=25000", "$pbkdf2-sha512$25000$ak2p1XrPWWsNQQhBqPV.Tw$1zm4wET7UbxAndFvJAknAJPu.acrW7uk7b7Kbx/yDk/4kYHGV0BIFluAb4F.gYe.h6q1ICPQBbkGM.DqsnQ.og"},
	{"django-pbkdf2-sha256/i=600000", "pbkdf2_sha256$600000$saltsaltsalt$hOny0j0plGYphFz/Hl9QD2+aRvT1sLhjTu2Jv9QPlEY="},
	{"phpass/2^13", "$P$B12345678uMkEEiNXlW9rq2Nl1y1cs."},
	{"md5-crypt", "$1$saltsalt$BsXyQbZiQujHkdhwPwdol."},
	{"sha256-crypt/rounds=5000", "$5$saltsaltsaltsalt$bPJpWK7vm672W79VQB0m5/jkpFJLCXVgRFgJGTHMelA"},
	{"sha512-crypt/rounds=5000", "$6$saltsaltsaltsalt$csoGsaC3yxEIvMdVpxO2zEQlhCHi/6pnPVKHT3nfribhRDnEOL4O5nnsAETH/r6rG0vxiN/wRElsAf4u8CK4d."},
	{"sha512-crypt/rounds=656000", "$6$rounds=656000$saltsaltsaltsalt$tUAsMGraEqvY0RQAJDXUVEYCHIQ85e/FDJM8ryaMGz/y52Hg586NBE9NbUcaYvpljZG/sRNywhqvdCYCo9axe1"},
	{"django-scrypt/N=2^14,r=8,p=1", "scrypt$16384$saltsaltsaltsaltsalt$8$1$qi5A5ikKN82/IJBB0iRLz3tCSb/1A8aFsMVCeLQCvrlo3iNhktc/iMleII487XCSSynGe+naI9PZtdX1RtpqtA=="},
	{"wordpress-bcrypt/cost=10", "$wp$2y$10$cobnZiNMPvvpSBuR/YR9I.5Ody7GeFKeFBVUURXprFy8IfYywEJRy"},
	{"drupal7/2^15", "$S$DpVVClQlPApsNlODAaZ4rziZIOORG8rKH3u1NarBGD0n.cEcG2q8"},
	{"aspnet-identity/v2", "ADAxMjM0NTY3ODlhYmNkZWbCYhe/Sa/uKi6qRz0IqNG8JfbWmnGJ7WSpzRYyCYOPSg=="},
	{"aspnet-identity/v3,sha256,i=10000", "AQAAAAEAACcQAAAAEDAxMjM0NTY3ODlhYmNkZWZWo4QBStNoCMwPqyH3Um+Ya1sP5g0adc0xt8gPGCPT3g=="},
	{"aspnet-identity/v3,sha512,i=100000", "AQAAAAIAAYagAAAAEDAxMjM0NTY3ODlhYmNkZWYUjU2jeDRmOIQbK0f5D3lXn+vx5YOP/LDo4hqzACNrAQ=="},
	{"firebase-scrypt/rounds=8,mem_cost=14", "$firebase-scrypt$rounds=8,mem_cost=14$c2FsdHNhbHRzYWx0$Bw==$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==$/qpjea+Vsfa7coytvyaGym7rVcTVVyKEcDrUJH8HHmcCu2/pHZNKfSpA6s86649ulBF7KMtN469eKGVy8k+GXw=="},
	{"ldap-salted-sha512", "{SSHA512}UweAzUpvjvE5jz6nWBj9q0BiWPv/iScwpbX/yGA6X/AMM4Vz4l5BHV0nnau4mHhhKbbncQtK3bqI9cz8WqqeP3NhbHRzYWx0"},
	{"ldap-salted-sha1", "{SSHA}46BnfOtjjVkV2IM1YrlQPStNxk5zYWx0c2FsdA=="},
}

func BenchmarkVerify(b *testing.B) {
	pw := []byte(benchPassword)
	for _, bh := range benchHashes {
		hash := []byte(bh.hash)
		b.Run(bh.name, func(b *testing.B) {
			for b.Loop() {
				ok, err := Verify(hash, pw)
				if err != nil || !ok {
					b.Fatalf("Verify(%q) = %v, %v", hash, ok, err)
				}
			}
		})
	}
}

// BenchmarkVerifyRefused measures how fast hostile hashes are turned away.
func BenchmarkVerifyRefused(b *testing.B) {
	pw := []byte(benchPassword)
	for _, bh := range []struct {
		name string
		hash string
		want error
	}{
		{"argon2id/m=4TiB", "$argon2id$v=19$m=4294967295,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$gy5SuVm5Z7Vw7keB9se9p87QGcomaseB/S2U1OhTsM0", ErrTooExpensive},
		{"bcrypt/cost=31", "$2b$31$abcdefghijklmnopqrstuu0sDWleciW5uGBGYwxpcgAsh9WK4bWNy", ErrTooExpensive},
		{"sha512-crypt/rounds=999999999", "$6$rounds=999999999$saltsaltsaltsalt$tUAsMGraEqvY0RQAJDXUVEYCHIQ85e/FDJM8ryaMGz/y52Hg586NBE9NbUcaYvpljZG/sRNywhqvdCYCo9axe1", ErrTooExpensive},
		{"garbage/1KiB", string(make([]byte, MaxHashLen)), ErrUnknownFormat},
		{"garbage/64KiB", string(make([]byte, 64<<10)), ErrUnknownFormat},
	} {
		hash := []byte(bh.hash)
		b.Run(bh.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Verify(hash, pw); !errors.Is(err, bh.want) {
					b.Fatalf("Verify(%q): %v", hash, err)
				}
			}
		})
	}
}

// BenchmarkVerifyAtCaps measures hashes right at the caps, the worst a
// stored hash can cost the host. Each takes seconds, so it runs only when
// LEGACYHASH_BENCH_CAPS=1.
func BenchmarkVerifyAtCaps(b *testing.B) {
	if os.Getenv("LEGACYHASH_BENCH_CAPS") != "1" {
		b.Skip("set LEGACYHASH_BENCH_CAPS=1 to run (seconds per hash, up to 1 GiB of memory)")
	}
	const salt, sum = "MDEyMzQ1Njc4OWFiY2RlZg", "gy5SuVm5Z7Vw7keB9se9p87QGcomaseB/S2U1OhTsM0"
	pw := []byte(benchPassword)
	for _, bh := range []struct{ name, hash string }{
		{"bcrypt/cost=16", "$2b$16$abcdefghijklmnopqrstuu0sDWleciW5uGBGYwxpcgAsh9WK4bWNy"},
		{"argon2id/m=1GiB,t=10,p=4", "$argon2id$v=19$m=1048576,t=10,p=4$" + salt + "$" + sum},
		{"scrypt/ln=20,r=8,p=1", "$scrypt$ln=20,r=8,p=1$" + salt + "$" + sum},
		{"pbkdf2-sha256/i=10000000", "$pbkdf2-sha256$10000000$" + salt + "$" + sum},
		{"sha512-crypt/rounds=10000000", "$6$rounds=10000000$saltsaltsaltsalt$tUAsMGraEqvY0RQAJDXUVEYCHIQ85e/FDJM8ryaMGz/y52Hg586NBE9NbUcaYvpljZG/sRNywhqvdCYCo9axe1"},
		{"phpass/2^24", "$P$M12345678uMkEEiNXlW9rq2Nl1y1cs."},
	} {
		hash := []byte(bh.hash)
		b.Run(bh.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Verify(hash, pw); err != nil {
					b.Fatalf("Verify(%q): %v", hash, err)
				}
			}
		})
	}
}

func BenchmarkDigest(b *testing.B) {
	data := make([]byte, 64)
	for _, algo := range []string{"md5", "sha1", "sha256", "sha384", "sha512", "hmac-sha384:wp-sha384"} {
		b.Run(algo, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Digest(algo, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
