package legacydb

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
)

// privilegeError is a connection refused for its role: one that can read or write the
// database server's files or run its programs. Its message is shown to the tenant.
type privilegeError struct{ msg string }

func (e *privilegeError) Error() string { return e.msg }

// leastPrivilege is the advice every privilegeError ends with.
const leastPrivilege = "connect as a role that can only read the tenant's tables"

// postgresPrivileges lists the roles session_user is a member of (itself included) that
// reach the server's files or programs: superusers, and the predefined roles that read or
// write files or run programs (PostgreSQL 11 and later; older versions have none, and the
// IN list then matches nothing). session_user, not current_user: SET ROLE, which a
// read-only transaction allows, can take any role session_user is a member of.
const postgresPrivileges = `SELECT rolname, rolsuper FROM pg_catalog.pg_roles
WHERE (rolsuper OR rolname IN ('pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program'))
  AND pg_catalog.pg_has_role(session_user, oid, 'MEMBER')
ORDER BY NOT rolsuper, rolname`

// checkPostgresRole refuses a connection whose role reaches the server's files or programs.
// It runs on every new connection of a pool (pgx's AfterConnect).
func checkPostgresRole(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, postgresPrivileges)
	if err != nil {
		return fmt.Errorf("checking the role's privileges: %w", err)
	}
	defer rows.Close()
	user := conn.Config().User
	var found []string
	for rows.Next() {
		var name string
		var super bool
		if err := rows.Scan(&name, &super); err != nil {
			return fmt.Errorf("checking the role's privileges: %w", err)
		}
		if super {
			if name == user {
				return &privilegeError{fmt.Sprintf("role %q is a superuser; %s", user, leastPrivilege)}
			}
			return &privilegeError{fmt.Sprintf("role %q is a member of the superuser role %q; %s", user, name, leastPrivilege)}
		}
		found = append(found, name)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("checking the role's privileges: %w", err)
	}
	if len(found) > 0 {
		return &privilegeError{fmt.Sprintf("role %q is a member of %s, which can reach the server's files or programs; %s",
			user, strings.Join(found, ", "), leastPrivilege)}
	}
	return nil
}

// mysqlForbiddenPrivileges are the global privileges that reach the server's files
// (FILE) or its administration (SUPER), and ALL PRIVILEGES, which holds both.
var mysqlForbiddenPrivileges = []string{"ALL PRIVILEGES", "ALL", "SUPER", "FILE"}

// checkMySQLAccount refuses a connection whose account (or a role enabled at login, which
// SHOW GRANTS expands on MariaDB) holds a global SUPER, FILE or ALL PRIVILEGES. It runs on
// every new connection of a pool.
func checkMySQLAccount(ctx context.Context, dc driver.Conn) error {
	q, ok := dc.(driver.QueryerContext)
	if !ok {
		return errors.New("checking the account's privileges: the driver cannot query")
	}
	rows, err := q.QueryContext(ctx, "SHOW GRANTS", nil)
	if err != nil {
		return fmt.Errorf("checking the account's privileges: %w", err)
	}
	defer rows.Close()
	vals := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(vals); err != nil {
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("checking the account's privileges: %w", err)
		}
		var grant string
		switch v := vals[0].(type) {
		case []byte:
			grant = string(v)
		case string:
			grant = v
		}
		if p := globalPrivilege(grant); p != "" {
			return &privilegeError{fmt.Sprintf("the account has %s on *.*, which reaches the server's files or administration; "+
				"connect as an account without SUPER, FILE or ALL PRIVILEGES that can only read the tenant's tables", p)}
		}
	}
}

// globalPrivilege returns the first of mysqlForbiddenPrivileges a line of SHOW GRANTS
// grants on *.*, or "".
func globalPrivilege(grant string) string {
	rest, ok := strings.CutPrefix(grant, "GRANT ")
	if !ok {
		return ""
	}
	privs, object, ok := strings.Cut(rest, " ON ")
	if !ok || !strings.HasPrefix(object, "*.* ") {
		return ""
	}
	for _, p := range strings.Split(privs, ",") {
		p = strings.ToUpper(strings.TrimSpace(p))
		for _, f := range mysqlForbiddenPrivileges {
			if p == f {
				if f == "ALL" {
					return "ALL PRIVILEGES"
				}
				return f
			}
		}
	}
	return ""
}
