package legacydb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestQueryValues(t *testing.T) {
	// Per driver: decimals are strings (postgres, mysql) or stored numbers (sqlite's
	// NUMERIC affinity); booleans are booleans (postgres) or 0/1.
	want := map[string]string{
		"postgres": `{"columns":["id","email","name","score","balance","active","nickname","avatar","created_at","small"],"rows":[` +
			`[2,"b@example.com","Bob\n",-2.25,"0.10",false,"bobby",null,"2024-06-30T12:00:00Z",-7],` +
			`[9007199254740993,"a@example.com","Alice \"A\" <x>",1.5,"1234.50",true,null,"AAEC/w==","2024-01-02T03:04:05.123456Z",42]]}`,
		"mysql": `{"columns":["id","email","name","score","balance","active","nickname","avatar","created_at","small"],"rows":[` +
			`[2,"b@example.com","Bob\n",-2.25,"0.10",0,"bobby",null,"2024-06-30T12:00:00Z",-7],` +
			`[9007199254740993,"a@example.com","Alice \"A\" <x>",1.5,"1234.50",1,null,"AAEC/w==","2024-01-02T03:04:05.123456Z",42]]}`,
		"sqlite": `{"columns":["id","email","name","score","balance","active","nickname","avatar","created_at","small"],"rows":[` +
			`[2,"b@example.com","Bob\n",-2.25,0.1,0,"bobby",null,"2024-06-30T12:00:00Z",-7],` +
			`[9007199254740993,"a@example.com","Alice \"A\" <x>",1.5,1234.5,1,null,"AAEC/w==","2024-01-02T03:04:05.123456Z",42]]}`,
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		table := usersTable(t, b)
		db := openTenant(t, b)
		got := query(t, db, "SELECT id, email, name, score, balance, active, nickname, avatar, created_at, small FROM "+table+" ORDER BY id")
		if got != want[b.name] {
			t.Errorf("got  %s\nwant %s", got, want[b.name])
		}
	})
}

func TestQueryArgs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		table := usersTable(t, b)
		db := openTenant(t, b)
		nullSafeEq := map[string]string{"postgres": "IS NOT DISTINCT FROM $1::text", "mysql": "<=> ?", "sqlite": "IS ?"}[b.name]
		tests := []struct {
			name, where string
			arg         any
			wantID      string
		}{
			{"string", "email = " + b.ph(1), "b@example.com", "2"},
			{"int", "id = " + b.ph(1), 2, "2"},
			{"big int", "id = " + b.ph(1), int64(9007199254740993), "9007199254740993"},
			{"integral float binds as int", "id = " + b.ph(1), 2.0, "2"},
			{"float", "score = " + b.ph(1), 1.5, "9007199254740993"},
			{"bool", "active = " + b.ph(1), false, "2"},
			{"null", "nickname " + nullSafeEq, nil, "9007199254740993"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := query(t, db, "SELECT id FROM "+table+" WHERE "+tt.where, tt.arg)
				if want := `{"columns":["id"],"rows":[[` + tt.wantID + `]]}`; got != want {
					t.Errorf("got %s, want %s", got, want)
				}
			})
		}
		t.Run("no match", func(t *testing.T) {
			got := query(t, db, "SELECT id, email FROM "+table+" WHERE email = "+b.ph(1), "nobody@example.com")
			if want := `{"columns":["id","email"],"rows":[]}`; got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
		t.Run("wrong number of args", func(t *testing.T) {
			if b.name == "sqlite" {
				t.Skip("modernc.org/sqlite ignores extra arguments")
			}
			got := query(t, db, "SELECT id FROM "+table+" WHERE email = "+b.ph(1), "a", "b")
			if responseError(t, got) == "" {
				t.Errorf("got %s, want an error response", got)
			}
		})
	})
}

func TestQueryWritesFail(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		table := usersTable(t, b)
		other := uniqueTable(t, b, "created")
		// A legacy application's account may write its tables: the guard and the
		// read-only transaction, not the account, stop these.
		grant(t, b, "ALL ON "+table)
		if b.name == "postgres" {
			exec(t, b, table, "CREATE SEQUENCE %[1]s_seq")
			t.Cleanup(func() { b.admin.Exec("DROP SEQUENCE IF EXISTS " + table + "_seq") })
			grant(t, b, "ALL ON SEQUENCE "+table+"_seq")
		}
		db := openTenant(t, b)
		stmts := []string{
			"INSERT INTO " + table + " (id, email) VALUES (3, 'c@example.com')",
			"UPDATE " + table + " SET email = 'x'",
			"DELETE FROM " + table,
			"CREATE TABLE " + other + " (id int)",
			"DROP TABLE " + table,
			"TRUNCATE TABLE " + table,
			"ALTER TABLE " + table + " ADD COLUMN x int",
			"SELECT 1; DELETE FROM " + table,
			"/* comment */ DELETE FROM " + table,
			"-- comment\nDROP TABLE " + table,
		}
		switch b.name {
		case "postgres":
			stmts = append(stmts,
				// Past the statement guard: the read-only transaction stops these.
				"WITH d AS (DELETE FROM "+table+" RETURNING id) SELECT * FROM d",
				"SELECT * FROM (VALUES (1)) v; DELETE FROM "+table,
				"SELECT nextval('"+table+"_seq')",
				"COPY "+table+" TO '/tmp/"+table+".csv'",
				"/* a /* nested */ SELECT 1 */ DROP TABLE "+table,
			)
		case "mysql":
			stmts = append(stmts,
				"/*!DROP TABLE "+table+"*/",
				"SELECT 1 /*!; DROP TABLE "+table+"*/",
				"SELECT * FROM "+table+" FOR UPDATE; DELETE FROM "+table,
			)
		case "sqlite":
			stmts = append(stmts,
				// Past the statement guard: the authorizer stops these.
				"WITH x AS (SELECT 1) DELETE FROM "+table,
				"WITH x AS (SELECT 1) INSERT INTO "+table+" (id, email) VALUES (3, 'c')",
				"SELECT 1; CREATE TABLE "+other+" (id)",
				"REPLACE INTO "+table+" (id, email) VALUES (2, 'x')",
				"PRAGMA query_only = 0",
				"SELECT 1; PRAGMA query_only = 0",
			)
		}
		for _, s := range stmts {
			t.Run(s, func(t *testing.T) {
				got := query(t, db, s)
				t.Log(got)
				if responseError(t, got) == "" {
					t.Errorf("got %s, want an error response", got)
				}
				if n := countRows(t, b, table); n != 2 {
					t.Errorf("%s now has %d rows, want 2", table, n)
				}
				var email string
				if err := b.admin.QueryRow("SELECT email FROM " + table + " WHERE id = 2").Scan(&email); err != nil || email != "b@example.com" {
					t.Errorf("row 2: email %q, %v", email, err)
				}
				if _, err := b.admin.Exec("SELECT * FROM " + other); err == nil {
					t.Errorf("table %s was created", other)
				}
			})
		}
	})
}

// recursiveCount yields the numbers 1..n in column n, on every backend.
func recursiveCount(n int) string {
	return "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < " + strconv.Itoa(n) + ") SELECT n FROM s"
}

func TestQueryRowCap(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		db := openTenant(t, b)
		tests := []struct {
			name          string
			rows, maxRows int
			wantRows      int
			wantTruncated bool
		}{
			{"under the default cap", 99, 0, 99, false},
			{"exactly the default cap", 100, 0, 100, false},
			{"over the default cap", 150, 0, 100, true},
			{"far over the cap", 100000, 0, 100, true},
			{"custom cap", 6, 5, 5, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := queryLim(t, db, Limits{MaxRows: tt.maxRows}, recursiveCount(tt.rows))
				var want strings.Builder
				want.WriteString(`{"columns":["n"],"rows":[`)
				for i := 1; i <= tt.wantRows; i++ {
					if i > 1 {
						want.WriteByte(',')
					}
					want.WriteString("[" + strconv.Itoa(i) + "]")
				}
				want.WriteString("]")
				if tt.wantTruncated {
					want.WriteString(`,"truncated":true`)
				}
				want.WriteString("}")
				if got != want.String() {
					t.Errorf("got %.200s…, want %.200s…", got, want.String())
				}
			})
		}
		t.Run("endless result", func(t *testing.T) {
			// The statement would stream rows until the deadline: the response must
			// come once the cap is reached, without reading (or draining) the rest.
			endless := map[string]string{
				"postgres": "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s) SELECT n FROM s",
				"mysql":    "SELECT 1 AS n FROM information_schema.columns a, information_schema.columns b, information_schema.columns c, information_schema.columns d",
				"sqlite":   "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s) SELECT n FROM s",
			}[b.name]
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			start := time.Now()
			resp, err := db.Query(ctx, []byte(`{"sql":`+quote(endless)+`}`), Limits{MaxRows: 3})
			if err != nil {
				t.Fatal(err)
			}
			if elapsed := time.Since(start); elapsed > 20*time.Second {
				t.Errorf("took %v: the rest of the result was read", elapsed)
			}
			if !strings.HasSuffix(string(resp), `],"truncated":true}`) {
				t.Errorf("got %s", resp)
			}
		})
		// The connection is still usable after a query was cut short.
		if got := query(t, db, "SELECT 1 AS one"); got != `{"columns":["one"],"rows":[[1]]}` {
			t.Errorf("after truncation: %s", got)
		}
	})
}

func TestQueryByteCap(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		db := openTenant(t, b)
		rows := "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 50) SELECT n, " +
			map[string]string{"postgres": "repeat('x', 1000)", "mysql": "REPEAT('x', 1000)", "sqlite": "printf('%.1000c', 'x')"}[b.name] +
			" AS pad FROM s"
		huge := map[string]string{
			"postgres": "SELECT repeat('x', 17000000)", // over pgx's message limit
			"mysql":    "SELECT REPEAT('x', 16000000)", // under max_allowed_packet, over MaxBytes
			"sqlite":   "SELECT zeroblob(17000000)",    // over SQLITE_LIMIT_LENGTH
		}[b.name]
		tests := []struct {
			name    string
			sql     string
			lim     Limits
			wantErr error
		}{
			{"fits", rows, Limits{}, nil},
			{"over MaxBytes", rows, Limits{MaxBytes: 10 << 10}, ErrTooLarge},
			{"header alone over MaxBytes", "SELECT 1 AS " + strings.Repeat("a", 40), Limits{MaxBytes: 30}, ErrTooLarge},
			{"one huge value", huge, Limits{}, ErrTooLarge},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				resp, err := db.Query(ctx, []byte(`{"sql":`+quote(tt.sql)+`}`), tt.lim)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v (response %.200s)", err, tt.wantErr, resp)
				}
				if err == nil && responseError(t, string(resp)) != "" {
					t.Fatalf("error response %s", resp)
				}
				if err != nil && resp != nil {
					t.Errorf("response %q beside error", resp)
				}
			})
		}
		if b.name == "mysql" {
			t.Run("row over the read budget", func(t *testing.T) {
				// Each value is within max_allowed_packet, the row is not within the
				// budget: reading stops at the budget, before the row is complete.
				before := db.budgets.trips.Load()
				resp, err := db.Query(context.Background(), []byte(`{"sql":"SELECT REPEAT('x', 9000000) a, REPEAT('y', 9000000) b"}`), Limits{})
				if !errors.Is(err, ErrTooLarge) {
					t.Fatalf("err = %v, want ErrTooLarge (response %.100s)", err, resp)
				}
				if db.budgets.trips.Load() != before+1 {
					t.Error("the read budget did not stop the read")
				}
			})
		}
		if got := query(t, db, "SELECT 1 AS one"); got != `{"columns":["one"],"rows":[[1]]}` {
			t.Errorf("after ErrTooLarge: %s", got)
		}
	})
}

func TestQueryDeadline(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		db := openTenant(t, b)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		resp, err := db.Query(ctx, []byte(`{"sql":`+quote(b.sleep)+`}`), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		// The statement runs for 10 s (or forever): it must end with the deadline.
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Errorf("Query returned after %v, long after its 300ms deadline", elapsed)
		}
		if msg := responseError(t, string(resp)); !strings.Contains(msg, "timed out") {
			t.Errorf("got %s, want a timeout error response", resp)
		}
		if got := query(t, db, "SELECT 1 AS one"); got != `{"columns":["one"],"rows":[[1]]}` {
			t.Errorf("after the timeout: %s", got)
		}
	})
}

func TestQueryBadRequest(t *testing.T) {
	b := sqliteBackend(t)
	db := openTenant(t, b)
	tests := []struct{ name, req, want string }{
		{"not JSON", `select 1`, "invalid request"},
		{"empty", ``, "invalid request"},
		{"array", `["select 1"]`, "invalid request"},
		{"null", `null`, `"sql" is missing`},
		{"missing sql", `{"args": []}`, `"sql" is missing`},
		{"blank sql", `{"sql": "  "}`, `"sql" is missing`},
		{"sql not a string", `{"sql": 1}`, "invalid request"},
		{"unknown field", `{"sql": "select 1", "query": "x"}`, "unknown field"},
		{"trailing data", `{"sql": "select 1"} {}`, "after the JSON object"},
		{"args not an array", `{"sql": "select ?", "args": 1}`, "invalid request"},
		{"object arg", `{"sql": "select ?", "args": [{"a": 1}]}`, "args[0]"},
		{"array arg", `{"sql": "select ?", "args": [1, [2]]}`, "args[1]"},
		{"number out of range", `{"sql": "select ?", "args": [1e400]}`, "out of range"},
		{"refused statement", `{"sql": "ATTACH 'x' AS x"}`, "statement refused"},
		{"SQL error", `{"sql": "SELECT * FROM no_such_table"}`, "no such table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := db.Query(context.Background(), []byte(tt.req), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if msg := responseError(t, string(resp)); !strings.Contains(msg, tt.want) {
				t.Errorf("got %s, want an error containing %q", resp, tt.want)
			}
		})
	}
}

func TestQueryArgTypes(t *testing.T) {
	b := sqliteBackend(t)
	db := openTenant(t, b)
	req := `{"sql": "SELECT typeof(?), typeof(?), typeof(?), typeof(?), typeof(?), typeof(?), typeof(?)",
		"args": [1, 1.0, 1.5, -9223372036854775808, 1e300, "s", null]}`
	resp, err := db.Query(context.Background(), []byte(req), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := `["integer","integer","real","integer","real","text","null"]`
	if !strings.Contains(string(resp), want) {
		t.Errorf("got %s, want row %s", resp, want)
	}
}

func TestQueryAfterClose(t *testing.T) {
	db := openTenant(t, sqliteBackend(t))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Query(context.Background(), []byte(`{"sql": "SELECT 1"}`), Limits{}); !errors.Is(err, ErrClosed) {
		t.Errorf("err = %v, want ErrClosed", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestConcurrentQueries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		table := usersTable(t, b)
		db := openTenant(t, b)
		errs := make(chan string, 16)
		for range 16 {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				resp, err := db.Query(ctx, []byte(`{"sql": "SELECT id FROM `+table+` WHERE email = `+b.ph(1)+`", "args": ["b@example.com"]}`), Limits{})
				if err != nil {
					errs <- err.Error()
					return
				}
				errs <- string(resp)
			}()
		}
		for range 16 {
			if got := <-errs; got != `{"columns":["id"],"rows":[[2]]}` {
				t.Errorf("got %s", got)
			}
		}
	})
}

func quote(s string) string {
	b := appendString(nil, s)
	return string(b)
}

// writeFile writes a file, making its folder.
func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
