package legacyhash

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestDigest(t *testing.T) {
	// FIPS 180 and RFC 1321 examples.
	tests := []struct {
		algo string
		data string
		want string
	}{
		{"md5", "", "d41d8cd98f00b204e9800998ecf8427e"},
		{"md5", "abc", "900150983cd24fb0d6963f7d28e17f72"},
		{"sha1", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"sha256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"sha512", "abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
		{"sha256", strings.Repeat("a", 1000000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
	}
	for _, tt := range tests {
		t.Run(tt.algo+"/"+tt.data[:min(len(tt.data), 8)], func(t *testing.T) {
			got, err := Digest(tt.algo, []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != tt.want {
				t.Fatalf("Digest(%q) = %x; want %s", tt.algo, got, tt.want)
			}
		})
	}
}

func TestDigestUnknownAlgorithm(t *testing.T) {
	for _, algo := range []string{"", "MD5", "SHA256", "sha-256", "sha384", "sha224", "md4", "sha512/256", "sha256\x00"} {
		t.Run(algo, func(t *testing.T) {
			got, err := Digest(algo, []byte("abc"))
			if !errors.Is(err, ErrUnknownAlgorithm) || got != nil {
				t.Fatalf("Digest(%q) = %x, %v; want nil, ErrUnknownAlgorithm", algo, got, err)
			}
		})
	}
}
