package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/internal/testserver"
)

// FuzzPublicBodies sends arbitrary bytes as the JSON body of the public
// endpoints of a running server: whatever arrives, the answer is never a
// server error, and every failure is a problem document.
//
//	go test -run '^$' -fuzz FuzzPublicBodies -fuzztime 30s ./internal/e2e/
func FuzzPublicBodies(f *testing.F) {
	e := start(f)
	e.CreateTenant("acme")
	e.register("acme", map[string]any{"email": "alice@example.com", "username": "alice", "password": "correct horse"})
	for _, seed := range []string{
		`{"identifier": "alice@example.com", "password": "correct horse"}`,
		`{"identifier": "ALICE", "password": "wrong"}`,
		`{"email": "new@example.com", "password": "correct horse", "profile": {"a": [1, 2, {"b": null}]}}`,
		`{"username": "\u0000\u202e", "password": "\ud800"}`,
		`{"email": "a@b", "username": "x@y", "password": "` + strings.Repeat("é", 300) + `"}`,
		`{"current_password": "correct horse", "new_password": "another horse"}`,
		`{"identifier": 1e999}`,
		`{"profile": "not an object"}`,
		`[]`, `null`, `"x"`, `{`, "\xff\xfe", ``,
	} {
		f.Add(byte(0), []byte(seed))
		f.Add(byte(1), []byte(seed))
		f.Add(byte(2), []byte(seed))
	}
	paths := []string{"/t/acme/login", "/t/acme/register", "/t/acme/password"}
	f.Fuzz(func(t *testing.T, which byte, body []byte) {
		path := paths[int(which)%len(paths)]
		r, err := e.Try(http.MethodPost, path, "", testserver.Raw{ContentType: "application/json", Body: body})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status >= 500 {
			t.Fatalf("POST %s %q: %s", path, body, r)
		}
		if r.Status >= 400 {
			checkProblemShape(t, r)
		}
	})
}
