package adversarial_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/pbkdf2"

	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/server"
)

// TestEnumerationImported: in a tenant with imported users whose legacy
// hashes are bcrypt (cost 10) and PBKDF2-SHA256 (100,000 rounds), an
// unknown user, a wrong password for a local argon2id user and a wrong
// password for each imported user are not told apart by their minimum
// latencies, as TestEnumerationByTiming measures.
func TestEnumerationImported(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("timed logins with real hash parameters; skipped in -short mode and under the race detector")
	}
	ts := startServer(t, server.Config{Hash: password.DefaultParams, LoginFailures: 1_000_000})
	key := ts.CreateTenant("imported")
	ts.Must(ts.Register("imported", "local@example.com", "known-user-password-5"), 201, "register")
	// Django's format: the salt as text, the key in standard base64.
	salt := make([]byte, 12)
	_, _ = rand.Read(salt)
	saltText := base64.RawURLEncoding.EncodeToString(salt)
	dk := pbkdf2.Key([]byte("the pbkdf2 password"), []byte(saltText), 100_000, 32, sha256.New)
	pbkdf2Hash := fmt.Sprintf("pbkdf2_sha256$100000$%s$%s", saltText, base64.StdEncoding.EncodeToString(dk))
	var body []byte
	for _, u := range []map[string]any{
		{"id": "1", "email": "bcrypt@example.com", "password_hash": "$2a$10$buMM6L/J/0tkVGpVO9/Dsug6dqJBdjBIvc57z.t1nTiewHsoFMxSy"},
		{"id": "2", "email": "pbkdf2@example.com", "password_hash": pbkdf2Hash},
	} {
		line, _ := json.Marshal(u)
		body = append(append(body, line...), '\n')
	}
	r := ts.Must(ts.Send("POST", "/admin/v1/tenants/imported/users/import", key, "application/x-ndjson", body), 200, "import")
	if r.JSON["imported"] != float64(2) || r.JSON["unsupported_hash"] != float64(0) {
		t.Fatalf("import: %s", r)
	}
	for _, known := range []string{"local@example.com", "bcrypt@example.com", "pbkdf2@example.com"} {
		t.Run(known, func(t *testing.T) {
			ts := ts.with(t)
			var diff time.Duration
			for round := 1; round <= 3; round++ {
				diff = measureEnumeration(t, ts, "imported", known, round)
				if diff < 10*time.Millisecond {
					return
				}
			}
			t.Fatalf("minimum latencies differ by %v in three rounds: users can be enumerated", diff)
		})
	}
	// Still imported: no wrong password replaced a legacy hash.
	ts.Must(ts.Login("imported", "pbkdf2@example.com", "the pbkdf2 password"), 200, "the PBKDF2 user's first login")
}
