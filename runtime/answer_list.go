package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/wasmauth/wasmauth/internal/ident"
)

// InvalidUser is a user of a list_users page that breaks the rules of
// ident.ParseUser; the rest of its page stands.
type InvalidUser struct {
	Index   int    // its position in "users"
	ID      string // its "id" when that is a string, else ""
	Message string
}

// ParseOutput parses the output of op by the ABI's rules: ParseAnswer's for
// login and get_user, ParseListUsers's and ParseVerifyHash's for the
// optional exports.
func ParseOutput(op string, output []byte) (*Answer, error) {
	switch op {
	case OpListUsers:
		return ParseListUsers(output)
	case OpVerifyHash:
		return ParseVerifyHash(output)
	case OpCountUsers:
		return ParseCountUsers(output)
	}
	return ParseAnswer(output)
}

// ParseListUsers parses a list_users answer: one JSON object with "users",
// an array of user objects (see ident.ParseUser; each may carry
// "password_hash"), and "next_cursor", a non-empty string or null at the
// end. A user that breaks the rules is reported in Answer.Invalid, not as an
// error of the whole page.
func ParseListUsers(output []byte) (*Answer, error) {
	var raw struct {
		Users      *[]json.RawMessage `json:"users"`
		NextCursor json.RawMessage    `json:"next_cursor"`
	}
	if err := decodeOne(output, &raw); err != nil {
		return nil, fmt.Errorf("output is not a JSON object with a \"users\" array: %w", err)
	}
	if raw.Users == nil {
		return nil, errors.New(`output has no "users" array`)
	}
	ans := &Answer{}
	if len(raw.NextCursor) > 0 && !bytes.Equal(raw.NextCursor, []byte("null")) {
		var c string
		if err := json.Unmarshal(raw.NextCursor, &c); err != nil || c == "" {
			return nil, errors.New(`"next_cursor" must be a non-empty string, or null after the last page`)
		}
		ans.NextCursor = &c
	}
	for i, r := range *raw.Users {
		u, err := ident.ParseUser(r, fmt.Sprintf("users[%d]", i))
		if err != nil {
			var id struct {
				ID any `json:"id"`
			}
			_ = json.Unmarshal(r, &id)
			s, _ := id.ID.(string)
			ans.Invalid = append(ans.Invalid, InvalidUser{Index: i, ID: s, Message: err.Error()})
			continue
		}
		ans.Users = append(ans.Users, u)
	}
	return ans, nil
}

// ParseVerifyHash parses a verify_hash answer: {"ok": true} or {"ok": false}.
func ParseVerifyHash(output []byte) (*Answer, error) {
	var raw struct {
		OK *bool `json:"ok"`
	}
	if err := decodeOne(output, &raw); err != nil {
		return nil, fmt.Errorf("output is not a JSON object: %w", err)
	}
	if raw.OK == nil {
		return nil, errors.New(`output has no boolean "ok"`)
	}
	return &Answer{OK: *raw.OK}, nil
}

// ParseCountUsers parses a count_users answer: {"count": n}, n a whole
// number from 0 to 2^53.
func ParseCountUsers(output []byte) (*Answer, error) {
	var raw struct {
		Count json.RawMessage `json:"count"`
	}
	if err := decodeOne(output, &raw); err != nil {
		return nil, fmt.Errorf("output is not a JSON object: %w", err)
	}
	if len(raw.Count) == 0 || bytes.Equal(raw.Count, []byte("null")) {
		return nil, errors.New(`output has no number "count"`)
	}
	n, err := strconv.ParseInt(string(raw.Count), 10, 64)
	if err != nil || n < 0 || n > 1<<53 {
		return nil, errors.New(`"count" must be a whole number from 0 to 2^53`)
	}
	return &Answer{Count: n}, nil
}
