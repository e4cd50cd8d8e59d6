package legacyhash

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// knownAnswer is a hash and the password it was made from.
type knownAnswer struct {
	source   string
	password string
	hash     string
}

// wrongPassword returns a password that differs from p: one byte longer,
// or for 72 bytes and more, which bcrypt does not read past, with its first
// byte changed. (Changing a byte is not enough in general: "$2x$" hashes
// collide for passwords differing in a byte before one with the high bit.)
func wrongPassword(p string) string {
	if len(p) < 72 {
		return p + "x"
	}
	return string(p[0]^1) + p[1:]
}

func TestVerifyKnownAnswers(t *testing.T) {
	for i, v := range slices.Concat(knownAnswers, formatAnswers) {
		t.Run(fmt.Sprintf("%s/%d/%s", Format([]byte(v.hash)), i, v.source), func(t *testing.T) {
			t.Parallel()
			ok, err := Verify([]byte(v.hash), []byte(v.password))
			if err != nil || !ok {
				t.Fatalf("Verify(%q, %q) = %v, %v; want true, nil", v.hash, v.password, ok, err)
			}
			wrong := wrongPassword(v.password)
			ok, err = Verify([]byte(v.hash), []byte(wrong))
			if err != nil || ok {
				t.Fatalf("Verify(%q, %q) = %v, %v; want false, nil", v.hash, wrong, ok, err)
			}
		})
	}
}

func TestVerifyNonASCIIPasswordsAreBytes(t *testing.T) {
	// The same password in NFC and NFD: legacy stores hashed the bytes as
	// typed, so only the exact bytes match.
	const hash = "$1$a/b.C9$" // completed below from the known answers
	var h, pw string
	for _, v := range knownAnswers {
		if strings.HasPrefix(v.hash, hash) {
			h, pw = v.hash, v.password
		}
	}
	if h == "" {
		t.Fatal("vector missing from knownAnswers")
	}
	if ok, err := Verify([]byte(h), []byte(pw)); !ok || err != nil {
		t.Fatalf("NFC password: got %v, %v", ok, err)
	}
	nfd := strings.NewReplacer("\u00e4", "a\u0308", "\u00f6", "o\u0308").Replace(pw)
	if ok, err := Verify([]byte(h), []byte(nfd)); ok || err != nil {
		t.Fatalf("NFD password: got %v, %v; want false, nil", ok, err)
	}
}

func TestVerifyBcryptReadsOnly72Bytes(t *testing.T) {
	var h, pw string
	for _, v := range knownAnswers {
		if len(v.password) == 72 && strings.HasPrefix(v.hash, "$2b$") {
			h, pw = v.hash, v.password
		}
	}
	if h == "" {
		t.Fatal("72-byte bcrypt vector missing from knownAnswers")
	}
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"exactly 72 bytes", pw, true},
		{"more bytes after 72", pw + "anything", true},
		{"64 KiB", pw + strings.Repeat("z", 64<<10), true},
		{"71 bytes", pw[:71], false},
		{"72nd byte changed", pw[:71] + "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := Verify([]byte(h), []byte(tt.password))
			if err != nil || ok != tt.want {
				t.Fatalf("got %v, %v; want %v, nil", ok, err, tt.want)
			}
		})
	}
}

func TestVerifyNULInPassword(t *testing.T) {
	// Hashes of "password"; C crypt(3) would have stopped at the NUL, so a
	// password with one never matches the crypt(3) schemes.
	find := func(prefix string) string {
		for _, v := range knownAnswers {
			if v.password == "password" && strings.HasPrefix(v.hash, prefix) {
				return v.hash
			}
		}
		t.Fatalf("no vector of %q for %q", prefix, "password")
		return ""
	}
	for _, prefix := range []string{"$2b$", "$1$", "$5$", "$6$"} {
		t.Run(prefix, func(t *testing.T) {
			h := []byte(find(prefix))
			for _, pw := range []string{"password\x00", "password\x00tail", "\x00password"} {
				ok, err := Verify(h, []byte(pw))
				if err != nil || ok {
					t.Fatalf("Verify(%q, %q) = %v, %v; want false, nil", h, pw, ok, err)
				}
			}
		})
	}
}

func TestVerifyTooExpensive(t *testing.T) {
	const (
		salt16 = "c29tZXNhbHRzb21lc2FsdA"                      // 16 bytes
		sum32  = "E2UjtrDTCgIx4mfpqQ9GwLzvabuQuVCcwisqBRbSI+4" // 32 bytes
		crypt  = "qjXMvbEw8oaL.CzflDtaK/"                      // 22 characters
	)
	sha256Sum := strings.Repeat("a", 43)
	sha512Sum := strings.Repeat("a", 86)
	tests := []struct {
		name     string
		hash     string
		password string
	}{
		{"bcrypt cost 17", "$2b$17$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu", "pw"},
		{"bcrypt cost 31", "$2y$31$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu", "pw"},
		{"bcrypt cost 99", "$2a$99$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu", "pw"},
		{"argon2id memory 1 GiB + 1 KiB", "$argon2id$v=19$m=1048577,t=1,p=1$" + salt16 + "$" + sum32, "pw"},
		{"argon2id memory 4 TiB", "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt16 + "$" + sum32, "pw"},
		{"argon2id memory overflowing", "$argon2id$v=19$m=99999999999999999999999,t=1,p=1$" + salt16 + "$" + sum32, "pw"},
		{"argon2i 64 MiB, t 28", "$argon2i$v=19$m=65536,t=28,p=1$" + salt16 + "$" + sum32, "pw"},
		{"argon2id 1 GiB, t 10", "$argon2id$v=19$m=1048576,t=10,p=1$" + salt16 + "$" + sum32, "pw"},
		{"argon2id 257 MiB + 1 KiB, t 1", "$argon2id$v=19$m=263169,t=1,p=1$" + salt16 + "$" + sum32, "pw"},
		{"argon2id t 4 billion", "$argon2id$v=19$m=65536,t=4294967295,p=1$" + salt16 + "$" + sum32, "pw"},
		{"argon2id p 65", "$argon2id$v=19$m=65536,t=1,p=65$" + salt16 + "$" + sum32, "pw"},
		{"scrypt N 2^23", "$scrypt$ln=23,r=1,p=1$" + salt16 + "$" + sum32, "pw"},
		{"scrypt memory over 256 MiB", "$scrypt$ln=19,r=8,p=1$" + salt16 + "$" + sum32, "pw"},
		{"scrypt N 2^62", "$scrypt$ln=62,r=8,p=1$" + salt16 + "$" + sum32, "pw"},
		{"scrypt N 2^200", "$scrypt$ln=200,r=8,p=1$" + salt16 + "$" + sum32, "pw"},
		{"scrypt memory over 1 GiB", "$scrypt$ln=20,r=9,p=1$" + salt16 + "$" + sum32, "pw"},
		{"scrypt r huge", "$scrypt$ln=1,r=4294967296,p=1$" + salt16 + "$" + sum32, "pw"},
		{"scrypt p huge", "$scrypt$ln=10,r=8,p=1073741824$" + salt16 + "$" + sum32, "pw"},
		{"scrypt work N·r·p", "$scrypt$ln=20,r=8,p=2$" + salt16 + "$" + sum32, "pw"},
		{"pbkdf2-sha256 10,000,001", "$pbkdf2-sha256$10000001$" + salt16 + "$" + sum32, "pw"},
		{"pbkdf2-sha1 two blocks", "$pbkdf2$6000000$" + salt16 + "$" + sum32, "pw"},
		{"pbkdf2 PHC form", "$pbkdf2-sha512$i=4294967296,l=32$" + salt16 + "$" + sum32, "pw"},
		{"django pbkdf2", "pbkdf2_sha256$18446744073709551616$salt$" + sum32 + "=", "pw"},
		{"phpass 2^25", "$P$N12345678" + crypt, "pw"},
		{"phpass 2^30", "$H$S12345678" + crypt, "pw"},
		{"phpass long password", "$P$M12345678" + crypt, strings.Repeat("p", 64)},
		{"sha256-crypt 30,000,000 rounds", "$5$rounds=30000000$salt$" + sha256Sum, "pw"},
		{"sha512-crypt 8,000,000 rounds", "$6$rounds=8000000$salt$" + sha512Sum, "pw"},
		{"bcrypt cost 15", "$2b$15$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu", "pw"},
		{"pbkdf2-sha512 3,100,000", "$pbkdf2-sha512$3100000$" + salt16 + "$" + sum32, "pw"},
		{"sha512-crypt 999,999,999 rounds", "$6$rounds=999999999$salt$" + sha512Sum, "pw"},
		{"sha512-crypt rounds overflowing", "$6$rounds=123456789012345678901234567890$salt$" + sha512Sum, "pw"},
		{"sha512-crypt max rounds, long password", "$6$rounds=10000000$salt$" + sha512Sum, strings.Repeat("p", 100)},
		{"sha256-crypt 64 KiB password", "$5$salt$" + sha256Sum, strings.Repeat("p", 64<<10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := Verify([]byte(tt.hash), []byte(tt.password))
			if !errors.Is(err, ErrTooExpensive) || ok {
				t.Fatalf("Verify(%q) = %v, %v; want false, ErrTooExpensive", tt.hash, ok, err)
			}
		})
	}
}

func TestVerifyUnknownFormat(t *testing.T) {
	const (
		salt16 = "c29tZXNhbHRzb21lc2FsdA"
		sum32  = "E2UjtrDTCgIx4mfpqQ9GwLzvabuQuVCcwisqBRbSI+4"
		bc     = "$2b$05$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu"
		crypt  = "qjXMvbEw8oaL.CzflDtaK/"
	)
	sha256Sum := strings.Repeat("a", 43)
	tests := []struct {
		name string
		hash string
	}{
		{"empty", ""},
		{"dollar", "$"},
		{"plain text", "password"},
		{"hex md5", "5f4dcc3b5aa765d61d8327deb882cf99"},
		{"too long", "$2b$05$" + strings.Repeat("a", MaxHashLen)},
		{"argon2d", "$argon2d$v=19$m=65536,t=1,p=1$" + salt16 + "$" + sum32},
		{"md5 sun", "$md5$rounds=1000$salt$hash"},

		{"bcrypt prefix only", "$2b$"},
		{"bcrypt truncated", bc[:59]},
		{"bcrypt extended", bc + "a"},
		{"bcrypt $2c$", "$2c$" + bc[4:]},
		{"bcrypt $2$", "$2$05$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu"},
		{"bcrypt cost letters", "$2b$ab" + bc[6:]},
		{"bcrypt cost 3", "$2b$03" + bc[6:]},
		{"bcrypt cost missing dollar", "$2b$05x" + bc[7:]},
		{"bcrypt bad character", bc[:20] + "!" + bc[21:]},
		{"bcrypt base64 plus", bc[:20] + "+" + bc[21:]},

		{"argon2 version 16", "$argon2i$v=16$m=1024,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Retf8uWakA+5eEH7bIIS6QEMqK5CJ7GrT6BT3TLbeOQ"},
		{"argon2 no version", "$argon2i$m=1024,t=2,p=1$" + salt16 + "$" + sum32},
		{"argon2 version 20", "$argon2id$v=20$m=1024,t=2,p=1$" + salt16 + "$" + sum32},
		{"argon2 missing p", "$argon2id$v=19$m=1024,t=2$" + salt16 + "$" + sum32},
		{"argon2 duplicate m", "$argon2id$v=19$m=1024,m=1024,p=1$" + salt16 + "$" + sum32},
		{"argon2 unknown param", "$argon2id$v=19$m=1024,t=2,p=1,x=1$" + salt16 + "$" + sum32},
		{"argon2 keyid", "$argon2id$v=19$m=1024,t=2,p=1,keyid=AAAA$" + salt16 + "$" + sum32},
		{"argon2 negative", "$argon2id$v=19$m=-1024,t=2,p=1$" + salt16 + "$" + sum32},
		{"argon2 empty value", "$argon2id$v=19$m=,t=2,p=1$" + salt16 + "$" + sum32},
		{"argon2 memory under 8p", "$argon2id$v=19$m=31,t=1,p=4$" + salt16 + "$" + sum32},
		{"argon2 t 0", "$argon2id$v=19$m=1024,t=0,p=1$" + salt16 + "$" + sum32},
		{"argon2 p 0", "$argon2id$v=19$m=1024,t=1,p=0$" + salt16 + "$" + sum32},
		{"argon2 p 2^24", "$argon2id$v=19$m=4294967295,t=1,p=16777216$" + salt16 + "$" + sum32},
		{"argon2 salt under 8 bytes", "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$" + sum32},
		{"argon2 empty salt", "$argon2id$v=19$m=1024,t=1,p=1$$" + sum32},
		{"argon2 empty hash", "$argon2id$v=19$m=1024,t=1,p=1$" + salt16 + "$"},
		{"argon2 hash 12 bytes", "$argon2id$v=19$m=1024,t=1,p=1$" + salt16 + "$AAAAAAAAAAAAAAAA"},
		{"argon2 bad base64", "$argon2id$v=19$m=1024,t=1,p=1$" + salt16 + "$" + sum32[:10] + "*" + sum32[11:]},
		{"argon2 base64 line break", "$argon2id$v=19$m=1024,t=1,p=1$" + salt16 + "$" + sum32[:10] + "\n" + sum32[10:]},
		{"argon2 base64 length", "$argon2id$v=19$m=1024,t=1,p=1$" + salt16 + "$" + sum32 + "AA"},
		{"argon2 three padding characters", "$argon2id$v=19$m=1024,t=1,p=1$" + salt16 + "$" + sum32 + "==="},
		{"argon2 padding not completing a quantum", "$argon2id$v=19$m=1024,t=1,p=1$" + salt16 + "$" + sum32 + "=="},
		{"argon2 padding only", "$argon2id$v=19$m=1024,t=1,p=1$" + salt16 + "$===="},
		{"argon2 extra field", "$argon2id$v=19$m=1024,t=1,p=1$" + salt16 + "$" + sum32 + "$"},
		{"argon2 truncated", "$argon2id$v=19$m=1024,t=1,p=1$" + salt16},

		{"scrypt ln 0", "$scrypt$ln=0,r=8,p=1$" + salt16 + "$" + sum32},
		{"scrypt r 0", "$scrypt$ln=4,r=0,p=1$" + salt16 + "$" + sum32},
		{"scrypt p 0", "$scrypt$ln=4,r=8,p=0$" + salt16 + "$" + sum32},
		{"scrypt N instead of ln", "$scrypt$N=16,r=8,p=1$" + salt16 + "$" + sum32},
		{"scrypt short hash", "$scrypt$ln=4,r=8,p=1$" + salt16 + "$AAAA"},
		{"scrypt missing hash", "$scrypt$ln=4,r=8,p=1$" + salt16},

		{"pbkdf2 sha384", "$pbkdf2-sha384$1000$" + salt16 + "$" + sum32},
		{"pbkdf2 rounds letters", "$pbkdf2-sha256$10a0$" + salt16 + "$" + sum32},
		{"pbkdf2 rounds signed", "$pbkdf2-sha256$+1000$" + salt16 + "$" + sum32},
		{"pbkdf2 rounds 0", "$pbkdf2-sha256$0$" + salt16 + "$" + sum32},
		{"pbkdf2 i= length mismatch", "$pbkdf2-sha256$i=1000,l=16$" + salt16 + "$" + sum32},
		{"pbkdf2 i= unknown param", "$pbkdf2-sha256$i=1000,x=16$" + salt16 + "$" + sum32},
		{"pbkdf2 short hash", "$pbkdf2-sha256$1000$" + salt16 + "$AAAAAAAA"},
		{"pbkdf2 missing field", "$pbkdf2-sha256$1000$" + sum32},

		{"django wrong length", "pbkdf2_sha256$1000$salt$" + salt16 + "=="},
		{"django empty salt", "pbkdf2_sha256$1000$$" + sum32 + "="},
		{"django rounds letters", "pbkdf2_sha256$x$salt$" + sum32 + "="},
		{"django missing field", "pbkdf2_sha256$1000$" + sum32 + "="},
		{"django extra field", "pbkdf2_sha256$1000$salt$" + sum32 + "=$"},
		{"django bcrypt bad", "bcrypt$$2b$05$short"},
		{"django argon2 bad", "argon2$argon2id$v=19$m=1024"},

		{"phpass truncated", "$P$912345678" + crypt[:21]},
		{"phpass extended", "$P$912345678" + crypt + "a"},
		{"phpass count below 2^7", "$P$412345678" + crypt},
		{"phpass count above 2^30", "$P$T12345678" + crypt},
		{"phpass count not itoa64", "$P$!12345678" + crypt},
		{"phpass bad checksum character", "$P$912345678" + crypt[:21] + "!"},

		{"md5-crypt salt 9 characters", "$1$123456789$" + crypt},
		{"md5-crypt checksum short", "$1$salt$" + crypt[:21]},
		{"md5-crypt checksum long", "$1$salt$" + crypt + "a"},
		{"md5-crypt no checksum", "$1$salt"},
		{"md5-crypt bad character", "$1$salt$" + crypt[:21] + "*"},
		{"apr1 extra field", "$apr1$salt$" + crypt + "$"},

		{"sha-crypt rounds letters", "$5$rounds=abc$salt$" + sha256Sum},
		{"sha-crypt rounds signed", "$5$rounds=+5000$salt$" + sha256Sum},
		{"sha-crypt rounds negative", "$5$rounds=-5000$salt$" + sha256Sum},
		{"sha-crypt rounds empty", "$5$rounds=$salt$" + sha256Sum},
		{"sha-crypt rounds unterminated", "$5$rounds=5000"},
		{"sha-crypt salt 17 characters", "$5$0123456789abcdefg$" + sha256Sum},
		{"sha-crypt checksum short", "$5$salt$" + sha256Sum[:42]},
		{"sha-crypt checksum of sha512", "$5$salt$" + strings.Repeat("a", 86)},
		{"sha-crypt no checksum", "$6$salt"},
		{"sha-crypt bad character", "$5$salt$" + sha256Sum[:42] + "_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := Verify([]byte(tt.hash), []byte("password"))
			if !errors.Is(err, ErrUnknownFormat) || ok {
				t.Fatalf("Verify(%q) = %v, %v; want false, ErrUnknownFormat", tt.hash, ok, err)
			}
		})
	}
}

func TestVerifyBcryptSaltStrayBits(t *testing.T) {
	// The 22nd salt character carries four bits beyond the 16 salt bytes.
	// Implementations ignore them when decoding, so a salt that sets them
	// (which some libraries that take caller-made salts may have stored)
	// verifies like its canonical form.
	const canonical = "$2b$05$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu"
	stray := canonical[:28] + "v" + canonical[29:]
	for _, h := range []string{canonical, stray} {
		if ok, err := Verify([]byte(h), []byte("password")); !ok || err != nil {
			t.Fatalf("Verify(%q) = %v, %v; want true, nil", h, ok, err)
		}
	}
}

func TestVerifyPHCPaddingOptional(t *testing.T) {
	// The argon2 reference CLI's output with and without base64 padding.
	const h = "$argon2id$v=19$m=1024,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$E2UjtrDTCgIx4mfpqQ9GwLzvabuQuVCcwisqBRbSI+4"
	padded := strings.Replace(h, "$E2Uj", "==$E2Uj", 1) + "="
	for _, hash := range []string{h, padded} {
		if ok, err := Verify([]byte(hash), []byte("password")); !ok || err != nil {
			t.Fatalf("Verify(%q) = %v, %v; want true, nil", hash, ok, err)
		}
	}
}

func TestVerifySHACryptRoundsClamp(t *testing.T) {
	// Drepper's specification: "the minimum number is still observed", so
	// rounds below 1000 count as 1000.
	const (
		pw     = "the minimum number is still observed"
		sum256 = "$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"
		sum512 = "$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."
	)
	tests := []struct {
		rounds string
		want   bool
	}{
		{"0", true},
		{"10", true},
		{"999", true},
		{"1000", true},
		{"0001000", true},
		{"1001", false},
		{"5000", false},
	}
	for _, tt := range tests {
		for _, h := range []string{"$5$rounds=" + tt.rounds + sum256, "$6$rounds=" + tt.rounds + sum512} {
			t.Run(h[:3]+tt.rounds, func(t *testing.T) {
				ok, err := Verify([]byte(h), []byte(pw))
				if err != nil || ok != tt.want {
					t.Fatalf("Verify(%q) = %v, %v; want %v, nil", h, ok, err, tt.want)
				}
			})
		}
	}
}

func TestVerifyTruncatedCryptHashes(t *testing.T) {
	// Every fixed-length crypt(3)-style hash cut short by any number of
	// characters is malformed.
	for _, v := range knownAnswers {
		switch Format([]byte(v.hash)) {
		case "bcrypt", "phpass", "md5-crypt", "apr1-md5", "sha256-crypt", "sha512-crypt":
		default:
			continue
		}
		for n := len(v.hash) - 1; n >= 0; n-- {
			cut := []byte(v.hash[:n])
			if ok, err := Verify(cut, []byte(v.password)); !errors.Is(err, ErrUnknownFormat) || ok {
				t.Errorf("Verify(%q) = %v, %v; want false, ErrUnknownFormat", cut, ok, err)
			}
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		hash string
		want string
	}{
		{"$2a$10$...", "bcrypt"},
		{"$2b$10$...", "bcrypt"},
		{"$2y$10$...", "bcrypt"},
		{"$2x$10$...", "bcrypt"},
		{"$argon2id$v=19$...", "argon2id"},
		{"$argon2i$v=19$...", "argon2i"},
		{"$argon2d$v=19$...", ""},
		{"$scrypt$ln=16,r=8,p=1$...", "scrypt"},
		{"$pbkdf2$29000$...", "pbkdf2-sha1"},
		{"$pbkdf2-sha1$i=1000$...", "pbkdf2-sha1"},
		{"$pbkdf2-sha256$29000$...", "pbkdf2-sha256"},
		{"$pbkdf2-sha512$25000$...", "pbkdf2-sha512"},
		{"pbkdf2_sha256$870000$...", "django-pbkdf2-sha256"},
		{"pbkdf2_sha1$870000$...", "django-pbkdf2-sha1"},
		{"argon2$argon2id$v=19$...", "django-argon2"},
		{"bcrypt$$2b$12$...", "django-bcrypt"},
		{"bcrypt_sha256$$2b$12$...", "django-bcrypt-sha256"},
		{"$P$B12345678...", "phpass"},
		{"$H$912345678...", "phpass"},
		{"$1$salt$...", "md5-crypt"},
		{"$apr1$salt$...", "apr1-md5"},
		{"$5$salt$...", "sha256-crypt"},
		{"$6$rounds=5000$salt$...", "sha512-crypt"},
		{"", ""},
		{"$", ""},
		{"5f4dcc3b5aa765d61d8327deb882cf99", ""},
		{"$y$j9T$...", ""},
	}
	for _, tt := range tests {
		t.Run(tt.hash, func(t *testing.T) {
			if got := Format([]byte(tt.hash)); got != tt.want {
				t.Fatalf("Format(%q) = %q; want %q", tt.hash, got, tt.want)
			}
		})
	}
}

func TestFormatNamesEveryKnownAnswer(t *testing.T) {
	for _, v := range knownAnswers {
		if Format([]byte(v.hash)) == "" {
			t.Errorf("Format(%q) = \"\"", v.hash)
		}
	}
}

func TestVerifyDoesNotModifyInputs(t *testing.T) {
	for _, v := range knownAnswers[:20] {
		hash, pw := []byte(v.hash), []byte(v.password)
		if _, err := Verify(hash, pw); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(hash, []byte(v.hash)) || !bytes.Equal(pw, []byte(v.password)) {
			t.Fatalf("Verify modified its input for %q", v.hash)
		}
	}
}

func TestMemory(t *testing.T) {
	const salt, sum = "c29tZXNhbHRzb21lc2FsdA", "E2UjtrDTCgIx4mfpqQ9GwLzvabuQuVCcwisqBRbSI+4"
	tests := []struct {
		name string
		hash string
		want int64
	}{
		{"argon2id 64 MiB", "$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$" + sum, 64 << 20},
		{"argon2i 256 MiB", "$argon2i$v=19$m=262144,t=1,p=1$" + salt + "$" + sum, 256 << 20},
		{"django argon2", "argon2$argon2id$v=19$m=102400,t=2,p=8$" + salt + "$" + sum, 100 << 20},
		{"argon2 over the cap", "$argon2id$v=19$m=263169,t=1,p=1$" + salt + "$" + sum, 0},
		{"argon2 malformed", "$argon2id$v=19$m=65536,t=3,p=4$" + salt, 0},
		{"scrypt N=2^14 r=8 p=1", "$scrypt$ln=14,r=8,p=1$" + salt + "$" + sum, 128*8<<14 + 128*8},
		{"scrypt N=2^18 r=8 p=1", "$scrypt$ln=18,r=8,p=1$" + salt + "$" + sum, 256<<20 + 1024},
		{"scrypt over the cap", "$scrypt$ln=19,r=8,p=1$" + salt + "$" + sum, 0},
		{"bcrypt", "$2b$05$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu", 0},
		{"unknown", "password", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Memory([]byte(tt.hash)); got != tt.want {
				t.Fatalf("Memory(%q) = %d; want %d", tt.hash, got, tt.want)
			}
		})
	}
}
