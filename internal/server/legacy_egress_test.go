package server_test

import (
	_ "embed"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/host/legacydb"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// putConnection sets a tenant's connection and returns the answer.
func putConnection(ts *testserver.Server, key, tenant, driver, dsn string, config map[string]any) *testserver.Response {
	return ts.Do("PUT", "/admin/v1/tenants/"+tenant+"/connection", key,
		map[string]any{"driver": driver, "dsn": dsn, "config": config})
}

// mustFailConnection checks r is 422 connection_failed with a detail containing want.
func mustFailConnection(t *testing.T, r *testserver.Response, want string) {
	t.Helper()
	if r.Status != 422 || r.ProblemCode() != "connection_failed" {
		t.Fatalf("PUT /connection = %s, want 422 connection_failed", r)
	}
	if d := r.Str("detail"); !strings.Contains(d, want) {
		t.Fatalf("detail %q, want it to contain %q", d, want)
	}
}

// TestLegacyEgressDefault checks, on a server without --legacy-networks, that a tenant's
// DSN cannot reach the server's own databases, by address, name, IPv6 or IPv4-mapped
// address or Unix socket, nor cloud metadata: each is 422 connection_failed, read like
// any network failure.
func TestLegacyEgressDefault(t *testing.T) {
	ts := testserver.Start(t, server.Config{LegacyNetworks: []netip.Prefix{}})
	key := ts.CreateTenant("acme")
	for _, tt := range []struct {
		driver string
		dsns   func(dsn string) []string
	}{
		{"postgres", func(dsn string) []string {
			return []string{
				dsn,
				strings.Replace(dsn, "127.0.0.1", "localhost", 1),
				strings.Replace(dsn, "127.0.0.1", "[::1]", 1),
				strings.Replace(dsn, "127.0.0.1", "[::ffff:127.0.0.1]", 1),
				"host=169.254.169.254 user=u dbname=test connect_timeout=1",
				"host=/var/run/postgresql user=postgres dbname=test sslmode=disable",
			}
		}},
		{"mysql", func(dsn string) []string {
			return []string{
				dsn,
				strings.Replace(dsn, "127.0.0.1", "localhost", 1),
				strings.Replace(dsn, "127.0.0.1", "[::1]", 1),
				strings.Replace(dsn, "127.0.0.1", "[::ffff:127.0.0.1]", 1),
				"u@tcp(169.254.169.254:3306)/test?timeout=1s",
				"root@unix(/run/mysqld/mysqld.sock)/test",
			}
		}},
	} {
		t.Run(tt.driver, func(t *testing.T) {
			legacy := ts.LegacyDB(t, tt.driver, "acme")
			for _, dsn := range tt.dsns(legacy.DSN) {
				t.Run(legacydb.MaskDSN(tt.driver, dsn), func(t *testing.T) {
					r := putConnection(ts, key, "acme", tt.driver, dsn, legacy.Config)
					mustFailConnection(t, r, tt.driver+" connection failed: "+legacydb.ReasonUnreachable)
				})
			}
		})
	}
}

// TestLegacyRoles checks, with loopback allowed, that PUT /connection refuses a role that
// reaches the database server's files (which the word list alone does not stop: see
// legacydb's TestPostgresBypassesDenied), saying why, and accepts a least-privileged one
// that then migrates users.
func TestLegacyRoles(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	for _, tt := range []struct {
		driver, admin, adminRefused string
		privileges                  []string // granted to the tenant's account, each refused
		want                        []string
	}{
		{"postgres", testserver.PostgresDSN, `role "postgres" is a superuser`,
			[]string{"pg_read_server_files", "pg_write_server_files", "pg_execute_server_program"},
			[]string{"is a member of pg_read_server_files", "is a member of pg_write_server_files", "is a member of pg_execute_server_program"}},
		{"mysql", testserver.MySQLDSN, "the account has ALL PRIVILEGES on *.*",
			[]string{"FILE ON *.*", "SUPER ON *.*"},
			[]string{"the account has FILE on *.*", "the account has SUPER on *.*"}},
	} {
		t.Run(tt.driver, func(t *testing.T) {
			tenant := "roles-" + tt.driver
			key := ts.CreateTenant(tenant)
			t.Run("administrator", func(t *testing.T) {
				legacy := ts.LegacyDB(t, tt.driver, tenant)
				mustFailConnection(t, putConnection(ts, key, tenant, tt.driver, tt.admin, legacy.Config), tt.adminRefused)
			})
			for i, p := range tt.privileges {
				t.Run(p, func(t *testing.T) {
					legacy := ts.LegacyDB(t, tt.driver, tenant)
					legacy.Reader.Grant(t, p)
					mustFailConnection(t, putConnection(ts, key, tenant, tt.driver, legacy.DSN, legacy.Config), tt.want[i])
				})
			}
			t.Run("least privilege", func(t *testing.T) {
				legacy := ts.LegacyDB(t, tt.driver, tenant)
				setUpMigration(t, ts, tenant, legacy)
				r := ts.Must(ts.Login(tenant, "alice@example.com", testserver.SeedPassword("alice")), 200, "first login")
				if u := r.Obj("user"); u["source"] != "legacy" {
					t.Fatalf("alice was not migrated: %v", u)
				}
			})
		})
	}
}

// pgBypassModule sends issue 12's two statements that spell pg_read_file past
// the PostgreSQL word list through db_query and logs the answers.
//
// Build (from internal/server/testdata): wat2wasm pg_bypass.wat -o pg_bypass.wasm
//
//go:embed testdata/pg_bypass.wasm
var pgBypassModule []byte

// TestPostgresFilterBypassesOverHTTP is issue 12's finding that
// U&"pg\005fread\005ffile"(...) and query_to_xml('SELECT pg_' || ...) read the
// server's files: a module sends both through db_query over the whole path
// (upload, PUT /connection, POST /script/test). The superuser that read them
// is refused at PUT /connection (TestLegacyRoles); the least-privileged role
// the server accepts gets PostgreSQL's "permission denied", whatever the
// words, and no file content reaches the module.
func TestPostgresFilterBypassesOverHTTP(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	const tenant = "bypass"
	key := ts.CreateTenant(tenant)
	legacy := ts.LegacyDB(t, "postgres", tenant)
	base := "/admin/v1/tenants/" + tenant
	ts.Must(ts.Do("PUT", base+"/script", key, pgBypassModule), 201, "upload the module")
	mustFailConnection(t, putConnection(ts, key, tenant, "postgres", testserver.PostgresDSN, legacy.Config), "is a superuser")
	ts.Must(putConnection(ts, key, tenant, "postgres", legacy.DSN, legacy.Config), 200, "least-privileged connection")
	r := ts.Must(ts.Do("POST", base+"/script/test", key, map[string]any{"op": "get_user", "identifier": "alice@example.com"}), 200, "script test")
	logs, _ := r.JSON["logs"].([]any)
	var answers []string
	for _, l := range logs {
		m, _ := l.(map[string]any)
		if msg, _ := m["message"].(string); strings.HasPrefix(msg, "{") {
			answers = append(answers, msg)
		}
	}
	if len(answers) != 2 {
		t.Fatalf("%d db_query answers logged, want 2: %s", len(answers), r.Body)
	}
	for _, a := range answers {
		if !strings.HasPrefix(a, `{"error":`) || !strings.Contains(a, "permission denied for function pg_read_file") {
			t.Errorf("answer %s, want PostgreSQL's permission denied for pg_read_file", a)
		}
		if strings.Contains(a, "root:") || strings.Contains(a, "rows") {
			t.Errorf("a file's content reached the module: %s", a)
		}
	}
}

// TestConnectionFailuresReadAlike checks PUT /connection is no port scanner: a closed
// port, a port where another protocol answers, one that never answers (a timeout) and an
// address not allowed give the same answer.
func TestConnectionFailuresReadAlike(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	key := ts.CreateTenant("acme")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
			c.Close()
		}
	}()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			// Read and never answer, until the server gives up.
			go func() {
				defer c.Close()
				c.SetReadDeadline(time.Now().Add(15 * time.Second))
				io.Copy(io.Discard, c)
			}()
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	for _, tt := range []struct {
		driver string
		dsn    func(addr string) string
	}{
		// Short timeouts, so that the silent port costs a second, not the default 10.
		{"postgres", func(addr string) string { return "postgres://u:pw@" + addr + "/test?sslmode=disable&connect_timeout=1" }},
		{"mysql", func(addr string) string { return "u:pw@tcp(" + addr + ")/test?timeout=1s&readTimeout=1s" }},
	} {
		t.Run(tt.driver, func(t *testing.T) {
			var details []string
			for _, addr := range []string{closedAddr, ln.Addr().String(), silent.Addr().String(), "10.255.255.1:5432"} {
				r := putConnection(ts, key, "acme", tt.driver, tt.dsn(addr), map[string]any{"dialect": tt.driver, "table": "users"})
				mustFailConnection(t, r, legacydb.ReasonUnreachable)
				details = append(details, r.Str("detail"))
			}
			for _, d := range details[1:] {
				if d != details[0] {
					t.Fatalf("details differ: %q", details)
				}
			}
		})
	}
}
