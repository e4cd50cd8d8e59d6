package runtime_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/runtime"
)

// TestParseAnswerRules covers what issue 12 added to an answer: the account
// id of a rejection (ABI v1.1) and the rules registration applies to
// emails, usernames, profiles and ids; an answer breaking them is refused
// (the call is bad_output).
func TestParseAnswerRules(t *testing.T) {
	user := func(fields string) string { return `{"user": {"id": "1", ` + fields + `}}` }
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name, out string
		wantID    string // the rejection's id when accepted
		ok        bool
	}{
		{"rejection with id", `{"user": null, "reason": "wrong_password", "id": "42"}`, "42", true},
		{"rejection inactive", `{"user": null, "reason": "inactive", "id": "7"}`, "7", true},
		{"rejection locked", `{"user": null, "reason": "locked"}`, "", true},
		{"rejection not_found", `{"user": null, "reason": "not_found"}`, "", true},
		{"rejection with an unknown reason", `{"user": null, "reason": "disabled"}`, "", false},
		{"reasons are lowercase", `{"user": null, "reason": "Inactive"}`, "", false},
		{"rejection with null id", `{"user": null, "id": null}`, "", true},
		{"rejection id of 256 bytes", `{"user": null, "id": "` + long(256) + `"}`, long(256), true},
		{"rejection id over 256 bytes", `{"user": null, "id": "` + long(257) + `"}`, "", false},
		{"rejection id empty", `{"user": null, "id": ""}`, "", false},
		{"rejection id a number", `{"user": null, "id": 42}`, "", false},
		{"id beside a user", `{"user": {"id": "1", "email": "a@example.com"}, "id": "1"}`, "", false},
		{"user id over 256 bytes", `{"user": {"id": "` + long(257) + `", "email": "a@example.com"}}`, "", false},
		{"email of 254 characters", user(`"email": "` + long(64) + "@" + long(63) + "." + long(63) + "." + long(61) + `"`), "", true},
		{"email of 255 characters", user(`"email": "` + long(64) + "@" + long(63) + "." + long(63) + "." + long(62) + `"`), "", false},
		{"email without @", user(`"email": "alice.example.com"`), "", false},
		{"email with two @", user(`"email": "a@b@example.com"`), "", false},
		{"email with NUL", user(`"email": "alice\u0000@example.com"`), "", false},
		{"email with a newline", user(`"email": "alice@example.com\nbcc@evil.example"`), "", false},
		{"email with an empty domain label", user(`"email": "alice@example..com"`), "", false},
		{"email with surrounding spaces is trimmed", user(`"email": " Alice@Example.COM "`), "", true},
		{"international email", user(`"email": "françois@exämple.fr"`), "", true},
		{"username of 64 characters", user(`"username": "` + strings.Repeat("é", 64) + `"`), "", true},
		{"username of 65 characters", user(`"username": "` + long(65) + `"`), "", false},
		{"username with NUL", user(`"username": "al\u0000ice"`), "", false},
		{"username with a space (a legacy name)", user(`"username": "Alice Liddell"`), "", true},
		{"profile of 16 KiB", user(`"email": "a@example.com", "profile": {"k": "` + long(16<<10-8) + `"}`), "", true},
		{"profile over 16 KiB", user(`"email": "a@example.com", "profile": {"k": "` + long(16<<10-7) + `"}`), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ans, err := runtime.ParseAnswer([]byte(tt.out))
			if (err == nil) != tt.ok {
				t.Fatalf("ParseAnswer err = %v, want ok %v", err, tt.ok)
			}
			if err == nil && ans.ID != tt.wantID {
				t.Fatalf("ID = %q, want %q", ans.ID, tt.wantID)
			}
		})
	}
}

// ExampleParseAnswer shows a rejection that names its account.
func ExampleParseAnswer() {
	ans, err := runtime.ParseAnswer([]byte(`{"user": null, "reason": "wrong_password", "id": "1"}`))
	fmt.Println(ans.User == nil, ans.Reason, ans.ID, err)
	// Output: true wrong_password 1 <nil>
}
