//go:build wasip1

package wasmauth

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Result is a db_query response: the column names and the rows. Values are nil,
// bool, string or json.Number (numbers keep their exact text); bytes come as base64
// strings and times as RFC 3339 strings.
type Result struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

// SQLError is an SQL error reported by the tenant's database: data, not a host status.
type SQLError struct {
	Message string
}

// Error returns the driver's message.
func (e *SQLError) Error() string { return "sql: " + e.Message }

type queryRequest struct {
	SQL  string `json:"sql"`
	Args []any  `json:"args"`
}

type queryResponse struct {
	Result
	Error *string `json:"error"`
}

// Query runs a read-only statement on the tenant's connection. Placeholders are the
// driver's: $1, $2, ... for postgres and ? for mysql and sqlite. It returns a Status
// (for example StatusLimit after too many queries) or an *SQLError on failure.
func Query(sql string, args ...any) (Result, error) {
	if args == nil {
		args = []any{}
	}
	req, err := json.Marshal(queryRequest{SQL: sql, Args: args})
	if err != nil {
		return Result{}, fmt.Errorf("wasmauth: encoding query: %w", err)
	}
	n := hostDBQuery(bytesPtr(req), int32(len(req)))
	if n < 0 {
		return Result{}, Status(n)
	}
	raw, err := readLastResult(n)
	if err != nil {
		return Result{}, err
	}
	var resp queryResponse
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&resp); err != nil {
		return Result{}, fmt.Errorf("wasmauth: decoding query response: %w", err)
	}
	if resp.Error != nil {
		return Result{}, &SQLError{Message: *resp.Error}
	}
	return resp.Result, nil
}

// Text returns a value of a Result as text: a string as it is, a number as its JSON
// text, and false for anything else (null, booleans).
func Text(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

// Truthy reports whether a value of a Result reads as true: the boolean true, a number
// other than zero, or the strings "1", "t" and "true" (how some drivers spell booleans).
func Truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case json.Number:
		f, err := v.Float64()
		return err == nil && f != 0
	case string:
		return v == "1" || v == "t" || v == "true"
	}
	return false
}
