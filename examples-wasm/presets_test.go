package examples_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testdb"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// needTool finds a framework's interpreter able to run check (a Python import or
// PHP code), or skips the test (fails it under CI=true) naming the Debian packages.
func needTool(t *testing.T, packages string, cands []string, args ...string) string {
	t.Helper()
	for _, c := range cands {
		if p, err := exec.LookPath(c); err == nil {
			if exec.Command(p, args...).Run() == nil {
				return p
			}
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI needs %s", packages)
	}
	t.Skipf("needs %s (apt-get install %s)", packages, packages)
	return ""
}

// fill runs a framework's script from examples-wasm/presets/testdata.
func fill(t *testing.T, tool, script string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(tool, append([]string{filepath.Join("presets", "testdata", script)}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, script, err, stderr.Bytes())
	}
	return out
}

// presetTenant makes a tenant on a new server whose script is the preset pushed by
// name (no body), connected to dsn with config, migration on.
func presetTenant(t *testing.T, preset, driver, dsn string, config map[string]any) (*testserver.Server, string) {
	t.Helper()
	s := testserver.Start(t, server.Config{})
	key := s.CreateTenant("acme")
	r := s.Must(s.Do("PUT", "/admin/v1/tenants/acme/script?preset="+preset, key, nil), 201, "push preset")
	exports, _ := r.JSON["exports"].([]any)
	if len(exports) != 5 {
		t.Errorf("preset %s exports %v, want count_users, get_user, list_users, login, verify_hash", preset, exports)
	}
	s.Must(s.Do("PUT", "/admin/v1/tenants/acme/connection", key, map[string]any{"driver": driver, "dsn": dsn, "config": config}), 200, "connection")
	s.Must(s.Do("PUT", "/admin/v1/tenants/acme/migration", key, map[string]any{"enabled": true}), 200, "migration on")
	return s, key
}

func login(s *testserver.Server, ident, pw string) *testserver.Response {
	return s.Do("POST", "/t/acme/login", "", map[string]any{"identifier": ident, "password": pw})
}

// checkMigration checks GET /migration's legacy_users (count_users) and its inactive count.
func checkMigration(t *testing.T, s *testserver.Server, key string, legacyUsers, inactive float64) {
	t.Helper()
	m := s.Must(s.Do("GET", "/admin/v1/tenants/acme/migration", key, nil), 200, "migration status")
	if got, _ := m.JSON["legacy_users"].(float64); got != legacyUsers {
		t.Errorf("legacy_users = %v, want %v: %s", m.JSON["legacy_users"], legacyUsers, m.Body)
	}
	if got, _ := m.Obj("legacy")["logins_inactive"].(float64); got != inactive {
		t.Errorf("legacy.logins_inactive = %v, want %v", got, inactive)
	}
}

// drain runs list_users to its end (page size 2) and returns the job.
func drain(t *testing.T, s *testserver.Server, key string) map[string]any {
	t.Helper()
	s.Must(s.Do("POST", "/admin/v1/tenants/acme/migration/drain", key, map[string]any{"page_size": 2}), 202, "drain")
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := s.Must(s.Do("GET", "/admin/v1/tenants/acme/migration/drain", key, nil), 200, "drain status")
		if st := r.Str("state"); st != "running" {
			if st != "done" {
				t.Fatalf("drain ended %s: %s", st, r.Body)
			}
			return r.JSON
		}
		if time.Now().After(deadline) {
			t.Fatalf("drain still running: %s", r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestPresetDjango(t *testing.T) {
	py := needTool(t, "python3-django python3-psycopg2 python3-argon2 python3-bcrypt",
		[]string{"/usr/bin/python3", "python3"}, "-c", "import django, psycopg2, argon2, bcrypt")
	dsn := testdb.ScratchPostgres(t, "wasmauth_django", func(err error) {
		testserver.NeedDatabase(t, "PostgreSQL", "start PostgreSQL on 127.0.0.1:5432", err)
	})
	name := dsn[strings.LastIndex(dsn, "/")+1:]
	name = strings.SplitN(name, "?", 2)[0]
	fill(t, py, "django_fill.py", "127.0.0.1", "5432", "postgres", name)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	rd := testdb.NewReader(t, "postgres", admin, dsn)
	rd.Grant(t, "SELECT ON auth_user")

	s, key := presetTenant(t, "django", "postgres", rd.DSN, map[string]any{})
	// Legacy "Leo" exists: "leo" cannot register (get_user matches case-insensitively).
	r := s.Do("POST", "/t/acme/register", "", map[string]any{"username": "leo", "password": "another-long-password-1"})
	if r.Status != 409 {
		t.Fatalf("register leo while legacy Leo exists: %s, want 409", r)
	}
	// Each of Django's hashers, by username or email in any case.
	for _, c := range []struct{ ident, pw, username string }{
		{"leo", "leo-pbkdf2-pass", "Leo"},
		{"ANA@example.COM", "ana-argon2-pass", "ana"},
		{"Bob", "bob-bcrypt-pass", "bob"},
		{"dora", "dora-sha1-pass", "dora"},
	} {
		r := login(s, c.ident, c.pw)
		if r.Status != 200 {
			t.Fatalf("login %s: %s", c.ident, r)
		}
		if u := r.Obj("user"); !strings.EqualFold(u["username"].(string), c.username) || u["source"] != "legacy" {
			t.Errorf("login %s: user %v", c.ident, u)
		}
	}
	if u := login(s, "leo", "leo-pbkdf2-pass").Obj("user"); u["name"] != "Leo Test" || u["email"] != "leo.fischer@example.com" {
		t.Errorf("Leo migrated as %v", u)
	}
	s.Must(login(s, "bob", "wrong"), 401, "wrong password")
	s.Must(login(s, "carl", "carl-inactive-pass"), 401, "inactive user")
	s.Must(login(s, "eve", "!"), 401, "unusable password")
	checkMigration(t, s, key, 5, 1)
	job := drain(t, s, key)
	// carl stays behind (inactive); eve comes without a password.
	if job["imported"].(float64) != 1 || job["already_local"].(float64) != 4 || job["without_password"].(float64) != 1 {
		t.Errorf("drain: %v", job)
	}
}

// mariaDB returns an admin connection to the test database, or skips.
func mariaDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", testserver.MySQLDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		testserver.NeedDatabase(t, "MariaDB", "start MariaDB on 127.0.0.1:3306 (root, no password)", err)
	}
	return db
}

// scratchTable returns a new table name, dropped when t ends.
func scratchTable(t *testing.T, db *sql.DB, prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	table := prefix + hex.EncodeToString(b[:])
	t.Cleanup(func() { _, _ = db.Exec("DROP TABLE IF EXISTS " + table) })
	return table
}

func TestPresetLaravel(t *testing.T) {
	php := needTool(t, "php-cli php-mysql", []string{"php"}, "-r", "exit(extension_loaded('pdo_mysql') ? 0 : 1);")
	db := mariaDB(t)
	table := scratchTable(t, db, "users_")
	fill(t, php, "laravel_fill.php", "127.0.0.1", "3306", "root", "test", table)
	rd := testdb.NewReader(t, "mysql", db, testserver.MySQLDSN)
	rd.Grant(t, "SELECT ON test."+table)
	s, key := presetTenant(t, "laravel", "mysql", rd.DSN, map[string]any{"table": table})
	r := s.Do("POST", "/t/acme/register", "", map[string]any{"email": "leo@example.com", "password": "another-long-password-1"})
	if r.Status != 409 {
		t.Fatalf("register leo@ while legacy Leo@ exists: %s, want 409", r)
	}
	for _, c := range []struct {
		ident, pw string
		verified  bool
	}{{"leo@example.com", "leo-bcrypt-pass", true}, {"ANA@EXAMPLE.COM", "ana-argon2-pass", false}} {
		r := s.Must(login(s, c.ident, c.pw), 200, "login "+c.ident)
		if u := r.Obj("user"); u["email_verified"] != c.verified {
			t.Errorf("login %s: user %v", c.ident, u)
		}
	}
	s.Must(login(s, "bob@example.com", "nope"), 401, "wrong password")
	checkMigration(t, s, key, 3, 0)
	if job := drain(t, s, key); job["imported"].(float64) != 1 || job["already_local"].(float64) != 2 {
		t.Errorf("drain: %v", job)
	}
}

func TestPresetWordPress(t *testing.T) {
	php := needTool(t, "php-cli php-mysql", []string{"php"}, "-r", "exit(extension_loaded('pdo_mysql') ? 0 : 1);")
	db := mariaDB(t)
	table := scratchTable(t, db, "wp_users_")
	fill(t, php, "wordpress_fill.php", "127.0.0.1", "3306", "root", "test", table)
	rd := testdb.NewReader(t, "mysql", db, testserver.MySQLDSN)
	rd.Grant(t, "SELECT ON test."+table)
	s, key := presetTenant(t, "wordpress", "mysql", rd.DSN, map[string]any{"table": table})
	r := s.Do("POST", "/t/acme/register", "", map[string]any{"username": "leo", "password": "another-long-password-1"})
	if r.Status != 409 {
		t.Fatalf("register leo while legacy Leo exists: %s, want 409", r)
	}
	for _, c := range []struct{ ident, pw string }{
		{"LEO", "leo-wp68-pass"}, {"ana@example.com", "ana-phpass-pass"}, {"bob", "bob-md5-pass"},
	} {
		s.Must(login(s, c.ident, c.pw), 200, "login "+c.ident)
	}
	s.Must(login(s, "ana", "nope"), 401, "wrong password")
	s.Must(login(s, "carl", "carl-spam-pass"), 401, "user_status 1")
	checkMigration(t, s, key, 4, 1)
	// dan (MD5, which only the module's verify_hash knows) comes with the drain, then logs in.
	if job := drain(t, s, key); job["imported"].(float64) != 1 || job["already_local"].(float64) != 3 || job["unsupported_hash"].(float64) != 0 {
		t.Errorf("drain: %v", job)
	}
	s.Must(login(s, "dan", "nope"), 401, "drained dan, wrong password")
	s.Must(login(s, "Dan", "dan-md5-pass"), 200, "drained dan")
}

func TestPresetTable(t *testing.T) {
	s := testserver.Start(t, server.Config{})
	key := s.CreateTenant("acme")
	s.Must(s.Do("PUT", "/admin/v1/tenants/acme/script?preset=table", key, nil), 201, "push preset")
	s.CopyLegacySQLite("acme")
	s.Must(s.Do("PUT", "/admin/v1/tenants/acme/connection", key, map[string]any{"driver": "sqlite", "dsn": "legacy.db"}), 200, "connection")
	s.Must(s.Do("PUT", "/admin/v1/tenants/acme/migration", key, map[string]any{"enabled": true}), 200, "migration on")
	users := examples.SeedUsers()
	u := users[0]
	s.Must(login(s, strings.ToUpper(u.Username), u.Password), 200, "login "+u.Username)
	checkMigration(t, s, key, float64(len(users)), 0)

	// The errors: an unknown preset, a body with ?preset=.
	if r := s.Do("PUT", "/admin/v1/tenants/acme/script?preset=rails", key, nil); r.Status != 400 || !strings.Contains(r.Str("message")+r.Str("detail"), "django") {
		t.Errorf("unknown preset: %s", r)
	}
	if r := s.Do("PUT", "/admin/v1/tenants/acme/script?preset=table", key, examples.CLegacy); r.Status != 400 {
		t.Errorf("preset with a body: %s", r)
	}
}

// TestPresetsEmbedded checks that every preset is embedded and is what its source builds
// (make -C examples-wasm/presets check compares the bytes; here, the exports).
func TestPresetsEmbedded(t *testing.T) {
	for _, n := range examples.PresetNames() {
		b, ok := examples.Preset(n)
		if !ok || len(b) == 0 || !bytes.HasPrefix(b, []byte("\x00asm")) {
			t.Errorf("preset %s missing", n)
		}
	}
}

// TestPresetWeakLegacyPassword: with weak_legacy_passwords "flag", a legacy password that
// fails today's policy migrates, and the user must change it: the user object, the access
// token and userinfo say so until the password changes.
func TestPresetWeakLegacyPassword(t *testing.T) {
	s := testserver.Start(t, server.Config{})
	key := s.CreateTenant("acme")
	s.Must(s.Do("PUT", "/admin/v1/tenants/acme/script?preset=table", key, nil), 201, "push preset")
	l := s.LegacyDB(t, "sqlite", "acme")
	weak, err := bcrypt.GenerateFromPassword([]byte("1234"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	l.Exec(t, "INSERT INTO {table} (id, email, username, password_hash, email_verified, name) VALUES (100, 'weak@example.com', 'weak', ?, 1, 'Weak')", string(weak))
	s.Must(s.Do("PUT", "/admin/v1/tenants/acme/connection", key, map[string]any{"driver": "sqlite", "dsn": l.DSN, "config": l.Config}), 200, "connection")
	m := s.Must(s.Do("PUT", "/admin/v1/tenants/acme/migration", key, map[string]any{"enabled": true, "weak_legacy_passwords": "flag"}), 200, "migration on")
	if m.Str("weak_legacy_passwords") != "flag" {
		t.Errorf("PUT /migration: %s", m)
	}
	if r := s.Do("PUT", "/admin/v1/tenants/acme/migration", key, map[string]any{"weak_legacy_passwords": "block"}); r.Status != 400 {
		t.Errorf("weak_legacy_passwords block: %s", r)
	}

	r := s.Must(login(s, "weak", "1234"), 200, "login with a weak legacy password")
	if r.Obj("user")["password_change_required"] != true {
		t.Errorf("user: %v", r.Obj("user"))
	}
	at := r.Str("access_token")
	if claims := jwtClaims(t, at); claims["password_change_required"] != true {
		t.Errorf("access token claims: %v", claims)
	}
	if ui := s.Must(s.Do("GET", "/t/acme/userinfo", at, nil), 200, "userinfo"); ui.JSON["password_change_required"] != true {
		t.Errorf("userinfo: %s", ui)
	}
	// A strong legacy password is not flagged.
	u := examples.SeedUsers()[0]
	if r := s.Must(login(s, u.Username, u.Password), 200, "login "+u.Username); r.Obj("user")["password_change_required"] != false {
		t.Errorf("user %s: %v", u.Username, r.Obj("user"))
	}
	// Changing the password clears the flag.
	s.Must(s.Do("POST", "/t/acme/password", at, map[string]any{"current_password": "1234", "new_password": "a-much-better-password-9"}), 204, "change password")
	r = s.Must(login(s, "weak", "a-much-better-password-9"), 200, "login after the change")
	if r.Obj("user")["password_change_required"] != false {
		t.Errorf("after the change: %v", r.Obj("user"))
	}
	if claims := jwtClaims(t, r.Str("access_token")); claims["password_change_required"] != nil {
		t.Errorf("access token claims after the change: %v", claims)
	}
}

// jwtClaims decodes a JWT's payload without checking it.
func jwtClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
