package password

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestValidate(t *testing.T) {
	const eAcute, eCombining = "\u00e9", "e\u0301"
	tests := []struct {
		name     string
		password string
		want     string
		wantErr  error
	}{
		{"ok", "tr0ub4dor&3", "tr0ub4dor&3", nil},
		{"exactly min", "x7!kq9#z", "x7!kq9#z", nil},
		{"too short", "x7!kq9#", "", ErrTooShort},
		{"empty", "", "", ErrTooShort},
		{"exactly max", strings.Repeat("ab", 128), strings.Repeat("ab", 128), nil},
		{"too long", strings.Repeat("ab", 128) + "c", "", ErrTooLong},
		{"huge", strings.Repeat("x", 1<<20), "", ErrTooLong},
		{"multibyte counted as characters", "😀😀😀😀😀😀😀😀", "😀😀😀😀😀😀😀😀", nil},
		{"multibyte too short", "😀😀😀😀😀😀😀", "", ErrTooShort},
		// 14 runes before NFC, 7 after: the length is counted after.
		{"NFC too short", strings.Repeat(eCombining, 7), "", ErrTooShort},
		{"NFC composed", strings.Repeat(eCombining, 8), strings.Repeat(eAcute, 8), nil},
		{"NFC max", strings.Repeat(eCombining, 256), strings.Repeat(eAcute, 256), nil},
		{"common", "password", "", ErrCommon},
		{"common upper case", "PASSWORD", "", ErrCommon},
		{"common mixed case", "QwErTy123", "", ErrCommon},
		{"common digits", "12345678", "", ErrCommon},
		{"password123", "password123", "", ErrCommon},
		{"password123 upper case", "PASSWORD123", "", ErrCommon},
		{"password123 mixed case", "PassWord123", "", ErrCommon},
		{"strong passphrase", "violet kettle orbits a sleepy tram", "violet kettle orbits a sleepy tram", nil},
		{"not UTF-8", "abcdefgh\xff", "", ErrNotUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Validate(tt.password)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("Validate err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrWeak) {
				t.Fatalf("error %v does not wrap ErrWeak", err)
			}
			if got != tt.want {
				t.Fatalf("Validate = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzValidate checks that Validate never panics and that what it accepts
// is NFC, within the length bounds and not common.
func FuzzValidate(f *testing.F) {
	f.Add("password")
	f.Add("e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Validate(s)
		if err != nil {
			if !errors.Is(err, ErrWeak) || got != "" {
				t.Fatalf("Validate(%q) = %q, %v", s, got, err)
			}
			return
		}
		n := utf8.RuneCountInString(got)
		if !norm.NFC.IsNormalString(got) || n < MinLength || n > MaxLength || IsCommon(got) {
			t.Fatalf("Validate(%q) accepted %q", s, got)
		}
	})
}

func BenchmarkValidate(b *testing.B) {
	commonList()
	for b.Loop() {
		if _, err := Validate("a reasonably long passphrase"); err != nil {
			b.Fatal(err)
		}
	}
}
