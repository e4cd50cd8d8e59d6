package legacydb

import (
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/stdlib"
)

// postgresAllowedKeys are the settings a tenant's PostgreSQL DSN may hold. Left out on
// purpose: passfile, service and servicefile (server files), sslcert, sslkey, sslpassword
// and sslcertmode (the server's client certificates), krbsrvname and krbspn, and options
// (arbitrary server settings).
var postgresAllowedKeys = []string{
	"host", "hostaddr", "port", "database", "dbname", "user", "password",
	"sslmode", "ssl", "sslrootcert", "sslsni", "sslnegotiation", "channel_binding", "require_auth",
	"connect_timeout", "target_session_attrs", "min_protocol_version", "max_protocol_version",
	"application_name", "search_path", "timezone", "client_encoding", "datestyle",
	"default_query_exec_mode", "statement_cache_capacity", "description_cache_capacity",
}

// openPostgres opens a pgx pool for a tenant's DSN. Every connection (fallback hosts and
// cancel requests included) is dialled through guard, and refused when its role reaches
// the server's files or programs.
func openPostgres(dsn string, guard *dialGuard) (*sql.DB, error) {
	cfg, err := postgresConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.DialFunc = guard.dialer(cfg.ConnectTimeout)
	return stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(checkPostgresRole)), nil
}

// postgresConfig parses a tenant's DSN, refusing settings that reach the server's files or
// credentials and fixing those that would widen what a request can do.
func postgresConfig(dsn string) (*pgx.ConnConfig, error) {
	settings, err := postgresSettings(dsn)
	if err != nil {
		return nil, fmt.Errorf("invalid postgres DSN %s: %v", maskPostgres(dsn), err)
	}
	if v, ok := settings["sslrootcert"]; ok && v != "system" {
		return nil, errors.New(`sslrootcert may only be "system": the server's files are not available`)
	}
	cfg, err := pgx.ParseConfigWithOptions(dsn, pgx.ParseConfigOptions{
		ParseConfigOptions: pgconn.ParseConfigOptions{ConnStringAllowedKeys: postgresAllowedKeys},
	})
	if err != nil {
		return nil, err
	}
	// The password is the DSN's, or none: never the server's PGPASSWORD or ~/.pgpass.
	cfg.Password = settings["password"]
	// Nor may the server's own client certificate (~/.postgresql) be presented.
	cfg.TLSConfig = withoutClientCerts(cfg.TLSConfig)
	for _, fb := range cfg.Fallbacks {
		fb.TLSConfig = withoutClientCerts(fb.TLSConfig)
	}
	// The simple protocol would run several ';'-separated statements in one request.
	if cfg.DefaultQueryExecMode == pgx.QueryExecModeSimpleProtocol {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	cfg.MaxProtocolMessageBodyLen = maxValueBytes
	return cfg, nil
}

func withoutClientCerts(c *tls.Config) *tls.Config {
	if c == nil || (len(c.Certificates) == 0 && c.GetClientCertificate == nil) {
		return c
	}
	c = c.Clone()
	c.Certificates = nil
	c.GetClientCertificate = nil
	return c
}

// postgresTooLarge reports whether err is pgx refusing a message over maxValueBytes.
func postgresTooLarge(err error) bool {
	var e *pgproto3.ExceededMaxBodyLenErr
	return errors.As(err, &e)
}
