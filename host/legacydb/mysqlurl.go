package legacydb

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// mysqlDefaultPort is the port of a mysql:// URL that names none.
const mysqlDefaultPort = "3306"

// isMySQLURL reports whether dsn is a mysql:// (or mariadb://) URL rather than
// go-sql-driver/mysql's own form (user:password@tcp(host:3306)/db).
func isMySQLURL(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "mysql://") || strings.HasPrefix(l, "mariadb://")
}

// parseMySQLDSN reads a MySQL DSN in the driver's form, or as a URL:
// mysql://user:password@host[:port]/database[?param=value&...], where user, password
// and database may be percent-encoded, the port is 3306 when absent, and the parameters
// are the driver's (tls, charset, collation, timeout, ...).
func parseMySQLDSN(dsn string) (*mysql.Config, error) {
	if !isMySQLURL(dsn) {
		return mysql.ParseDSN(dsn)
	}
	start, end, ok := mysqlUserinfo(dsn)
	var user, password string
	rest := dsn[strings.Index(dsn, "://")+3:]
	if ok {
		u, p, _ := strings.Cut(dsn[start:end], ":")
		var err1, err2 error
		user, err1 = url.PathUnescape(u)
		password, err2 = url.PathUnescape(p)
		if err1 != nil || err2 != nil {
			return nil, errors.New("bad percent-encoding in the user or password")
		}
		rest = dsn[end+1:]
	}
	hostport, path, _ := strings.Cut(rest, "/")
	db, query, hasQuery := strings.Cut(path, "?")
	if strings.ContainsAny(hostport, "?#") || strings.Contains(db, "#") {
		return nil, errors.New("a mysql:// URL is mysql://user:password@host:port/database?param=value")
	}
	if hostport == "" {
		return nil, errors.New("no host in the mysql:// URL")
	}
	if _, port, err := net.SplitHostPort(hostport); err != nil {
		hostport = net.JoinHostPort(strings.Trim(hostport, "[]"), mysqlDefaultPort)
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("bad port %q in the mysql:// URL", port)
	}
	driverDSN := "tcp(" + hostport + ")/" + db
	if hasQuery {
		driverDSN += "?" + query
	}
	cfg, err := mysql.ParseDSN(driverDSN)
	if err != nil {
		return nil, err
	}
	cfg.User, cfg.Passwd = user, password
	return cfg, nil
}
