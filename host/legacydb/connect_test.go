package legacydb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
)

func TestMaskDSN(t *testing.T) {
	tests := []struct{ name, driver, dsn, want string }{
		{"pg url", "postgres", "postgres://alice:s3cret@db.example.com:5432/app?sslmode=require", "postgres://***@db.example.com:5432/app?sslmode=require"},
		{"pg url user only", "postgres", "postgresql://alice@db/app", "postgresql://***@db/app"},
		{"pg url no userinfo", "postgres", "postgres://db/app", "postgres://db/app"},
		{"pg url password with @ and /", "postgres", "postgres://alice:p@ss/w?rd@db/app", "postgres://***@db/app"},
		{"pg url password param", "postgres", "postgres://db/app?user=a&password=s3cret&sslpassword=k3y", "postgres://db/app?user=a&password=***&sslpassword=***"},
		{"pg url escaped param key", "postgres", "postgres://db/app?pass%77ord=s3cret", "postgres://db/app?pass%77ord=***"},
		{"pg url bad escape", "postgres", "postgres://db/app?%zz=s3cret", "postgres://db/app?%zz=***"},
		{"pg kv", "postgres", "host=db user=alice password=s3cret dbname=app", "host=db user=alice password=*** dbname=app"},
		{"pg kv spaced", "postgres", "host=db password = s3cret", "host=db password = ***"},
		{"pg kv quoted", "postgres", `host=db password='s 3\'cret' dbname=app`, "host=db password=*** dbname=app"},
		{"pg kv escaped", "postgres", `password=s\ 3cret host=db`, "password=*** host=db"},
		{"pg kv unterminated", "postgres", "host=db password='s3cret", "***"},
		{"pg kv garbage", "postgres", "s3cret", "***"},
		{"mysql", "mysql", "alice:s3cret@tcp(db:3306)/app?parseTime=true", "***@tcp(db:3306)/app?parseTime=true"},
		{"mysql password with @ and /", "mysql", "alice:p@ss/word@tcp(db)/app", "***@tcp(db)/app"},
		{"mysql no userinfo", "mysql", "tcp(db:3306)/app", "tcp(db:3306)/app"},
		{"mysql not a dsn", "mysql", "alice:s3cret", "***"},
		{"sqlite", "sqlite", "users.db", "users.db"},
		{"unknown driver", "oracle", "alice/s3cret@db", "***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskDSN(tt.driver, tt.dsn); got != tt.want {
				t.Errorf("MaskDSN(%q) = %q, want %q", tt.dsn, got, tt.want)
			}
		})
	}
}

func TestMasker(t *testing.T) {
	tests := []struct{ name, driver, dsn, msg, want string }{
		{"pg url raw and decoded", "postgres", "postgres://a:p%40ss@db/app", "bad p%40ss or p@ss", "bad *** or ***"},
		{"pg kv quoted", "postgres", `host=db password='s 3cret'`, "got 's 3cret' or s 3cret", "got *** or ***"},
		{"mysql", "mysql", "a:s3cret@tcp(db)/app", "access denied for s3cret", "access denied for ***"},
		{"whole dsn", "mysql", "a:s3cret@tcp(db)/app", "cannot use a:s3cret@tcp(db)/app", "cannot use ***"},
		{"no password", "postgres", "postgres://a@db/app", "role a does not exist", "role a does not exist"},
		{"sqlite", "sqlite", "users.db", "no such file users.db", "no such file users.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newMasker(tt.driver, tt.dsn)(tt.msg); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// connectError opens cfg, which must fail, and checks the error hides password.
func connectError(t *testing.T, cfg Config, password string) *ConnectError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, err := Open(ctx, cfg)
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded, want an error")
	}
	var ce *ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %#v, want a *ConnectError", err)
	}
	if password != "" && (strings.Contains(ce.Reason, password) || strings.Contains(err.Error(), password)) {
		t.Errorf("error %q shows the password", err)
	}
	if ce.Reason == "" {
		t.Error("empty reason")
	}
	t.Log(err)
	return ce
}

func TestOpenFailures(t *testing.T) {
	const pw = "Sup3r-S3cret-PW"
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown driver", Config{Driver: "oracle", DSN: "x"}, "unknown driver"},
		{"pg refused port", Config{Driver: "postgres", DSN: "postgres://alice:" + pw + "@127.0.0.1:1/test?sslmode=disable", Networks: loopback}, ReasonUnreachable},
		{"pg refused port kv", Config{Driver: "postgres", DSN: "host=127.0.0.1 port=1 user=alice password='" + pw + "' sslmode=disable", Networks: loopback}, ReasonUnreachable},
		{"pg bad port", Config{Driver: "postgres", DSN: "postgres://alice:" + pw + "@127.0.0.1:notaport/test"}, "port"},
		{"pg bad kv", Config{Driver: "postgres", DSN: "host=db password='" + pw}, "invalid postgres DSN"},
		{"pg passfile", Config{Driver: "postgres", DSN: "host=127.0.0.1 passfile=/etc/passwd"}, "passfile"},
		{"pg service", Config{Driver: "postgres", DSN: "postgres://127.0.0.1/test?service=x"}, "service"},
		{"pg servicefile", Config{Driver: "postgres", DSN: "host=127.0.0.1 servicefile=/etc/passwd service=x"}, "servicefile"},
		{"pg sslkey", Config{Driver: "postgres", DSN: "host=127.0.0.1 sslkey=/etc/ssl/private/x.key sslcert=/etc/ssl/x.crt"}, "ssl"},
		{"pg sslrootcert file", Config{Driver: "postgres", DSN: "host=127.0.0.1 sslmode=verify-full sslrootcert=/etc/passwd"}, "sslrootcert"},
		{"pg options", Config{Driver: "postgres", DSN: "host=127.0.0.1 options='-c default_transaction_read_only=off'"}, "options"},
		{"mysql refused port", Config{Driver: "mysql", DSN: "alice:" + pw + "@tcp(127.0.0.1:1)/test", Networks: loopback}, ReasonUnreachable},
		{"mysql bad dsn", Config{Driver: "mysql", DSN: "alice:" + pw + "@tcp(127.0.0.1:3306)/test?timeout=x"}, "timeout"},
		{"mysql not a dsn", Config{Driver: "mysql", DSN: "alice:" + pw}, "DSN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := connectError(t, tt.cfg, pw)
			if !strings.Contains(ce.Reason, tt.want) {
				t.Errorf("reason %q, want it to mention %q", ce.Reason, tt.want)
			}
		})
	}
}

func TestPostgresPingFailureMasksPassword(t *testing.T) {
	b := postgresBackend(t)
	const pw = "Wr0ng-P4ssw0rd-xyz"
	// Trust authentication accepts any password, so a user that does not exist is what
	// fails here; either way the reason is the server's, masked.
	cfg := b.cfg
	cfg.DSN = "postgres://legacydb_nobody:" + pw + "@127.0.0.1:5432/test?sslmode=disable"
	ce := connectError(t, cfg, pw)
	if !strings.Contains(ce.Reason, "legacydb_nobody") {
		t.Errorf("reason %q, want the server's reason", ce.Reason)
	}
}

func TestMySQLPingFailureMasksPassword(t *testing.T) {
	b := mysqlBackend(t)
	table := uniqueTable(t, b, "u") // for a unique user name
	user := strings.TrimPrefix(table, "legacydb_")
	const pw = "Right-P4ss-123"
	if _, err := b.admin.Exec("CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + pw + "'"); err != nil {
		t.Fatalf("create user: %v", err)
	}
	t.Cleanup(func() { b.admin.Exec("DROP USER '" + user + "'@'%'") })
	if _, err := b.admin.Exec("GRANT SELECT ON test.* TO '" + user + "'@'%'"); err != nil {
		t.Fatalf("grant: %v", err)
	}
	mc, err := mysql.ParseDSN(b.cfg.DSN)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("wrong password", func(t *testing.T) {
		const wrong = "Wr0ng-P4ssw0rd-xyz"
		cfg := b.cfg
		cfg.DSN = user + ":" + wrong + "@tcp(" + mc.Addr + ")/test"
		ce := connectError(t, cfg, wrong)
		if !strings.Contains(ce.Reason, "Access denied") {
			t.Errorf("reason %q, want the server's reason", ce.Reason)
		}
	})
	t.Run("right password", func(t *testing.T) {
		cfg := b.cfg
		cfg.DSN = user + ":" + pw + "@tcp(" + mc.Addr + ")/test"
		db := openTenant(t, backend{cfg: cfg})
		if got := query(t, db, "SELECT 1 AS one"); got != `{"columns":["one"],"rows":[[1]]}` {
			t.Errorf("got %s", got)
		}
	})
}

func TestPostgresIgnoresServerCredentials(t *testing.T) {
	t.Setenv("PGPASSWORD", "server-env-secret")
	passfile := filepath.Join(t.TempDir(), "pgpass")
	writeFile(t, passfile, []byte("*:*:*:*:server-file-secret\n"))
	if err := os.Chmod(passfile, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGPASSFILE", passfile)
	tests := []struct{ name, dsn, want string }{
		{"no password", "postgres://alice@db.example.com/app", ""},
		{"no password kv", "host=db.example.com user=alice", ""},
		{"password in url", "postgres://alice:mine@db.example.com/app", "mine"},
		{"password in kv", "host=db.example.com user=alice password=mine", "mine"},
		{"empty password", "host=db.example.com user=alice password=''", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := postgresConfig(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Password != tt.want {
				t.Errorf("password %q, want %q", cfg.Password, tt.want)
			}
		})
	}
}

func TestPostgresConfigForcesExtendedProtocol(t *testing.T) {
	for _, mode := range []string{"simple_protocol", "exec", "cache_statement", "cache_describe", "describe_exec"} {
		t.Run(mode, func(t *testing.T) {
			cfg, err := postgresConfig("postgres://a@db/app?default_query_exec_mode=" + mode)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.DefaultQueryExecMode == pgx.QueryExecModeSimpleProtocol {
				t.Error("simple protocol kept")
			}
			if cfg.MaxProtocolMessageBodyLen != maxValueBytes {
				t.Errorf("MaxProtocolMessageBodyLen = %d", cfg.MaxProtocolMessageBodyLen)
			}
		})
	}
}

// TestDSNCannotWidenAccess opens connections whose DSNs ask for more (several statements
// per request, local files) and checks the request still cannot write or read files.
func TestDSNCannotWidenAccess(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		table := usersTable(t, b)
		var stmts []string
		switch b.name {
		case "postgres":
			b.cfg.DSN += "&default_query_exec_mode=simple_protocol"
			stmts = []string{"SELECT 1; DROP TABLE " + table, "SELECT 1; COMMIT; DROP TABLE " + table}
		case "mysql":
			b.cfg.DSN += "?multiStatements=true&allowAllFiles=true"
			stmts = []string{"SELECT 1; DROP TABLE " + table, "SELECT 1; COMMIT; DROP TABLE " + table}
		case "sqlite":
			t.Skip("a SQLite DSN is a path: no settings")
		}
		db := openTenant(t, b)
		for _, s := range stmts {
			t.Run(s, func(t *testing.T) {
				if got := query(t, db, s); responseError(t, got) == "" {
					t.Errorf("got %s, want an error response", got)
				}
				if n := countRows(t, b, table); n != 2 {
					t.Errorf("%d rows, want 2", n)
				}
			})
		}
	})
}

func TestMySQLFileAccess(t *testing.T) {
	b := mysqlBackend(t)
	table := usersTable(t, b)
	db := openTenant(t, b)
	out := filepath.Join(os.TempDir(), table+".txt")
	t.Cleanup(func() { os.Remove(out) })
	stmts := []string{
		"SELECT LOAD_FILE('/etc/hostname')",
		"SELECT load_file ('/etc/hostname') AS f",
		"SELECT `LOAD_FILE`('/etc/hostname')",
		"SELECT id FROM " + table + " INTO OUTFILE '" + out + "'",
		"SELECT id FROM " + table + " INTO DUMPFILE '" + out + "'",
		"SELECT id FROM " + table + " /*!INTO OUTFILE '" + out + "'*/",
		"LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE " + table,
		"LOAD DATA INFILE '/etc/hostname' INTO TABLE " + table,
		"LOAD XML LOCAL INFILE '/etc/hostname' INTO TABLE " + table,
	}
	for _, s := range stmts {
		t.Run(s, func(t *testing.T) {
			got := query(t, db, s)
			if responseError(t, got) == "" {
				t.Errorf("got %s, want an error response", got)
			}
		})
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s was written: %v", out, err)
	}
	if n := countRows(t, b, table); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
}
