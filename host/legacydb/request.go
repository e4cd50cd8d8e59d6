package legacydb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// request is a parsed db_query request.
type request struct {
	SQL  string
	Args []any
}

// parseRequest parses the guest's {"sql": "...", "args": [...]}. Its errors are messages
// for the guest.
func parseRequest(b []byte) (request, error) {
	var raw struct {
		SQL  *string           `json:"sql"`
		Args []json.RawMessage `json:"args"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return request{}, fmt.Errorf("invalid request: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return request{}, errors.New("invalid request: data after the JSON object")
	}
	if raw.SQL == nil || strings.TrimSpace(*raw.SQL) == "" {
		return request{}, errors.New(`invalid request: "sql" is missing or empty`)
	}
	req := request{SQL: *raw.SQL}
	if len(raw.Args) > 0 {
		req.Args = make([]any, len(raw.Args))
	}
	for i, a := range raw.Args {
		v, err := parseArg(a)
		if err != nil {
			return request{}, fmt.Errorf("invalid request: args[%d]: %v", i, err)
		}
		req.Args[i] = v
	}
	return req, nil
}

// parseArg turns one JSON argument into the value bound for it: int64 for an integral
// number that fits, float64 for other numbers, string, bool or nil.
func parseArg(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, errors.New("empty value")
	}
	switch c := raw[0]; {
	case c == 'n':
		return nil, nil
	case c == 't':
		return true, nil
	case c == 'f':
		return false, nil
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return s, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return parseNumber(string(raw))
	default:
		return nil, errors.New("objects and arrays cannot be bound; use numbers, strings, booleans or null")
	}
}

func parseNumber(s string) (any, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("number %s is out of range", s)
	}
	// 2^63 is exactly representable; every integral float64 below it fits in int64.
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return int64(f), nil
	}
	return f, nil
}
