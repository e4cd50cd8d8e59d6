package ident_test

import (
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/internal/ident"
)

func TestCheckEmail(t *testing.T) {
	tests := []struct {
		email string
		ok    bool
	}{
		{"a@b", true},
		{"o'brien+tag@sub.example.co.uk", true},
		{"françois@exämple.fr", true},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61), true},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 62), false},
		{strings.Repeat("a", 65) + "@example.com", false},
		{"a@" + strings.Repeat("b", 64) + ".com", false},
		{"", false},
		{"@example.com", false},
		{"alice@", false},
		{"alice", false},
		{"a@b@example.com", false},
		{"a b@example.com", false},
		{"a@example..com", false},
		{"a@.example.com", false},
		{"a@example.com.", false},
		{"a\x00@example.com", false},
		{"a@example.com\n", false},
		{"a\u0085@example.com", false},
		{"a\u00a0@example.com", false},
		{`"quoted"@example.com`, false},
		{"a<b@example.com", false},
		{"a@exa\xffmple.com", false},
	}
	for _, tt := range tests {
		if err := ident.CheckEmail(tt.email); (err == nil) != tt.ok {
			t.Errorf("CheckEmail(%q) = %v, want ok %v", tt.email, err, tt.ok)
		}
	}
}

func TestCheckUsername(t *testing.T) {
	tests := []struct {
		username string
		ok       bool
	}{
		{"a", true},
		{strings.Repeat("é", 64), true},
		{"Alice Liddell", true}, // registration adds its own policy on top
		{strings.Repeat("a", 65), false},
		{"", false},
		{"al\x00ice", false},
		{"al\u0085ice", false},
		{"al\x7fice", false},
		{"al\xffice", false},
	}
	for _, tt := range tests {
		if err := ident.CheckUsername(tt.username); (err == nil) != tt.ok {
			t.Errorf("CheckUsername(%q) = %v, want ok %v", tt.username, err, tt.ok)
		}
	}
}

func TestCheckProfileAndLegacyID(t *testing.T) {
	fill := func(size int) map[string]any { return map[string]any{"k": strings.Repeat("x", size-len(`{"k":""}`))} }
	if err := ident.CheckProfile(nil); err != nil {
		t.Errorf("no profile: %v", err)
	}
	if err := ident.CheckProfile(fill(ident.MaxProfile)); err != nil {
		t.Errorf("a profile of MaxProfile bytes: %v", err)
	}
	if err := ident.CheckProfile(fill(ident.MaxProfile + 1)); err == nil {
		t.Error("a profile over MaxProfile was accepted")
	}
	if err := ident.CheckLegacyID(strings.Repeat("1", ident.MaxLegacyID)); err != nil {
		t.Errorf("a legacy id of MaxLegacyID bytes: %v", err)
	}
	for _, id := range []string{"", strings.Repeat("1", ident.MaxLegacyID+1)} {
		if err := ident.CheckLegacyID(id); err == nil {
			t.Errorf("legacy id of %d bytes accepted", len(id))
		}
	}
}
