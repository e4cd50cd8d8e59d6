//go:build wasip1

// Command legacy is the wasmauth example guest in Go: login and get_user against a
// legacy "users" table, and ABI v1.1's list_users and verify_hash (see
// examples-wasm/README.md for the behaviour every example shares).
//
// Build (from examples-wasm/go/legacy):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w' -o legacy.wasm .
package main

import (
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"

	"github.com/wasmauth/wasmauth/examples-wasm/go/wasmauth"
)

// main is not called in a reactor (c-shared) build; the host calls _initialize and
// then the exports below.
func main() {}

//go:wasmexport login
func login() int32 { return finish(handle(true)) }

//go:wasmexport get_user
func getUser() int32 { return finish(handle(false)) }

//go:wasmexport list_users
func listUsers() int32 { return finish(handleList()) }

//go:wasmexport verify_hash
func verifyHash() int32 { return finish(handleVerify()) }

// finish turns a handler's outcome into the export's result, logging a failure.
func finish(err error) int32 {
	if err != nil {
		wasmauth.Log(wasmauth.Error, err.Error())
		return 1
	}
	return 0
}

// columns are the columns of a user, in rowUser's order; login and list_users add
// password_hash.
const columns = "id, email, username, email_verified, name"

// handle answers login or get_user, or returns why the script failed.
func handle(isLogin bool) error {
	in, err := wasmauth.ReadInput()
	if err != nil {
		return err
	}
	table, err := tableOf(in)
	if err != nil {
		return err
	}
	notFound := ""
	if isLogin {
		notFound = wasmauth.ReasonNotFound
	}
	if in.Identifier == "" {
		return wasmauth.Answer(nil, notFound)
	}
	p1, p2 := "?", "?"
	if in.Setting("dialect", "") == "postgres" {
		p1, p2 = "$1", "$2"
	}
	cols := columns
	if isLogin {
		cols += ", password_hash"
	}
	sql := "SELECT " + cols + " FROM " + table +
		" WHERE lower(email) = lower(" + p1 + ") OR lower(username) = lower(" + p2 + ")" +
		" ORDER BY id LIMIT 1"
	res, err := wasmauth.Query(sql, in.Identifier, in.Identifier)
	if err != nil {
		return errors.New("db_query: " + err.Error())
	}
	if len(res.Rows) == 0 {
		return wasmauth.Answer(nil, notFound)
	}
	user, hash, err := rowUser(res.Rows[0])
	if err != nil {
		return err
	}
	if isLogin {
		ok, err := checkPassword(hash, in.Password)
		if err != nil {
			return errors.New("user " + user.ID + ": " + err.Error())
		}
		if !ok {
			return wasmauth.Reject(wasmauth.ReasonWrongPassword, user.ID)
		}
	}
	return wasmauth.Answer(user, "")
}

// handleList answers list_users: the users after the cursor (the last id of the
// previous page) in id order, at most Input.PageSize of them, each with its hash.
func handleList() error {
	in, err := wasmauth.ReadInput()
	if err != nil {
		return err
	}
	table, err := tableOf(in)
	if err != nil {
		return err
	}
	pg := in.Setting("dialect", "") == "postgres"
	limit := in.PageSize(wasmauth.MaxPage)
	sql := "SELECT " + columns + ", password_hash FROM " + table
	var args []any
	if in.Cursor != nil {
		if !digits(*in.Cursor) {
			return errors.New("list_users: the cursor must be 1-18 digits")
		}
		// A JSON number: the database compares integers, not text.
		args = append(args, json.Number(*in.Cursor))
		sql += " WHERE id > " + placeholder(pg, len(args))
	}
	args = append(args, limit)
	sql += " ORDER BY id LIMIT " + placeholder(pg, len(args))
	res, err := wasmauth.Query(sql, args...)
	if err != nil {
		return errors.New("db_query: " + err.Error())
	}
	users := make([]wasmauth.ListedUser, 0, len(res.Rows))
	for _, row := range res.Rows {
		user, hash, err := rowUser(row)
		if err != nil {
			return err
		}
		users = append(users, wasmauth.ListedUser{User: *user, PasswordHash: hash})
	}
	next := ""
	if len(users) == limit {
		next = users[len(users)-1].ID
	}
	return wasmauth.AnswerPage(users, next)
}

// handleVerify answers verify_hash with the same check as login; it has no database.
func handleVerify() error {
	in, err := wasmauth.ReadInput()
	if err != nil {
		return err
	}
	ok, err := checkPassword(in.PasswordHash, in.Password)
	if err != nil {
		return errors.New("verify_hash: " + err.Error())
	}
	return wasmauth.AnswerVerified(ok)
}

// rowUser reads a row of columns: the user, and its password hash when the row has a
// sixth column ("" for none).
func rowUser(row []any) (*wasmauth.User, string, error) {
	if len(row) < 5 {
		return nil, "", errors.New("db_query: too few columns")
	}
	hash := ""
	if len(row) > 5 {
		hash = str(row[5])
	}
	id, ok := wasmauth.Text(row[0])
	if !ok || id == "" {
		return nil, "", errors.New("user row has no usable id")
	}
	return &wasmauth.User{
		ID:            id,
		Email:         str(row[1]),
		Username:      str(row[2]),
		EmailVerified: wasmauth.Truthy(row[3]),
		Name:          str(row[4]),
	}, hash, nil
}

// checkPassword verifies password against a stored hash: salted SHA-256
// ("sha256$<salt>$<hex of sha256(salt + password)>") here, every other format with the
// host's verify_password (an unknown format is an error). No hash matches nothing.
func checkPassword(hash, password string) (bool, error) {
	if hash == "" {
		wasmauth.Log(wasmauth.Warn, "no password hash")
		return false, nil
	}
	if rest, ok := strings.CutPrefix(hash, "sha256$"); ok {
		salt, want, ok := strings.Cut(rest, "$")
		if !ok {
			return false, errors.New("malformed sha256 hash")
		}
		sum, err := wasmauth.Digest("sha256", []byte(salt+password))
		if err != nil {
			return false, errors.New("digest: " + err.Error())
		}
		got := hex.EncodeToString(sum)
		return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1, nil
	}
	ok, err := wasmauth.VerifyPassword(hash, password)
	if err != nil {
		return false, errors.New("verify_password: " + err.Error())
	}
	return ok, nil
}

// tableOf returns the config's table, checked.
func tableOf(in wasmauth.Input) (string, error) {
	table := in.Setting("table", "users")
	if !validTable(table) {
		return "", errors.New("config: table must be 1-64 characters of A-Z a-z 0-9 _ .")
	}
	return table, nil
}

// placeholder returns the n-th placeholder of the dialect.
func placeholder(pg bool, n int) string {
	if pg {
		return "$" + string(rune('0'+n))
	}
	return "?"
}

// digits reports whether s is 1 to 18 ASCII digits (an id that fits in int64).
func digits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// str returns a string column's value, or "" for NULL and other types.
func str(v any) string {
	s, _ := v.(string)
	return s
}

// validTable reports whether name is safe to splice into SQL as a table name.
func validTable(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
