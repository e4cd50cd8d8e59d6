package legacydb

import (
	"errors"
	"strings"
	"testing"
)

// postgresBypasses read a server file past the word list: the role, not the list, is what
// stops them.
var postgresBypasses = []string{
	`SELECT U&"pg\005fread\005ffile"('/etc/hostname')`,
	`SELECT query_to_xml('SELECT pg_' || 'read_file(''/etc/passwd'')', true, true, '')`,
}

// refusedRole opens cfg, which must be refused for its role with a reason containing want.
func refusedRole(t *testing.T, cfg Config, want string) {
	t.Helper()
	ce := connectError(t, cfg, "")
	var pe *privilegeError
	if !errors.As(ce, &pe) || !strings.Contains(ce.Reason, want) {
		t.Fatalf("ConnectError = %+v, want a refused role, the reason containing %q", ce, want)
	}
}

func TestPostgresRoleRefused(t *testing.T) {
	b := postgresBackend(t)
	var super string
	if err := b.admin.QueryRow("SELECT current_user FROM pg_roles WHERE rolname = current_user AND rolsuper").Scan(&super); err != nil {
		t.Fatalf("the admin DSN must be a superuser's: %v", err)
	}

	t.Run("superuser", func(t *testing.T) {
		cfg := b.cfg
		cfg.DSN = envOr("LEGACYDB_POSTGRES_DSN", defaultPostgresDSN)
		refusedRole(t, cfg, `role "`+super+`" is a superuser`)
	})
	t.Run("member of a superuser", func(t *testing.T) {
		b := postgresBackend(t)
		b.reader.Grant(t, `"`+super+`"`)
		refusedRole(t, b.cfg, `is a member of the superuser role "`+super+`"`)
	})
	for _, role := range []string{"pg_read_server_files", "pg_write_server_files", "pg_execute_server_program"} {
		t.Run(role, func(t *testing.T) {
			b := postgresBackend(t)
			b.reader.Grant(t, role)
			refusedRole(t, b.cfg, `role "`+b.reader.Name+`" is a member of `+role)
		})
	}
	t.Run("through another role", func(t *testing.T) {
		b := postgresBackend(t)
		group := testdbGroup(t, b, "pg_read_server_files")
		b.reader.Grant(t, group)
		refusedRole(t, b.cfg, "pg_read_server_files")
	})
}

// testdbGroup makes a role without login holding member, granted to nobody yet.
func testdbGroup(t *testing.T, b backend, member string) string {
	t.Helper()
	name := b.reader.Name + "_group"
	exec(t, b, name, "CREATE ROLE %[1]s NOLOGIN", "GRANT "+member+" TO %[1]s")
	t.Cleanup(func() { b.admin.Exec("DROP ROLE " + name) })
	return name
}

// TestRoleCheckedOnEveryConnection grants a privilege after Open: the next new pooled
// connection is refused, the request an error response saying why.
func TestRoleCheckedOnEveryConnection(t *testing.T) {
	for _, m := range []struct {
		name, privilege, want string
		make                  func(testing.TB) backend
	}{
		{"postgres", "pg_read_server_files", "is a member of pg_read_server_files", postgresBackend},
		{"mysql", "FILE ON *.*", "the account has FILE on *.*", mysqlBackend},
	} {
		t.Run(m.name, func(t *testing.T) {
			b := m.make(t)
			db := openTenant(t, b)
			if e := responseError(t, query(t, db, "SELECT 1")); e != "" {
				t.Fatalf("SELECT 1: %s", e)
			}
			b.reader.Grant(t, m.privilege)
			db.db.SetMaxIdleConns(0) // the next request dials a new connection
			if e := responseError(t, query(t, db, "SELECT 1")); !strings.Contains(e, m.want) {
				t.Fatalf("SELECT 1 after the grant: error %q, want it to contain %q", e, m.want)
			}
		})
	}
}

// TestPostgresBypassesDenied runs the word list's bypasses as a least-privileged role:
// they pass the list, and PostgreSQL denies them.
func TestPostgresBypassesDenied(t *testing.T) {
	b := postgresBackend(t)
	db := openTenant(t, b)
	for _, s := range postgresBypasses {
		t.Run(s, func(t *testing.T) {
			if err := postgresDialect.checkStatement(s); err != nil {
				t.Fatalf("the word list refuses it (%v): this test needs one it lets through", err)
			}
			got := query(t, db, s)
			if e := responseError(t, got); !strings.Contains(e, "permission denied for function pg_read_file") {
				t.Fatalf("got %s, want PostgreSQL's permission denied", got)
			}
		})
	}
}

func TestMySQLAccountRefused(t *testing.T) {
	b := mysqlBackend(t)
	t.Run("root", func(t *testing.T) {
		cfg := b.cfg
		cfg.DSN = envOr("LEGACYDB_MYSQL_DSN", defaultMySQLDSN)
		refusedRole(t, cfg, "the account has ALL PRIVILEGES on *.*")
	})
	for _, p := range []string{"FILE", "SUPER"} {
		t.Run(p, func(t *testing.T) {
			b := mysqlBackend(t)
			b.reader.Grant(t, p+" ON *.*")
			refusedRole(t, b.cfg, "the account has "+p+" on *.*")
		})
	}
	t.Run("default role with FILE", func(t *testing.T) {
		b := mysqlBackend(t)
		role := b.reader.Name + "_role"
		exec(t, b, role, "CREATE ROLE %[1]s", "GRANT FILE ON *.* TO %[1]s")
		t.Cleanup(func() { b.admin.Exec("DROP ROLE " + role) })
		b.reader.Grant(t, role)
		exec(t, b, role, "SET DEFAULT ROLE %[1]s FOR '"+b.reader.Name+"'@'%'")
		refusedRole(t, b.cfg, "the account has FILE on *.*")
	})
	t.Run("least privilege", func(t *testing.T) {
		b := mysqlBackend(t)
		table := usersTable(t, b)
		db := openTenant(t, b)
		if got := query(t, db, "SELECT COUNT(*) AS n FROM "+table); got != `{"columns":["n"],"rows":[[2]]}` {
			t.Fatalf("got %s", got)
		}
	})
}

func TestGlobalPrivilege(t *testing.T) {
	for _, tt := range []struct{ grant, want string }{
		{"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION", "ALL PRIVILEGES"},
		{"GRANT SELECT, INSERT, FILE, PROCESS ON *.* TO `app`@`%`", "FILE"},
		{"GRANT RELOAD, SUPER ON *.* TO 'app'@'%'", "SUPER"},
		{"GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*D82'", ""},
		{"GRANT ALL PRIVILEGES ON `app`.* TO `app`@`%`", ""},
		{"GRANT SELECT (file, super) ON `app`.`t` TO `app`@`%`", ""},
		{"GRANT `file` TO `app`@`%`", ""},
		{"SET DEFAULT ROLE `file` FOR `app`@`%`", ""},
	} {
		if got := globalPrivilege(tt.grant); got != tt.want {
			t.Errorf("globalPrivilege(%q) = %q, want %q", tt.grant, got, tt.want)
		}
	}
}
