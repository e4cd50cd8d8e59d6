package ident

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// User is a user of a legacy database, as a tenant's module answers it or an
// import file lists it.
type User struct {
	ID            string         // the legacy id, never empty
	Email         string         // may be empty when Username is not
	Username      string         // may be empty when Email is not
	EmailVerified bool           //
	Name          string         //
	Profile       map[string]any // nil when absent
	// PasswordHash is the legacy hash string (list_users and imports
	// only); nil when absent, null or empty.
	PasswordHash *string
}

// ParseUser parses and checks one legacy user object, as a module's answer
// or an import line gives it: a non-empty string "id" that passes
// CheckLegacyID; a non-empty "email" or "username" that pass CheckEmail and
// CheckUsername once normalised; "email_verified" a boolean, "name" a
// string, "profile" an object that passes CheckProfile, "password_hash" a
// string (each optional, null as absent). Unknown fields are ignored. what
// names the object in errors ("user", "users[3]").
func ParseUser(raw json.RawMessage, what string) (*User, error) {
	var u struct {
		ID            json.RawMessage `json:"id"`
		Email         *string         `json:"email"`
		Username      *string         `json:"username"`
		EmailVerified *bool           `json:"email_verified"`
		Name          *string         `json:"name"`
		Profile       json.RawMessage `json:"profile"`
		PasswordHash  *string         `json:"password_hash"`
	}
	if err := json.Unmarshal(raw, &u); err != nil {
		return nil, fmt.Errorf("%q is not a valid user object: %w", what, err)
	}
	user := &User{}
	if len(u.ID) == 0 {
		return nil, fmt.Errorf("%q has no \"id\"", what)
	}
	if err := json.Unmarshal(u.ID, &user.ID); err != nil {
		return nil, fmt.Errorf("\"%s.id\" must be a string (the legacy id as a string)", what)
	}
	if user.ID == "" {
		return nil, fmt.Errorf("\"%s.id\" is empty", what)
	}
	if err := CheckLegacyID(user.ID); err != nil {
		return nil, fmt.Errorf("\"%s.id\": %w", what, err)
	}
	if u.Email != nil {
		user.Email = *u.Email
	}
	if u.Username != nil {
		user.Username = *u.Username
	}
	if user.Email == "" && user.Username == "" {
		return nil, fmt.Errorf("%q needs a non-empty \"email\" or \"username\"", what)
	}
	if user.Email != "" {
		if err := CheckEmail(Normalize(user.Email)); err != nil {
			return nil, fmt.Errorf("\"%s.email\": %w", what, err)
		}
	}
	if user.Username != "" {
		if err := CheckUsername(Normalize(user.Username)); err != nil {
			return nil, fmt.Errorf("\"%s.username\": %w", what, err)
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
			return nil, fmt.Errorf("\"%s.profile\" must be an object", what)
		}
		if err := CheckProfile(user.Profile); err != nil {
			return nil, fmt.Errorf("\"%s.profile\": %w", what, err)
		}
	}
	if u.PasswordHash != nil && *u.PasswordHash != "" {
		h := *u.PasswordHash
		user.PasswordHash = &h
	}
	return user, nil
}
