package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/wasmauth/wasmauth/internal/ident"
)

// Reasons a login may give for a rejection. Every one is answered alike
// (401 invalid_credentials); GET /migration counts inactive and locked
// apart.
const (
	ReasonNotFound      = "not_found"
	ReasonWrongPassword = "wrong_password"
	ReasonInactive      = "inactive" // the legacy account is disabled or not activated
	ReasonLocked        = "locked"   // the legacy app locked the account (too many failures, a ban)
)

// Reasons lists the reasons an answer may give, for messages and docs.
var Reasons = []string{ReasonNotFound, ReasonWrongPassword, ReasonInactive, ReasonLocked}

// Answer is a guest's output, as the ABI defines it.
type Answer struct {
	// User is the legacy user, or nil: no such user or (for login) the wrong
	// password.
	User *User
	// Reason is "" or one of Reasons; always "" with a User.
	Reason string
	// ID is the legacy id of the account a rejection is about (ABI v1.1), or
	// ""; always "" with a User, whose own ID says it.
	ID string
	// Users, Invalid and NextCursor are a list_users page (ABI v1.1): the
	// valid users, the ones that break the rules, and the cursor of the
	// next page (nil at the end).
	Users      []*User
	Invalid    []InvalidUser
	NextCursor *string
	// OK is verify_hash's answer (ABI v1.1).
	OK bool
	// Count is count_users's answer (ABI v1.1).
	Count int64
}

// User is a legacy user as a guest returns it; its rules are package
// ident's.
type User = ident.User

// ParseAnswer parses a guest's output by the ABI's rules: one JSON object with
// "user" either null or an object with a non-empty string "id" and a non-empty
// "email" or "username"; "email_verified" a boolean, "name" a string,
// "profile" an object (each optional, null as absent); an optional "reason",
// one of Reasons; with "user" null, an optional "id", the
// legacy id of the account rejected (ABI v1.1). Ids, emails, usernames and
// profiles must also pass the rules of package ident that registration
// applies (lengths, email syntax, no control characters). Unknown fields are
// ignored. The error says what is wrong, for a bad_output message.
func ParseAnswer(output []byte) (*Answer, error) {
	var raw struct {
		User   json.RawMessage `json:"user"`
		Reason *string         `json:"reason"`
		ID     json.RawMessage `json:"id"`
	}
	if err := decodeOne(output, &raw); err != nil {
		return nil, fmt.Errorf("output is not a JSON object: %w", err)
	}
	if len(raw.User) == 0 {
		return nil, errors.New(`output has no "user" (use {"user": null} for no user)`)
	}
	ans := &Answer{}
	if raw.Reason != nil {
		if *raw.Reason != "" && !slices.Contains(Reasons, *raw.Reason) {
			return nil, fmt.Errorf("reason %q is not one of %q", *raw.Reason, Reasons)
		}
		ans.Reason = *raw.Reason
	}
	hasID := len(raw.ID) > 0 && !bytes.Equal(raw.ID, []byte("null"))
	if bytes.Equal(raw.User, []byte("null")) {
		if hasID {
			if err := json.Unmarshal(raw.ID, &ans.ID); err != nil {
				return nil, errors.New(`"id" must be a string (the legacy id of the account rejected)`)
			}
			if err := ident.CheckLegacyID(ans.ID); err != nil {
				return nil, fmt.Errorf(`"id": %w`, err)
			}
		}
		return ans, nil
	}
	if hasID {
		return nil, errors.New(`"id" goes with "user": null only; a user's id is "user.id"`)
	}
	user, err := ident.ParseUser(raw.User, "user")
	if err != nil {
		return nil, err
	}
	ans.User = user
	ans.Reason = ""
	return ans, nil
}

// decodeOne decodes exactly one JSON object from b into v.
func decodeOne(b []byte, v any) error {
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errors.New("expected an object")
	}
	return json.Unmarshal(trimmed, v) // refuses data after the object too
}
