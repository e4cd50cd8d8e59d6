package legacydb

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzQueryRequest runs arbitrary request bytes through Query on a SQLite database: the
// answer is always a well-formed response (or ErrTooLarge), never a panic or a Go error.
func FuzzQueryRequest(f *testing.F) {
	b := sqliteBackend(f)
	table := usersTable(f, b)
	db := openTenant(f, b)
	for _, seed := range []string{
		`{"sql": "SELECT id, email FROM ` + table + ` WHERE email = ?", "args": ["a@example.com"]}`,
		`{"sql": "SELECT * FROM ` + table + `"}`,
		`{"sql": "SELECT ?, ?, ?, ?, ?", "args": [1, 1.5, "s", true, null]}`,
		`{"sql": "SELECT ?", "args": [{"a": 1}]}`,
		`{"sql": "SELECT ?", "args": [1e400]}`,
		`{"sql": "DELETE FROM ` + table + `"}`,
		`{"sql": "ATTACH 'x' AS y"}`,
		`{"sql": "SELECT 1; ATTACH 'x' AS y"}`,
		`{"sql": "/*!SELECT 1*/"}`,
		`{"sql": "SELECT zeroblob(100000)"}`,
		`{"sql": ""}`,
		`{"sql": 1}`,
		`{"args": []}`,
		`{}`,
		`[]`,
		`null`,
		`{"sql": "SELECT 1"} x`,
		`{"sql": "SELECT '\u0000\ud800'"}`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, req []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		resp, err := db.Query(ctx, req, Limits{MaxRows: 10, MaxBytes: 4 << 10})
		if errors.Is(err, ErrTooLarge) {
			return
		}
		if err != nil {
			t.Fatalf("Query(%q): %v", req, err)
		}
		if len(resp) > 4<<10 {
			t.Fatalf("response of %d bytes over MaxBytes", len(resp))
		}
		var r struct {
			Error     *string  `json:"error"`
			Columns   []string `json:"columns"`
			Rows      [][]any  `json:"rows"`
			Truncated bool     `json:"truncated"`
		}
		if err := json.Unmarshal(resp, &r); err != nil {
			t.Fatalf("Query(%q) = %q: %v", req, resp, err)
		}
		if (r.Error == nil) == (r.Columns == nil) {
			t.Fatalf("Query(%q) = %s: want either an error or columns", req, resp)
		}
		if r.Error == nil && (r.Rows == nil || len(r.Rows) > 10) {
			t.Fatalf("Query(%q) = %s: bad rows", req, resp)
		}
		for _, row := range r.Rows {
			if len(row) != len(r.Columns) {
				t.Fatalf("Query(%q) = %s: row width", req, resp)
			}
		}
	})
}
