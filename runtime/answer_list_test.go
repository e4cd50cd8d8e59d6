package runtime_test

import (
	"testing"

	"github.com/wasmauth/wasmauth/runtime"
)

// TestParseListUsers covers list_users answers: the page's shape is
// required, and a user breaking the rules is reported on its own while the
// rest of the page stands.
func TestParseListUsers(t *testing.T) {
	a, err := runtime.ParseListUsers([]byte(`{"users": [
		{"id": "1", "email": "a@example.com", "password_hash": "$2a$10$x"},
		{"id": 2, "email": "b@example.com"},
		{"id": "3", "username": "c", "password_hash": null},
		{"id": "4", "email": "not an email"}
	], "next_cursor": "3"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Users) != 2 || a.Users[0].ID != "1" || *a.Users[0].PasswordHash != "$2a$10$x" || a.Users[1].PasswordHash != nil {
		t.Fatalf("users = %+v", a.Users)
	}
	if len(a.Invalid) != 2 || a.Invalid[0].Index != 1 || a.Invalid[0].ID != "" || a.Invalid[1].Index != 3 || a.Invalid[1].ID != "4" {
		t.Fatalf("invalid = %+v", a.Invalid)
	}
	if a.NextCursor == nil || *a.NextCursor != "3" {
		t.Fatalf("next_cursor = %v", a.NextCursor)
	}
	if a, err := runtime.ParseListUsers([]byte(`{"users": [], "next_cursor": null}`)); err != nil || a.NextCursor != nil || len(a.Users) != 0 {
		t.Fatalf("last empty page = %+v, %v", a, err)
	}
	for _, bad := range []string{`{}`, `{"users": null}`, `{"users": {}}`, `{"users": [], "next_cursor": ""}`, `{"users": [], "next_cursor": 3}`, `[]`, `{"users": []} x`} {
		if _, err := runtime.ParseListUsers([]byte(bad)); err == nil {
			t.Errorf("ParseListUsers(%s) accepted", bad)
		}
	}
}

func TestParseVerifyHash(t *testing.T) {
	for out, want := range map[string]bool{`{"ok": true}`: true, `{"ok": false}`: false} {
		if a, err := runtime.ParseVerifyHash([]byte(out)); err != nil || a.OK != want {
			t.Errorf("ParseVerifyHash(%s) = %+v, %v", out, a, err)
		}
	}
	for _, bad := range []string{`{}`, `{"ok": "yes"}`, `{"ok": null}`, `true`} {
		if _, err := runtime.ParseVerifyHash([]byte(bad)); err == nil {
			t.Errorf("ParseVerifyHash(%s) accepted", bad)
		}
	}
}

func TestParseCountUsers(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{`{"count": 0}`, 0, true},
		{`{"count": 1234567}`, 1234567, true},
		{`{"count": -1}`, 0, false},
		{`{"count": 1.5}`, 0, false},
		{`{"count": "12"}`, 0, false},
		{`{}`, 0, false},
		{`[]`, 0, false},
		{`{"count": 1} x`, 0, false},
	} {
		a, err := runtime.ParseOutput(runtime.OpCountUsers, []byte(c.in))
		if (err == nil) != c.ok || (err == nil && a.Count != c.want) {
			t.Errorf("ParseOutput(count_users, %s) = %+v, %v", c.in, a, err)
		}
	}
}
