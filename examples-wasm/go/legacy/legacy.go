//go:build wasip1

// Command legacy is the wasmauth example guest in Go: login and get_user against a
// legacy "users" table (see examples-wasm/README.md for the behaviour every example
// shares).
//
// Build (from examples-wasm/go/legacy):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w' -o legacy.wasm .
package main

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/wasmauth/wasmauth/examples-wasm/go/wasmauth"
)

// main is not called in a reactor (c-shared) build; the host calls _initialize and
// then the exports below.
func main() {}

//go:wasmexport login
func login() int32 { return run(true) }

//go:wasmexport get_user
func getUser() int32 { return run(false) }

// run implements both exports; the returned value is the export's result.
func run(isLogin bool) int32 {
	if err := handle(isLogin); err != nil {
		wasmauth.Log(wasmauth.Error, err.Error())
		return 1
	}
	return 0
}

// handle answers one call, or returns why the script failed.
func handle(isLogin bool) error {
	in, err := wasmauth.ReadInput()
	if err != nil {
		return err
	}
	table := in.Setting("table", "users")
	if !validTable(table) {
		return errors.New("config: table must be 1-64 characters of A-Z a-z 0-9 _ .")
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
	cols := "id, email, username, email_verified, name"
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
	row := res.Rows[0]
	if len(row) < 5 {
		return errors.New("db_query: too few columns")
	}
	id, ok := wasmauth.Text(row[0])
	if !ok || id == "" {
		return errors.New("user row has no usable id")
	}
	user := &wasmauth.User{
		ID:            id,
		Email:         str(row[1]),
		Username:      str(row[2]),
		EmailVerified: wasmauth.Truthy(row[3]),
		Name:          str(row[4]),
	}
	if isLogin {
		if len(row) < 6 {
			return errors.New("db_query: too few columns")
		}
		ok, err := checkPassword(id, str(row[5]), in.Password)
		if err != nil {
			return err
		}
		if !ok {
			return wasmauth.Reject(wasmauth.ReasonWrongPassword, id)
		}
	}
	return wasmauth.Answer(user, "")
}

// checkPassword verifies password against the user's stored hash: salted SHA-256
// ("sha256$<salt>$<hex of sha256(salt + password)>") here, every other format with the
// host's verify_password. A user without a hash cannot log in.
func checkPassword(id, hash, password string) (bool, error) {
	if hash == "" {
		wasmauth.Log(wasmauth.Warn, "user "+id+" has no password hash")
		return false, nil
	}
	if rest, ok := strings.CutPrefix(hash, "sha256$"); ok {
		salt, want, ok := strings.Cut(rest, "$")
		if !ok {
			return false, errors.New("user " + id + ": malformed sha256 hash")
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
		return false, errors.New("verify_password for user " + id + ": " + err.Error())
	}
	return ok, nil
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
