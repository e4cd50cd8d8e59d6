package legacydb

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCheckStatement(t *testing.T) {
	tests := []struct {
		name    string
		d       dialect
		sql     string
		allowed bool
	}{
		{"select", sqliteDialect, "SELECT 1", true},
		{"lower case", sqliteDialect, "select 1", true},
		{"with", postgresDialect, "WITH x AS (SELECT 1) SELECT * FROM x", true},
		{"values", postgresDialect, "VALUES (1)", true},
		{"table", postgresDialect, "TABLE users", true},
		{"parenthesised", mysqlDialect, "(SELECT 1) UNION (SELECT 2)", true},
		{"show", mysqlDialect, "SHOW TABLES", true},
		{"explain", postgresDialect, "EXPLAIN SELECT 1", true},
		{"leading space and comments", mysqlDialect, " \n-- c\n# c\n/* c */ SELECT 1", true},
		{"pg nested comment", postgresDialect, "/* a /* b */ c */ SELECT 1", true},
		{"pg nested comment hiding a statement", postgresDialect, "/* a /* b */ SELECT 1 */ DROP TABLE t", false},
		{"mysql comments do not nest", mysqlDialect, "/* a /* b */ DROP TABLE t /* */", false},
		{"mysql executable comment", mysqlDialect, "/*!DROP TABLE t*/", false},
		{"mariadb executable comment", mysqlDialect, "/*M!100000 DROP TABLE t*/", false},
		{"pg hash is not a comment", postgresDialect, "# c\nSELECT 1", false},
		{"unterminated comment", sqliteDialect, "/* SELECT 1", false},
		{"line comment only", sqliteDialect, "-- SELECT 1", false},
		{"empty", sqliteDialect, "", false},
		{"insert", sqliteDialect, "INSERT INTO t VALUES (1)", false},
		{"delete", postgresDialect, "delete from t", false},
		{"copy", postgresDialect, "COPY t TO '/tmp/x'", false},
		{"do", postgresDialect, "DO $$ BEGIN END $$", false},
		{"call", mysqlDialect, "CALL p()", false},
		{"set", mysqlDialect, "SET SESSION TRANSACTION READ WRITE", false},
		{"attach", sqliteDialect, "ATTACH 'x' AS y", false},
		{"vacuum", sqliteDialect, "VACUUM INTO 'x'", false},
		{"pragma", sqliteDialect, "PRAGMA query_only=0", false},
		{"number", sqliteDialect, "1", false},
		{"selectx", sqliteDialect, "SELECTX 1", false},
		{"load_file", mysqlDialect, "SELECT LOAD_FILE('/etc/passwd')", false},
		{"outfile", mysqlDialect, "SELECT 1 INTO OUTFILE '/tmp/x'", false},
		{"dumpfile in comment", mysqlDialect, "SELECT 1 /*!INTO DUMPFILE '/tmp/x'*/", false},
		{"infile", mysqlDialect, "SELECT 1 FROM t WHERE 1 /* LOAD DATA INFILE */", false},
		{"load_file in a longer name", mysqlDialect, "SELECT my_load_file_count FROM t", true},
		{"pg_read_file", postgresDialect, "SELECT pg_read_file('/etc/passwd')", false},
		{"pg_ls_dir", postgresDialect, "SELECT pg_ls_dir('.')", false},
		{"dblink_exec", postgresDialect, "SELECT dblink_exec('x', 'DROP TABLE t')", false},
		{"lo_export", postgresDialect, "SELECT lo_export(1, '/tmp/x')", false},
		{"pg words are fine in mysql", mysqlDialect, "SELECT pg_read_file FROM t", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.d.checkStatement(tt.sql)
			if (err == nil) != tt.allowed {
				t.Errorf("checkStatement(%q) = %v, want allowed %v", tt.sql, err, tt.allowed)
			}
		})
	}
}

func TestParseArg(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{`1`, int64(1)},
		{`-0`, int64(0)},
		{`9223372036854775807`, int64(math.MaxInt64)},
		{`-9223372036854775808`, int64(math.MinInt64)},
		{`9223372036854775808`, 9223372036854775808.0},
		{`2.0`, int64(2)},
		{`1e3`, int64(1000)},
		{`1.5`, 1.5},
		{`1e300`, 1e300},
		{`"a\u00e9\n"`, "aé\n"},
		{`""`, ""},
		{`true`, true},
		{`false`, false},
		{`null`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseArg(json.RawMessage(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseArg(%s) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
	for _, bad := range []string{`{}`, `[]`, `1e400`, `-1e400`} {
		if _, err := parseArg(json.RawMessage(bad)); err == nil {
			t.Errorf("parseArg(%s) succeeded", bad)
		}
	}
}

func TestAppendValue(t *testing.T) {
	tm := time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	tests := []struct {
		name   string
		v      any
		binary bool
		want   string
	}{
		{"nil", nil, false, `null`},
		{"int64", int64(-42), false, `-42`},
		{"big int64", int64(math.MaxInt64), false, `9223372036854775807`},
		{"uint64", uint64(math.MaxUint64), false, `18446744073709551615`},
		{"float64", 0.1, false, `0.1`},
		{"float64 big", 1e21, false, `1e+21`},
		{"float32", float32(0.1), false, `0.1`},
		{"NaN", math.NaN(), false, `"NaN"`},
		{"+Inf", math.Inf(1), false, `"Infinity"`},
		{"-Inf", math.Inf(-1), false, `"-Infinity"`},
		{"bool", true, false, `true`},
		{"string", "a\"b\\c\x00\u2028<>&é", false, `"a\"b\\c\u0000\u2028<>&é"`},
		{"invalid utf-8", "a\xffb", false, `"a\ufffdb"`},
		{"text bytes", []byte("héllo"), false, `"héllo"`},
		{"binary bytes", []byte{0, 1, 2, 255}, true, `"AAEC/w=="`},
		{"empty binary", []byte{}, true, `""`},
		{"time in UTC with nanos", tm, false, `"2024-01-02T02:04:05.000000006Z"`},
		{"time without fraction", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), false, `"2024-01-02T03:04:05Z"`},
		{"other", struct{ A int }{1}, false, `"{1}"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(appendValue(nil, tt.v, tt.binary))
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("%s is not valid JSON", got)
			}
		})
	}
}

func TestErrorResponse(t *testing.T) {
	long := strings.Repeat("é", 3000)
	resp := errorResponse(long)
	var r struct{ Error string }
	if err := json.Unmarshal(resp, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Error) > maxErrorMessage+len("…") || !strings.HasSuffix(r.Error, "…") || strings.ContainsRune(r.Error, '\uFFFD') {
		t.Errorf("cut message: %d bytes, %q…", len(r.Error), r.Error[:20])
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a", "\"\\", "\x00\x1f", "\u2028\u2029", "\xff\xfe", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("appendString(%q) = %s: %v", s, got, err)
		}
		// Each invalid byte becomes one U+FFFD, as a conversion to []rune does.
		if want := string([]rune(s)); back != want {
			t.Fatalf("round trip of %q gave %q", s, back)
		}
	})
}

func TestReadBudgetConn(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	rb := &readBudgetConn{Conn: client}
	forgotten := false
	forget := func() { forgotten = true }
	rb.onClose.Store(&forget)
	rb.arm(10)

	go func() {
		buf := make([]byte, 3)
		io.ReadFull(server, buf)                    // the request
		server.Write(bytes.Repeat([]byte("x"), 8))  // a response within the budget
		io.ReadFull(server, buf)                    // the next request
		server.Write(bytes.Repeat([]byte("y"), 20)) // a response over it
	}()

	rb.Write([]byte("req"))
	got := make([]byte, 8)
	if _, err := io.ReadFull(rb, got); err != nil || rb.tripped.Load() {
		t.Fatalf("first response: %v, tripped %v", err, rb.tripped.Load())
	}
	rb.Write([]byte("req")) // resets the count
	got = make([]byte, 20)
	n, err := io.ReadFull(rb, got)
	if !errors.Is(err, errReadBudget) || n != 10 {
		t.Errorf("second response: read %d, %v; want 10 bytes then errReadBudget", n, err)
	}
	if !rb.tripped.Load() {
		t.Error("not tripped")
	}
	rb.arm(10)
	if rb.tripped.Load() {
		t.Error("arm did not reset")
	}
	rb.Close()
	rb.Close()
	if !forgotten {
		t.Error("Close did not forget the connection")
	}
}
