package legacyhash

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// answerFor returns the first vector of formatAnswers whose hash has prefix.
func answerFor(t *testing.T, prefix string) knownAnswer {
	t.Helper()
	for _, v := range formatAnswers {
		if strings.HasPrefix(v.hash, prefix) {
			return v
		}
	}
	t.Fatalf("no vector with prefix %q in formatAnswers", prefix)
	return knownAnswer{}
}

// TestNewFormatsOverCapsRefused: each new format reads the parameters that
// drive its work and is refused before hashing when they exceed the caps.
func TestNewFormatsOverCapsRefused(t *testing.T) {
	for name, hash := range map[string]string{
		"django-scrypt N=2^20 (1 GiB)":  "scrypt$1048576$salt$8$1$" + costSum32,
		"django-scrypt N·r·p too large": "scrypt$65536$salt$8$16$" + costSum32,
		"django-scrypt N=2^63":          "scrypt$9223372036854775808$salt$8$1$" + costSum32,
		"wordpress cost 15":             "$wp$2y$15$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu",
		"drupal7 2^30":                  "$S$S" + strings.Repeat("a", 51),
		"drupal7 upgraded 2^30":         "U$S$S" + strings.Repeat("a", 51),
		"aspnet v3 SHA512 4 billion":    aspnetBlob(1, 2, 4_000_000_000, 16, 32),
		"aspnet v3 SHA1 10 million":     aspnetBlob(1, 0, 10_000_000, 16, 32),
		"firebase mem_cost 20":          "$firebase-scrypt$rounds=8,mem_cost=20$" + costSalt16 + "$Bw==$" + costSum32 + "$" + costSum32,
		"firebase mem_cost 70":          "$firebase-scrypt$rounds=8,mem_cost=70$" + costSalt16 + "$Bw==$" + costSum32 + "$" + costSum32,
		"firebase rounds 2^40":          "$firebase-scrypt$rounds=1099511627776,mem_cost=14$" + costSalt16 + "$Bw==$" + costSum32 + "$" + costSum32,
	} {
		ok, err := Verify([]byte(hash), []byte("pw"))
		if ok || !errors.Is(err, ErrTooExpensive) {
			t.Errorf("%s: Verify(%q) = %v, %v; want ErrTooExpensive", name, hash, ok, err)
		}
		if _, err := Estimate([]byte(hash), []byte("pw")); !errors.Is(err, ErrTooExpensive) {
			t.Errorf("%s: Estimate: %v; want ErrTooExpensive", name, err)
		}
	}
}

// TestNewFormatsMalformed: broken strings of the new formats are unknown,
// not errors of another kind and never matches.
func TestNewFormatsMalformed(t *testing.T) {
	for _, hash := range []string{
		"scrypt$16384$salt$8$1",                     // no checksum
		"scrypt$16383$salt$8$1$" + costSum32,        // N not a power of two
		"scrypt$16384$$8$1$" + costSum32,            // empty salt
		"scrypt$16384$salt$0$1$" + costSum32,        // r = 0
		"scrypt$16384$salt$8$1$AAAA",                // checksum too short
		"scrypt$16384$salt$8$1$" + costSum32 + "$x", // extra field
		"$wp$2y$10$short",
		"$wp$2z$10$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu",
		"$S$D" + strings.Repeat("a", 50),         // one character short
		"$S$4" + strings.Repeat("a", 51),         // count below 2^7
		"$S$D12345678" + strings.Repeat("!", 43), // checksum outside the alphabet
		"A",
		"AAAA",
		aspnetBlob(0, 0, 0, 16, 31),    // v2 one byte short
		aspnetBlob(1, 3, 1000, 16, 32), // unknown PRF
		aspnetBlob(1, 1, 1000, 8, 32),  // salt under 16 bytes
		aspnetBlob(1, 1, 1000, 16, 8),  // subkey under 16 bytes
		aspnetBlob(1, 1, 0, 16, 32),    // no iterations
		// A salt length past the end of the blob.
		base64.StdEncoding.EncodeToString(append([]byte{1, 0, 0, 0, 1, 0, 0, 3, 232, 0xee, 0x6b, 0x28, 0}, make([]byte, 48)...)),
		strings.TrimRight(aspnetBlob(1, 1, 1000, 16, 32), "=") + "!",
		"$firebase-scrypt$rounds=8,mem_cost=14$" + costSalt16 + "$Bw==$" + costSum32,                           // no hash
		"$firebase-scrypt$rounds=8$" + costSalt16 + "$Bw==$" + costSum32 + "$" + costSum32,                     // no mem_cost
		"$firebase-scrypt$rounds=8,mem_cost=14$" + costSalt16 + "$Bw==$" + costSum32 + "$" + costSalt16 + "AA", // hash and key lengths differ
		"$firebase-scrypt$rounds=0,mem_cost=14$" + costSalt16 + "$Bw==$" + costSum32 + "$" + costSum32,
		"{SSHA}AAAA",              // shorter than a SHA-1 digest
		"{SSHA}" + costSum32[:27], // a bare SHA-1 digest: no salt
		"{SHA}" + costSum32 + "=", // unsalted, with extra bytes
		"{SSHA}not base64!",
		"{SSHA512",
		"{XSHA}AAAA",
		"{CRYPT}",
		"{CRYPT}$P$B12345678qjXMvbEw8oaL.CzflDtaK/", // phpass is not a crypt(3) scheme
	} {
		ok, err := Verify([]byte(hash), []byte("pw"))
		if ok || !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Verify(%q) = %v, %v; want ErrUnknownFormat", hash, ok, err)
		}
	}
}

// TestLDAPSchemeCaseInsensitive: RFC 2307 scheme names match in any case,
// as OpenLDAP reads them.
func TestLDAPSchemeCaseInsensitive(t *testing.T) {
	for _, prefix := range []string{"{SSHA}", "{SSHA256}", "{SHA}", "{SMD5}"} {
		v := answerFor(t, prefix)
		for _, spelled := range []string{strings.ToLower(prefix), prefix[:2] + strings.ToLower(prefix[2:])} {
			hash := spelled + v.hash[len(prefix):]
			if ok, err := Verify([]byte(hash), []byte(v.password)); !ok || err != nil {
				t.Errorf("Verify(%q) = %v, %v; want true", hash, ok, err)
			}
			if Format([]byte(hash)) != Format([]byte(v.hash)) {
				t.Errorf("Format(%q) = %q, want %q", hash, Format([]byte(hash)), Format([]byte(v.hash)))
			}
		}
	}
}

// TestWordPressPasswordAsGiven: "$wp$" checks the password as given, as
// wp_check_password does; WordPress trims it before hashing, so " padded "
// was stored as "padded" and only the trimmed password matches.
func TestWordPressPasswordAsGiven(t *testing.T) {
	var h string
	for _, v := range formatAnswers {
		if v.password == "padded" && strings.HasPrefix(v.hash, "$wp$") {
			h = v.hash
		}
	}
	if h == "" {
		t.Fatal("vector missing")
	}
	for pw, want := range map[string]bool{"padded": true, " padded ": false} {
		if ok, err := Verify([]byte(h), []byte(pw)); ok != want || err != nil {
			t.Errorf("Verify(%q, %q) = %v, %v; want %v", h, pw, ok, err, want)
		}
	}
	// The bcrypt inside is not the password's own: stripped of "$wp" it
	// does not verify the password.
	if ok, _ := Verify([]byte(h[len("$wp"):]), []byte("padded")); ok {
		t.Error("the inner bcrypt hash verified the raw password")
	}
}

// TestDrupalLongPasswordNeverMatches: Drupal refuses passwords over 512
// bytes, so its 512-byte vector verifies and no longer password does.
func TestDrupalLongPasswordNeverMatches(t *testing.T) {
	var h, pw string
	for _, v := range formatAnswers {
		if len(v.password) == drupalMaxPass && strings.HasPrefix(v.hash, "$S$") {
			h, pw = v.hash, v.password
		}
	}
	if h == "" {
		t.Fatal("512-byte Drupal vector missing")
	}
	if ok, err := Verify([]byte(h), []byte(pw)); !ok || err != nil {
		t.Fatalf("512 bytes: %v, %v", ok, err)
	}
	if ok, err := Verify([]byte(h), []byte(pw+"y")); ok || err != nil {
		t.Fatalf("513 bytes: %v, %v; want false, nil", ok, err)
	}
}

// TestNewFormatsCapsBoundaries: the limits the package documentation
// states for the new formats, each side of the cap.
func TestNewFormatsCapsBoundaries(t *testing.T) {
	firebase := func(memCost string) string {
		return "$firebase-scrypt$rounds=8,mem_cost=" + memCost + "$" + costSalt16 + "$Bw==$" + costSum32 + "$" + costSum32
	}
	pw20 := strings.Repeat("p", 20)
	for _, c := range []struct {
		name, hash, password string
		ok                   bool
	}{
		{"drupal7 2^22, 47-byte password", "$S$K" + strings.Repeat("a", 51), strings.Repeat("p", 47), true},
		{"drupal7 2^22, 48-byte password", "$S$K" + strings.Repeat("a", 51), strings.Repeat("p", 48), false},
		{"drupal7 2^23", "$S$L" + strings.Repeat("a", 51), "pw", false},
		{"firebase mem_cost 18", firebase("18"), pw20, true},
		{"firebase mem_cost 19", firebase("19"), pw20, false},
		{"aspnet v3 SHA512 3,000,000", aspnetBlob(1, 2, 3_000_000, 16, 32), pw20, true},
		{"aspnet v3 SHA512 3,100,000", aspnetBlob(1, 2, 3_100_000, 16, 32), pw20, false},
		{"$wp$ cost 14", "$wp$2y$14$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu", pw20, true},
		{"django-scrypt N=2^18 r=8", "scrypt$262144$salt$8$1$" + costSum32, pw20, true},
		{"django-scrypt N=2^19 r=8", "scrypt$524288$salt$8$1$" + costSum32, pw20, false},
	} {
		_, err := Estimate([]byte(c.hash), []byte(c.password))
		if (err == nil) != c.ok || err != nil && !errors.Is(err, ErrTooExpensive) {
			t.Errorf("%s: Estimate: %v, want accepted %v", c.name, err, c.ok)
		}
	}
}
