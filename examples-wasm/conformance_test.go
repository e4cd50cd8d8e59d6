package examples_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/host/legacydb"
	"github.com/wasmauth/wasmauth/internal/testdb"
	"github.com/wasmauth/wasmauth/runtime"
)

// The databases of the conformance test, as their administrator; override with
// WASMAUTH_TEST_POSTGRES_DSN and WASMAUTH_TEST_MYSQL_DSN.
const (
	defaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	defaultMySQLDSN    = "root@tcp(127.0.0.1:3306)/test"
)

// conformanceCase is one call and the answer every example must give, on every database.
type conformanceCase struct {
	name       string
	op         string
	identifier string
	password   string
	config     map[string]string // merged over the backend's dialect and table

	wantID       string // the user's id, "" for no user
	wantReason   string // with no user
	wantRejectID string // with no user: the account a rejection names (ABI v1.1), "" for none
	wantKind     string // a failed call's runtime.CallError Kind, else ""

	// list_users (ABI v1.1)
	cursor   *string  // the input's cursor, nil for the first page
	limit    int      // the input's limit, 0 for none
	walk     bool     // page with limit until next_cursor is null; wantIDs is every page's users
	wantIDs  []string // the page's users in order, each with its seed data and hash
	wantNext string   // the page's next_cursor, "" for null

	// verify_hash (ABI v1.1)
	hashOf string // the hash checked is this seed user's
	hash   string // else this one
	wantOK bool
}

func ptr(s string) *string { return &s }

// conformanceCases is the shared table: every hash kind of the seed, right and wrong
// passwords, case-insensitive lookups by email and username, users without email,
// password hash or a known hash format, config mistakes and SQL errors.
func conformanceCases() []conformanceCase {
	dave := `s3cret "quoted" \ & <tag> zoë`
	return []conformanceCase{
		{name: "bcrypt 2a by email", op: runtime.OpLogin, identifier: "alice@example.com", password: "wonderland-42", wantID: "1"},
		{name: "email in another case", op: runtime.OpLogin, identifier: "ALICE@Example.com", password: "wonderland-42", wantID: "1"},
		{name: "by username", op: runtime.OpLogin, identifier: "alice", password: "wonderland-42", wantID: "1"},
		{name: "bcrypt wrong password", op: runtime.OpLogin, identifier: "alice", password: "wonderland-43", wantReason: runtime.ReasonWrongPassword, wantRejectID: "1"},
		{name: "unknown user", op: runtime.OpLogin, identifier: "nobody@example.com", password: "x", wantReason: runtime.ReasonNotFound},
		{name: "empty identifier", op: runtime.OpLogin, identifier: "", password: "x", wantReason: runtime.ReasonNotFound},
		{name: "argon2id", op: runtime.OpLogin, identifier: "bob", password: "can-we-fix-it", wantID: "2"},
		{name: "argon2id wrong password", op: runtime.OpLogin, identifier: "bob", password: "can-we-fix-It", wantReason: runtime.ReasonWrongPassword, wantRejectID: "2"},
		{name: "phpass", op: runtime.OpLogin, identifier: "carol@example.com", password: "test12345", wantID: "3"},
		{name: "phpass wrong password", op: runtime.OpLogin, identifier: "carol", password: "test1234", wantReason: runtime.ReasonWrongPassword, wantRejectID: "3"},
		{name: "salted sha256 with JSON escapes", op: runtime.OpLogin, identifier: "dave", password: dave, wantID: "4"},
		{name: "salted sha256 wrong password", op: runtime.OpLogin, identifier: "dave", password: dave + " ", wantReason: runtime.ReasonWrongPassword, wantRejectID: "4"},
		{name: "bcrypt 2y, no email", op: runtime.OpLogin, identifier: "ERIN", password: "erin-password", wantID: "5"},
		{name: "bcrypt 2b, mixed-case stored email", op: runtime.OpLogin, identifier: "francois.dupont@example.com", password: "bonjour-monde", wantID: "6"},
		{name: "password in another case", op: runtime.OpLogin, identifier: "fdupont", password: "BONJOUR-MONDE", wantReason: runtime.ReasonWrongPassword, wantRejectID: "6"},
		{name: "no password hash", op: runtime.OpLogin, identifier: "ghost", password: "", wantReason: runtime.ReasonWrongPassword, wantRejectID: "7"},
		{name: "unknown hash format fails the script", op: runtime.OpLogin, identifier: "mallory", password: "hunter2", wantKind: runtime.KindScriptFailed},
		{name: "SQL metacharacters are data", op: runtime.OpLogin, identifier: `x' OR '1'='1`, password: "x", wantReason: runtime.ReasonNotFound},
		{name: "quotes and non-ASCII are data", op: runtime.OpLogin, identifier: `a"b\c é ü 😀`, password: "x", wantReason: runtime.ReasonNotFound},
		{name: "get_user", op: runtime.OpGetUser, identifier: "Alice", wantID: "1"},
		{name: "get_user unknown", op: runtime.OpGetUser, identifier: "nobody"},
		{name: "get_user empty identifier", op: runtime.OpGetUser, identifier: ""},
		{name: "get_user without email", op: runtime.OpGetUser, identifier: "erin", wantID: "5"},
		{name: "get_user checks no password", op: runtime.OpGetUser, identifier: "mallory", wantID: "8"},
		// Registration asks get_user: finding legacy Leo for leo makes it 409 user_exists.
		// A module matching exactly would let leo register, and Leo could never migrate.
		{name: "legacy Leo exists and leo registers", op: runtime.OpGetUser, identifier: "leo", wantID: "9"},
		{name: "table name that is not an identifier", op: runtime.OpGetUser, identifier: "alice", config: map[string]string{"table": "users; --"}, wantKind: runtime.KindScriptFailed},
		{name: "missing table is an SQL error", op: runtime.OpGetUser, identifier: "alice", config: map[string]string{"table": "no_such_table_xyz"}, wantKind: runtime.KindScriptFailed},

		// list_users pages by id, the cursor being the last id of a full page.
		{name: "list first page", op: runtime.OpListUsers, limit: 4, wantIDs: []string{"1", "2", "3", "4"}, wantNext: "4"},
		{name: "list after a cursor", op: runtime.OpListUsers, cursor: ptr("4"), limit: 4, wantIDs: []string{"5", "6", "7", "8"}, wantNext: "8"},
		{name: "list last page", op: runtime.OpListUsers, cursor: ptr("8"), limit: 4, wantIDs: []string{"9"}},
		{name: "list past the end", op: runtime.OpListUsers, cursor: ptr("9"), limit: 4, wantIDs: []string{}},
		{name: "list without a limit takes 100", op: runtime.OpListUsers, wantIDs: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}},
		{name: "list limit over 100 is cut to 100", op: runtime.OpListUsers, limit: 1000, wantIDs: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}},
		{name: "list limit 1", op: runtime.OpListUsers, cursor: ptr("1"), limit: 1, wantIDs: []string{"2"}, wantNext: "2"},
		{name: "list every page", op: runtime.OpListUsers, limit: 2, walk: true, wantIDs: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}},
		{name: "list cursor that is not an id", op: runtime.OpListUsers, cursor: ptr("4 OR 1=1"), limit: 4, wantKind: runtime.KindScriptFailed},
		{name: "list missing table", op: runtime.OpListUsers, config: map[string]string{"table": "no_such_table_xyz"}, wantKind: runtime.KindScriptFailed},

		// verify_hash checks a hash without a database, as login does.
		{name: "verify salted sha256", op: runtime.OpVerifyHash, hashOf: "4", password: dave, wantOK: true},
		{name: "verify salted sha256 wrong password", op: runtime.OpVerifyHash, hashOf: "4", password: dave + " "},
		{name: "verify empty password (the drain's probe)", op: runtime.OpVerifyHash, hashOf: "4", password: ""},
		{name: "verify bcrypt through verify_password", op: runtime.OpVerifyHash, hashOf: "1", password: "wonderland-42", wantOK: true},
		{name: "verify unknown format fails the script", op: runtime.OpVerifyHash, hashOf: "8", password: "hunter2", wantKind: runtime.KindScriptFailed},
		{name: "verify malformed sha256 fails the script", op: runtime.OpVerifyHash, hash: "sha256$no-second-dollar", password: "x", wantKind: runtime.KindScriptFailed},
	}
}

// seedByID is what an answer must say about each seed user.
var seedByID = map[string]runtime.User{
	"1": {ID: "1", Email: "alice@example.com", Username: "alice", EmailVerified: true, Name: "Alice Liddell"},
	"2": {ID: "2", Email: "bob@example.com", Username: "bob", EmailVerified: true, Name: "Bob Builder"},
	"3": {ID: "3", Email: "carol@example.com", Username: "carol", Name: "Carol Danvers"},
	"4": {ID: "4", Email: "dave@example.com", Username: "dave", EmailVerified: true, Name: `Dave "Dai" Lister`},
	"5": {ID: "5", Username: "erin"},
	"6": {ID: "6", Email: "Francois.Dupont@Example.COM", Username: "fdupont", EmailVerified: true, Name: "François Dupont"},
	"7": {ID: "7", Email: "ghost@example.com", Username: "ghost", Name: "Ghost (no password)"},
	"8": {ID: "8", Email: "mallory@example.com", Username: "mallory", Name: "Mallory (unknown hash format)"},
	"9": {ID: "9", Username: "Leo", Name: "Leo (mixed-case username)"},
}

// leoSQL adds a user whose legacy username is stored in mixed case, as case-sensitive
// apps (Django) keep them, to every backend of the conformance test.
const leoSQL = `INSERT INTO users (id, email, username, password_hash, email_verified, name) VALUES
    (9, NULL, 'Leo', NULL, FALSE, 'Leo (mixed-case username)')`

// backend is a legacy database holding the seed, as one tenant's connection.
type backend struct {
	dialect string
	table   string
	db      *legacydb.DB
}

// requireDB skips (or, with CI=true, fails) when a database is unreachable.
func requireDB(t *testing.T, name, env string, err error) {
	t.Helper()
	msg := name + " unreachable (" + err.Error() + "); start it or set " + env
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// seedServer creates a uniquely named users table with the seed on a server database,
// dropped when the test ends, and opens it as a tenant connection.
func seedServer(t *testing.T, dialect, driver, env, fallback string) backend {
	t.Helper()
	ctx := context.Background()
	dsn := os.Getenv(env)
	if dsn == "" {
		dsn = fallback
	}
	admin, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := admin.PingContext(pingCtx); err != nil {
		requireDB(t, dialect, env, err)
	}
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	table := "examples_users_" + hex.EncodeToString(suffix)
	schema, err := examples.Schema(dialect)
	if err != nil {
		t.Fatal(err)
	}
	rename := regexp.MustCompile(`\busers\b`)
	for _, stmt := range []string{schema, examples.SeedSQL, leoSQL} {
		if _, err := admin.ExecContext(ctx, rename.ReplaceAllString(stmt, table)); err != nil {
			t.Fatalf("%s: seeding %s: %v", dialect, table, err)
		}
	}
	t.Cleanup(func() { admin.Exec("DROP TABLE " + table) })
	// The tenant reads the table through an account that may do nothing else.
	reader := testdb.NewReader(t, dialect, admin, dsn)
	reader.Grant(t, "SELECT ON "+table)
	db, err := legacydb.Open(ctx, legacydb.Config{Driver: dialect, DSN: reader.DSN, Tenant: "examples", Networks: testdb.Loopback})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return backend{dialect: dialect, table: table, db: db}
}

// seedSQLite opens a copy of the committed testdata/legacy.db, with leoSQL, as a tenant
// connection.
func seedSQLite(t *testing.T) backend {
	return backend{dialect: "sqlite", table: "users", db: openSQLiteCopy(t, leoSQL)}
}

// openSQLiteCopy opens a copy of the committed testdata/legacy.db, after running stmts
// on the copy.
func openSQLiteCopy(t testing.TB, stmts ...string) *legacydb.DB {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "examples"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "examples", "legacy.db")
	if err := os.WriteFile(file, examples.LegacyDB, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(stmts) > 0 {
		rw, err := sql.Open("sqlite", file)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range stmts {
			if _, err := rw.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
		rw.Close()
	}
	db, err := legacydb.Open(context.Background(), legacydb.Config{Driver: "sqlite", DSN: "legacy.db", SQLiteRoot: root, Tenant: "examples"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestConformance runs every legacy example through one table of cases on SQLite (the
// committed legacy.db), PostgreSQL and MariaDB/MySQL, in the real runtime: all five
// languages must give the same answers.
func TestConformance(t *testing.T) {
	engine, modules := sharedEngine(t)
	hashes := seedHashes(t)
	backends := []struct {
		name string
		open func(t *testing.T) backend
	}{
		{"sqlite", seedSQLite},
		{"postgres", func(t *testing.T) backend {
			return seedServer(t, "postgres", "pgx", "WASMAUTH_TEST_POSTGRES_DSN", defaultPostgresDSN)
		}},
		{"mysql", func(t *testing.T) backend {
			return seedServer(t, "mysql", "mysql", "WASMAUTH_TEST_MYSQL_DSN", defaultMySQLDSN)
		}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t)
			for _, lang := range examples.Languages() {
				t.Run(lang, func(t *testing.T) {
					for _, tc := range conformanceCases() {
						t.Run(tc.name, func(t *testing.T) {
							runCase(t, engine, modules[lang], b, lang, hashes, tc)
						})
					}
				})
			}
		})
	}
}

// runCase makes one call (or, for a walk, pages through list_users) and checks its
// answer.
func runCase(t *testing.T, engine *runtime.Engine, info runtime.ModuleInfo, b backend, lang string, hashes map[string]sql.NullString, tc conformanceCase) {
	t.Helper()
	config := map[string]string{"dialect": b.dialect, "table": b.table}
	for k, v := range tc.config {
		config[k] = v
	}
	call := func(in map[string]any) (*runtime.Result, error) {
		input, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return engine.Call(ctx, runtime.CallRequest{
			Tenant: "examples-" + lang + "-" + b.dialect, Version: 1, SHA256: info.SHA256,
			Op: tc.op, Input: input, DB: b.db,
		})
	}
	var in map[string]any
	switch tc.op {
	case runtime.OpListUsers:
		// As the server writes it (internal/scripts).
		in = map[string]any{"op": tc.op, "cursor": tc.cursor, "config": config, "driver": b.dialect}
		if tc.limit != 0 {
			in["limit"] = tc.limit
		}
	case runtime.OpVerifyHash:
		hash := tc.hash
		if tc.hashOf != "" {
			hash = hashes[tc.hashOf].String
		}
		in = map[string]any{"op": tc.op, "password_hash": hash, "password": tc.password, "config": config}
	default:
		in = map[string]any{"identifier": tc.identifier, "tenant": "examples", "config": config}
		if tc.op == runtime.OpLogin {
			in["password"] = tc.password
		}
	}
	if tc.walk {
		walkPages(t, call, in, hashes, tc)
		return
	}
	res, err := call(in)
	if tc.wantKind != "" {
		if kind := runtime.ErrorKind(err); kind != tc.wantKind {
			t.Fatalf("error kind %q (err %v), want %q", kind, err, tc.wantKind)
		}
		if res == nil || len(res.Logs) == 0 {
			t.Fatalf("a failed call logged nothing; want the reason in the log")
		}
		return
	}
	if err != nil {
		var logs []runtime.LogLine
		if res != nil {
			logs = res.Logs
		}
		t.Fatalf("call failed: %v; logs %v", err, logs)
	}
	switch tc.op {
	case runtime.OpListUsers:
		checkPage(t, res.Answer, hashes, tc.wantIDs, tc.wantNext)
		return
	case runtime.OpVerifyHash:
		if res.Answer.OK != tc.wantOK {
			t.Fatalf("ok %v (output %s), want %v", res.Answer.OK, res.Output, tc.wantOK)
		}
		return
	}
	got := res.Answer
	if tc.wantID == "" {
		if got.User != nil {
			t.Fatalf("user %+v, want none", *got.User)
		}
		if got.Reason != tc.wantReason {
			t.Fatalf("reason %q, want %q", got.Reason, tc.wantReason)
		}
		var rejection struct {
			ID *string `json:"id"`
		}
		if err := json.Unmarshal(res.Output, &rejection); err != nil {
			t.Fatal(err)
		}
		if got := rejection.ID; (got == nil) != (tc.wantRejectID == "") || (got != nil && *got != tc.wantRejectID) {
			t.Fatalf("rejection %s, want the id %q (none when empty)", res.Output, tc.wantRejectID)
		}
		return
	}
	if got.User == nil {
		t.Fatalf("no user (reason %q), want user %s", got.Reason, tc.wantID)
	}
	want := seedByID[tc.wantID]
	u := *got.User
	if u.ID != want.ID || u.Email != want.Email || u.Username != want.Username ||
		u.EmailVerified != want.EmailVerified || u.Name != want.Name || len(u.Profile) != 0 {
		t.Fatalf("user %+v, want %+v", u, want)
	}
}

// walkPages pages through list_users from the first page with tc.limit, each cursor the
// last page's next_cursor, and checks that the pages hold tc.wantIDs in order, every
// page but the last full.
func walkPages(t *testing.T, call func(map[string]any) (*runtime.Result, error), in map[string]any, hashes map[string]sql.NullString, tc conformanceCase) {
	t.Helper()
	var cursor *string
	for page, rest := 0, tc.wantIDs; ; page++ {
		if page > len(tc.wantIDs) {
			t.Fatalf("still paging after %d pages", page)
		}
		in["cursor"] = cursor
		res, err := call(in)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		n := min(tc.limit, len(rest))
		next := ""
		if n == tc.limit {
			next = rest[n-1]
		}
		checkPage(t, res.Answer, hashes, rest[:n], next)
		rest = rest[n:]
		if res.Answer.NextCursor == nil {
			if len(rest) > 0 {
				t.Fatalf("page %d is the last, but %v are left", page, rest)
			}
			return
		}
		cursor = res.Answer.NextCursor
	}
}

// checkPage checks a list_users page: the users of wantIDs in order, each with its seed
// data and legacy hash, and the next cursor ("" for null).
func checkPage(t *testing.T, got *runtime.Answer, hashes map[string]sql.NullString, wantIDs []string, wantNext string) {
	t.Helper()
	if len(got.Invalid) > 0 {
		t.Fatalf("invalid users %+v", got.Invalid)
	}
	if n := got.NextCursor; (n == nil) != (wantNext == "") || (n != nil && *n != wantNext) {
		t.Fatalf("next_cursor %v, want %q (null when empty)", n, wantNext)
	}
	if len(got.Users) != len(wantIDs) {
		t.Fatalf("%d users, want %v", len(got.Users), wantIDs)
	}
	for i, u := range got.Users {
		want := seedByID[wantIDs[i]]
		if u.ID != want.ID || u.Email != want.Email || u.Username != want.Username ||
			u.EmailVerified != want.EmailVerified || u.Name != want.Name || len(u.Profile) != 0 {
			t.Fatalf("user %d: %+v, want %+v", i, u, want)
		}
		gotHash := ""
		if u.PasswordHash != nil {
			gotHash = *u.PasswordHash
		}
		if wantHash := hashes[want.ID]; gotHash != wantHash.String {
			t.Fatalf("user %s: password_hash %q, want %q", u.ID, gotHash, wantHash.String)
		}
	}
}

// TestListUsersFullPage pages through 250 more users with long names and bcrypt-length
// hashes in every example on SQLite: full pages of 100 (the most a db_query returns),
// with their cursors, each page under a fifth of the default fuel budget (a page does
// a hundred users' JSON work; a login does one's) and within the output limit.
func TestListUsersFullPage(t *testing.T) {
	engine, modules := sharedEngine(t)
	var rows []string
	for i := range 250 {
		rows = append(rows, fmt.Sprintf("(%d, 'user%d@example.com', 'user%d', '$2b$10$%053d', TRUE, '%s %d')",
			1000+i, i, i, i, strings.Repeat("Name ", 12), i))
	}
	db := openSQLiteCopy(t, "INSERT INTO users (id, email, username, password_hash, email_verified, name) VALUES "+strings.Join(rows, ", "))
	for _, lang := range examples.Languages() {
		t.Run(lang, func(t *testing.T) {
			var cursor *string
			total, pages := 0, 0
			for {
				input, err := json.Marshal(map[string]any{"op": runtime.OpListUsers, "cursor": cursor, "limit": 100,
					"config": map[string]string{"dialect": "sqlite"}, "driver": "sqlite"})
				if err != nil {
					t.Fatal(err)
				}
				res, err := engine.Call(context.Background(), runtime.CallRequest{
					Tenant: "fullpage-" + lang, Version: 1, SHA256: modules[lang].SHA256,
					Op: runtime.OpListUsers, Input: input, DB: db,
				})
				if err != nil {
					t.Fatalf("page %d: %v", pages, err)
				}
				pages++
				total += len(res.Answer.Users)
				if res.FuelUsed*5 >= runtime.DefaultLimits().Fuel {
					t.Errorf("page %d of %d users used %d fuel, 20%% or more of the budget", pages, len(res.Answer.Users), res.FuelUsed)
				}
				t.Logf("page %d: %d users, %d bytes, %d fuel", pages, len(res.Answer.Users), len(res.Output), res.FuelUsed)
				if res.Answer.NextCursor == nil {
					break
				}
				cursor = res.Answer.NextCursor
			}
			// 8 seed users and 250 more: pages of 100, 100 and 58.
			if total != 258 || pages != 3 {
				t.Fatalf("%d users in %d pages, want 258 in 3", total, pages)
			}
		})
	}
}
