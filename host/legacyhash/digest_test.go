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
		{"sha384", "abc", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
		// RFC 2202 and RFC 4231, test case 2.
		{"hmac-md5:Jefe", "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"},
		{"hmac-sha1:Jefe", "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
		{"hmac-sha256:Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"hmac-sha384:Jefe", "what do ya want for nothing?", "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
		{"hmac-sha512:Jefe", "what do ya want for nothing?", "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
		// A key after the first colon is taken whole, colons included; an
		// empty key is a key.
		{"hmac-sha256:a:b", "x", "0afd3fecebab8d4821c0d2b354bffc964d90821a23b77e72e078f7225d45e1b2"},
		{"hmac-sha256:", "", "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
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
	for _, algo := range []string{"", "MD5", "SHA256", "sha-256", "sha224", "hmac-sha256", "hmac-sha224:k", "HMAC-sha256:k", "hmac-:k", "hmac-md4:k", "hmac-sha256" + ":" + strings.Repeat("k", MaxHMACKey+1), "md4", "sha512/256", "sha256\x00"} {
		t.Run(algo, func(t *testing.T) {
			got, err := Digest(algo, []byte("abc"))
			if !errors.Is(err, ErrUnknownAlgorithm) || got != nil {
				t.Fatalf("Digest(%q) = %x, %v; want nil, ErrUnknownAlgorithm", algo, got, err)
			}
		})
	}
}
