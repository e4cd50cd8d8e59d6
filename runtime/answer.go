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
}

// User is a legacy user as a guest returns it.
type User struct {
	ID            string         // the legacy id, never empty
	Email         string         // may be empty when Username is not
	Username      string         // may be empty when Email is not
	EmailVerified bool           //
	Name          string         //
	Profile       map[string]any // nil when absent
}

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
	var u struct {
		ID            json.RawMessage `json:"id"`
		Email         *string         `json:"email"`
		Username      *string         `json:"username"`
		EmailVerified *bool           `json:"email_verified"`
		Name          *string         `json:"name"`
		Profile       json.RawMessage `json:"profile"`
	}
	if err := json.Unmarshal(raw.User, &u); err != nil {
		return nil, fmt.Errorf(`"user" is not a valid user object: %w`, err)
	}
	user := &User{}
	if len(u.ID) == 0 {
		return nil, errors.New(`"user" has no "id"`)
	}
	if err := json.Unmarshal(u.ID, &user.ID); err != nil {
		return nil, errors.New(`"user.id" must be a string (the legacy id as a string)`)
	}
	if user.ID == "" {
		return nil, errors.New(`"user.id" is empty`)
	}
	if err := ident.CheckLegacyID(user.ID); err != nil {
		return nil, fmt.Errorf(`"user.id": %w`, err)
	}
	if u.Email != nil {
		user.Email = *u.Email
	}
	if u.Username != nil {
		user.Username = *u.Username
	}
	if user.Email == "" && user.Username == "" {
		return nil, errors.New(`"user" needs a non-empty "email" or "username"`)
	}
	if user.Email != "" {
		if err := ident.CheckEmail(ident.Normalize(user.Email)); err != nil {
			return nil, fmt.Errorf(`"user.email": %w`, err)
		}
	}
	if user.Username != "" {
		if err := ident.CheckUsername(ident.Normalize(user.Username)); err != nil {
			return nil, fmt.Errorf(`"user.username": %w`, err)
		}
	}
	if u.EmailVerified != nil {
		user.EmailVerified = *u.EmailVerified
	}
	if u.Name != nil {
		user.Name = *u.Name
	}
	if len(u.Profile) > 0 && !bytes.Equal(u.Profile, []byte("null")) {
		if err := json.Unmarshal(u.Profile, &user.Profile); err != nil || user.Profile == nil {
			return nil, errors.New(`"user.profile" must be an object`)
		}
		if err := ident.CheckProfile(user.Profile); err != nil {
			return nil, fmt.Errorf(`"user.profile": %w`, err)
		}
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
