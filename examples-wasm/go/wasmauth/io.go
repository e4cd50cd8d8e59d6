//go:build wasip1

package wasmauth

import (
	"encoding/json"
	"fmt"
)

// Input is one call's input: the identifier as the user typed it (trimmed and
// NFC-normalised, case kept), the password (login and verify_hash), the tenant's id and
// the tenant's connection config; list_users gets Cursor and Limit, verify_hash
// PasswordHash (ABI v1.1).
type Input struct {
	Op           string         `json:"op"` // "list_users", "verify_hash"; empty for login and get_user
	Identifier   string         `json:"identifier"`
	Password     string         `json:"password"`
	Tenant       string         `json:"tenant"`
	Config       map[string]any `json:"config"`
	Driver       string         `json:"driver"`        // "postgres", "mysql", "sqlite" when a connection is set
	Cursor       *string        `json:"cursor"`        // list_users: nil for the first page, else the last page's next cursor
	Limit        int            `json:"limit"`         // list_users: the most users the page may hold
	PasswordHash string         `json:"password_hash"` // verify_hash: the legacy hash to check Password against
}

// MaxPage is the most users the examples put in one list_users page: db_query returns
// at most 100 rows by default.
const MaxPage = 100

// PageSize returns the list_users limit clamped to 1..max (max when the input has none).
func (in Input) PageSize(max int) int {
	if in.Limit < 1 || in.Limit > max {
		return max
	}
	return in.Limit
}

// Setting returns the config value under key when it is a non-empty string, and
// fallback otherwise.
func (in Input) Setting(key, fallback string) string {
	if s, ok := in.Config[key].(string); ok && s != "" {
		return s
	}
	return fallback
}

// ReadInput reads and decodes this call's input JSON.
func ReadInput() (Input, error) {
	var in Input
	n := hostInputLen()
	if n < 0 {
		return in, Status(n)
	}
	buf := make([]byte, n)
	if n > 0 {
		got := hostInputRead(bytesPtr(buf), n)
		if got < 0 {
			return in, Status(got)
		}
		buf = buf[:got]
	}
	if err := json.Unmarshal(buf, &in); err != nil {
		return in, fmt.Errorf("wasmauth: decoding input: %w", err)
	}
	return in, nil
}

// User is the legacy user a script answers with. ID must not be empty, and Email or
// Username must be set; empty strings are left out of the answer.
type User struct {
	ID            string         `json:"id"`
	Email         string         `json:"email,omitempty"`
	Username      string         `json:"username,omitempty"`
	EmailVerified bool           `json:"email_verified"`
	Name          string         `json:"name,omitempty"`
	Profile       map[string]any `json:"profile"`
}

// The reasons a login may give for answering with no user. They reach the tenant's
// stats and log, never the end user.
const (
	ReasonNotFound      = "not_found"
	ReasonWrongPassword = "wrong_password"
	ReasonInactive      = "inactive" // the legacy account is disabled or was never activated
	ReasonLocked        = "locked"   // the legacy app locked the account
)

// MaxID is the longest legacy id a rejection may carry, in bytes.
const MaxID = 256

type answer struct {
	User   *User  `json:"user"`
	Reason string `json:"reason,omitempty"`
	ID     string `json:"id,omitempty"`
}

// Answer sets this call's output: user, or no user (nil) with an optional reason.
// A nil Profile is sent as {}. The last accepted answer of a call wins.
func Answer(user *User, reason string) error {
	if user != nil && user.Profile == nil {
		u := *user
		u.Profile = map[string]any{}
		user = &u
	}
	return output(answer{User: user, Reason: reason})
}

// Reject answers no user with a reason and the legacy id of the account the
// identifier named (ABI v1.1): give the id on a wrong password, so that the host counts
// failures per account whatever spelling of the identifier was typed. An empty id, or
// one longer than MaxID bytes, is left out.
func Reject(reason, id string) error {
	if len(id) > MaxID {
		id = ""
	}
	return output(answer{Reason: reason, ID: id})
}

// output sets a as this call's output.
func output(a any) error {
	out, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("wasmauth: encoding answer: %w", err)
	}
	if st := hostOutputSet(bytesPtr(out), int32(len(out))); st != 0 {
		return Status(st)
	}
	return nil
}

// ListedUser is one user of a list_users page: the user and its legacy password hash
// exactly as stored ("" for none, sent as null).
type ListedUser struct {
	User
	PasswordHash string
}

type listedUser struct {
	User
	PasswordHash *string `json:"password_hash"`
}

type page struct {
	Users      []listedUser `json:"users"`
	NextCursor *string      `json:"next_cursor"`
}

// AnswerPage answers a list_users call (ABI v1.1): the page's users and the cursor the
// host passes back for the next page, "" (null) after the last page. The page must fit
// the 64 KiB output limit; the host's drain page size lowers it.
func AnswerPage(users []ListedUser, next string) error {
	p := page{Users: make([]listedUser, 0, len(users))}
	for _, u := range users {
		lu := listedUser{User: u.User}
		if lu.Profile == nil {
			lu.Profile = map[string]any{}
		}
		if u.PasswordHash != "" {
			h := u.PasswordHash
			lu.PasswordHash = &h
		}
		p.Users = append(p.Users, lu)
	}
	if next != "" {
		p.NextCursor = &next
	}
	return output(p)
}

// AnswerVerified answers a verify_hash call (ABI v1.1): whether the password matches
// the hash. A hash whose format the module does not know is not false: fail the call.
func AnswerVerified(ok bool) error {
	return output(struct {
		OK bool `json:"ok"`
	}{ok})
}
