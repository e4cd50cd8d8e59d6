package auth_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// FuzzParseImportLine feeds the NDJSON line parser arbitrary bytes: it
// never panics, fails only with an *ImportError of a known code, and what
// it accepts has a legacy id and an email or a username, and parses the
// same once written back in the same shape.
func FuzzParseImportLine(f *testing.F) {
	for _, s := range []string{
		`{"id": "1", "email": "alice@example.com", "username": "alice", "password_hash": "$2a$10$x"}`,
		`{"id": "2", "username": "bob", "password_hash": null, "profile": {"a": [1, 2]}}`,
		`{"id": 5}`, `[1]`, `{`, `{"id": "3", "email": "bad"}`, `  {"id":"4","username":"\u00e9"}  `,
		`{"id": "6", "email": "x@example.com"} trailing`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		u, err := auth.ParseImportLine(line)
		if err != nil {
			var ie *auth.ImportError
			if !errors.As(err, &ie) || (ie.Code != "invalid_json" && ie.Code != "invalid_user") || ie.Message == "" {
				t.Fatalf("error %v of %q", err, line)
			}
			return
		}
		if u.ID == "" || (u.Email == "" && u.Username == "") {
			t.Fatalf("accepted %q as %+v", line, u)
		}
		again := map[string]any{"id": u.ID, "email": u.Email, "username": u.Username, "email_verified": u.EmailVerified, "name": u.Name}
		if u.Profile != nil {
			again["profile"] = u.Profile
		}
		if u.PasswordHash != "" {
			again["password_hash"] = u.PasswordHash
		}
		b, err := json.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		u2, err := auth.ParseImportLine(b)
		if err != nil {
			t.Fatalf("%q parsed, but not its rewrite %s: %v", line, b, err)
		}
		if !reflect.DeepEqual(u, u2) {
			t.Fatalf("%q and its rewrite %s differ: %+v, %+v", line, b, u, u2)
		}
	})
}
