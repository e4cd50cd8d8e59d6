package password

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestBlocklistEntries(t *testing.T) {
	b := commonList()
	// README.md states the count: the union of the sources.
	if n := b.Len(); n < 100_000 {
		t.Fatalf("the list has %d entries, want at least 100,000", n)
	}
	prev := ""
	for i := range b.Len() {
		e := b.entry(i)
		if i > 0 && e <= prev {
			t.Fatalf("entry %d %q is not after %q", i, e, prev)
		}
		if e == "" || e != foldPassword(e) || strings.ContainsAny(e, "\r\n") {
			t.Fatalf("entry %d %q is not folded", i, e)
		}
		prev = e
	}
}

func TestIsCommon(t *testing.T) {
	tests := []struct {
		password string
		want     bool
	}{
		{"password123", true},
		{"PASSWORD123", true},
		{"Password123", true},
		{"password", true},
		{"123456", true},
		{"Dragon", true},
		{"iloveyou2", true},
		{"sandy123", true},                             // Django's list
		{"bigpimpin1", true},                           // Django's list
		{"070162", true},                               // the 100,000th of SecLists' ranked list
		{"e\u0301te\u0301", IsCommon("\u00e9t\u00e9")}, // compared after NFC
		{"", false},
		{"a quite unusual passphrase", false},
		{"violet kettle orbits a sleepy tram", false},
	}
	for _, tt := range tests {
		t.Run(tt.password, func(t *testing.T) {
			if got := IsCommon(tt.password); got != tt.want {
				t.Fatalf("IsCommon(%q) = %v, want %v", tt.password, got, tt.want)
			}
		})
	}
	// Every entry is found, in any case.
	b := commonList()
	for i := 0; i < b.Len(); i += 97 {
		e := b.entry(i)
		if !IsCommon(e) || !IsCommon(strings.ToUpper(e)) {
			t.Fatalf("entry %q (or its upper case) is not found", e)
		}
	}
}

// TestBlocklistFalsePositives checks the stated false-positive rate, zero:
// the list holds its entries exactly, so random strong passwords, and
// entries with one character changed, are never taken for common ones.
func TestBlocklistFalsePositives(t *testing.T) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%&*+-=?@^_~"
	hits := 0
	for range 10_000 {
		var sb strings.Builder
		for range 16 {
			n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			sb.WriteByte(alphabet[n.Int64()])
		}
		if IsCommon(sb.String()) {
			hits++
		}
	}
	b := commonList()
	for i := 0; i < b.Len(); i += 101 {
		if e := b.entry(i) + "\x00"; IsCommon(e) {
			t.Fatalf("IsCommon(%q) with a byte added", e)
		}
	}
	if hits != 0 {
		t.Fatalf("%d of 10,000 random 16-character passwords taken for common ones", hits)
	}
}

func TestDecodeBlocklist(t *testing.T) {
	b := decodeBlocklist(commonGz)
	if b.Len() != commonList().Len() || !norm.NFC.IsNormalString(b.text) {
		t.Fatalf("decoded %d entries", b.Len())
	}
}

// BenchmarkBlocklistLoad measures decoding the embedded list, what the first
// IsCommon in a process pays.
func BenchmarkBlocklistLoad(b *testing.B) {
	b.ReportMetric(float64(len(commonGz)), "embedded-bytes")
	for b.Loop() {
		decodeBlocklist(commonGz)
	}
}

// BenchmarkIsCommon measures one check against the loaded list.
func BenchmarkIsCommon(b *testing.B) {
	commonList()
	for i := 0; b.Loop(); i++ {
		IsCommon(fmt.Sprintf("Some Passphrase %d", i%100))
	}
}
