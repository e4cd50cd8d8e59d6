package testserver_test

import (
	"database/sql"
	"net/url"
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

func TestStartRestart(t *testing.T) {
	s := testserver.Start(t, server.Config{})
	if s.Config.DataDir == "" || s.Config.AdminToken != testserver.OperatorToken || s.Config.Hash != testserver.CheapHash {
		t.Fatalf("test defaults not filled in: %+v", s.Config)
	}
	key := s.CreateTenant("acme")
	s.Must(s.Register("acme", "ann@example.com", "a-long-password"), 201, "register")

	s2 := s.Restart()
	if s2.Config.DataDir != s.Config.DataDir {
		t.Fatalf("restarted on %s, want %s", s2.Config.DataDir, s.Config.DataDir)
	}
	if _, err := s.Try("GET", "/healthz", "", nil); err == nil {
		t.Errorf("the stopped server still answers")
	}
	r := s2.Must(s2.Login("acme", "ann@example.com", "a-long-password"), 200, "login after restart")
	if r.Str("access_token") == "" {
		t.Errorf("no access_token in %s", r.Body)
	}
	s2.Must(s2.Do("GET", "/admin/v1/tenants/acme/users", key, nil), 200, "tenant key after restart")
}

func TestBodies(t *testing.T) {
	s := testserver.Start(t, server.Config{})
	s.CreateTenant("acme")
	// Each body kind reaches the server as sent, with its content type: the
	// login endpoint takes only JSON.
	tests := []struct {
		name   string
		body   any
		status int
		detail string
	}{
		{"JSON value", map[string]string{"identifier": "nobody", "password": "x"}, 401, ""},
		{"raw JSON string", `{"identifier":"nobody","password":"x"}`, 401, ""},
		{"form", url.Values{"identifier": {"nobody"}}, 415, "application/json"},
		{"raw bytes", testserver.Raw{ContentType: "application/json", Body: []byte(`{}`)}, 400, "identifier and password are required"},
		{"raw bytes without a type", testserver.Raw{Body: []byte(`{}`)}, 415, "application/json"},
		{"no body", nil, 415, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.With(t).Do("POST", "/t/acme/login", "", tt.body)
			if r.Status != tt.status || !strings.Contains(r.Str("detail"), tt.detail) {
				t.Fatalf("got %s, want %d with detail %q", r, tt.status, tt.detail)
			}
		})
	}
}

func TestLegacyDB(t *testing.T) {
	s := testserver.Start(t, server.Config{})
	for _, driver := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(driver, func(t *testing.T) {
			l := s.LegacyDB(t, driver, "acme")
			var n int
			if err := l.DB.QueryRow("SELECT COUNT(*) FROM " + l.Table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Fatalf("%s: no seeded users", l.Table)
			}
			l.Exec(t, "DELETE FROM {table} WHERE username = "+l.Placeholder(1), "alice")
			var left int
			if err := l.DB.QueryRow("SELECT COUNT(*) FROM " + l.Table).Scan(&left); err != nil {
				t.Fatal(err)
			}
			if left != n-1 {
				t.Fatalf("%d users after deleting alice, want %d", left, n-1)
			}
			if driver == "sqlite" {
				return
			}
			// The tenant's account reads the table and may not write it.
			sqlDriver := map[string]string{"postgres": "pgx", "mysql": "mysql"}[driver]
			tenant, err := sql.Open(sqlDriver, l.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer tenant.Close()
			var seen int
			if err := tenant.QueryRow("SELECT COUNT(*) FROM " + l.Table).Scan(&seen); err != nil || seen != left {
				t.Fatalf("the tenant's account counts %d users, %v; want %d", seen, err, left)
			}
			if _, err := tenant.Exec("DELETE FROM " + l.Table); err == nil {
				t.Fatal("the tenant's account deleted the users")
			}
		})
	}
	if pw := testserver.SeedPassword("alice"); pw == "" {
		t.Fatal("alice has no seed password")
	}
}
