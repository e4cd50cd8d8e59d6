package legacydb

import (
	"errors"
	"net/url"
	"sort"
	"strings"
)

// masked replaces a credential in DSNs and messages.
const masked = "***"

// pgSecretKeys are the PostgreSQL connection settings whose values are credentials.
var pgSecretKeys = map[string]bool{"password": true, "sslpassword": true}

// MaskDSN returns dsn with its credentials replaced by "***", for messages and logs. In
// URL-style DSNs (postgres://user:pass@host/db, MySQL's user:pass@tcp(host)/db) the whole
// user information is masked; in PostgreSQL keyword/value DSNs and URL query parameters
// the password and sslpassword values are. A SQLite DSN, a file path, is returned as it
// is. A DSN that cannot be parsed, or one for an unknown driver, is masked entirely.
func MaskDSN(driver, dsn string) string {
	switch driver {
	case "postgres":
		return maskPostgres(dsn)
	case "mysql":
		return maskMySQL(dsn)
	case "sqlite":
		return dsn
	default:
		return masked
	}
}

// newMasker returns a function that replaces every credential of dsn in a message.
func newMasker(driver, dsn string) func(string) string {
	secrets := dsnSecrets(driver, dsn)
	if len(secrets) == 0 {
		return func(s string) string { return s }
	}
	// Longer secrets first, so that one secret containing another is masked whole.
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, masked)
	}
	r := strings.NewReplacer(pairs...)
	return r.Replace
}

// dsnSecrets returns the credentials in dsn, raw and decoded, and the DSN itself.
func dsnSecrets(driver, dsn string) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	switch driver {
	case "postgres":
		if isPostgresURL(dsn) {
			userinfo, query := splitPostgresURL(dsn)
			if _, pw, ok := strings.Cut(userinfo, ":"); ok {
				add(pw)
				if dec, err := url.PathUnescape(pw); err == nil {
					add(dec)
				}
			}
			for _, kv := range strings.Split(query, "&") {
				k, v, _ := strings.Cut(kv, "=")
				if key, err := url.QueryUnescape(k); err == nil && pgSecretKeys[key] {
					add(v)
					if dec, err := url.QueryUnescape(v); err == nil {
						add(dec)
					}
				}
			}
		} else if fields, err := parsePostgresKeywordValue(dsn); err == nil {
			for _, f := range fields {
				if pgSecretKeys[f.key] {
					add(dsn[f.start:f.end])
					add(f.value)
				}
			}
		}
	case "mysql":
		if start, end, ok := mysqlUserinfo(dsn); ok {
			if _, pw, ok := strings.Cut(dsn[start:end], ":"); ok {
				add(pw)
				if dec, err := url.PathUnescape(pw); err == nil && isMySQLURL(dsn) {
					add(dec)
				}
			}
		}
	}
	if len(out) > 0 && driver != "sqlite" {
		add(dsn)
	}
	return out
}

func isPostgresURL(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// splitPostgresURL returns the raw user information and query of a postgres:// URL. The
// user information runs to the last '@', so a password holding '@', '/' or '?' unescaped
// is still taken whole (an '@' in the query over-masks, which is safe).
func splitPostgresURL(dsn string) (userinfo, query string) {
	rest := dsn[strings.Index(dsn, "://")+3:]
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		userinfo, rest = rest[:at], rest[at+1:]
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if _, q, ok := strings.Cut(rest, "?"); ok {
		query = q
	}
	return userinfo, query
}

func maskPostgres(dsn string) string {
	if isPostgresURL(dsn) {
		i := strings.Index(dsn, "://") + 3
		scheme, rest := dsn[:i], dsn[i:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = masked + rest[at:]
		}
		base, query, ok := strings.Cut(rest, "?")
		if !ok {
			return scheme + rest
		}
		query, frag, hasFrag := strings.Cut(query, "#")
		parts := strings.Split(query, "&")
		for i, kv := range parts {
			k, _, _ := strings.Cut(kv, "=")
			if key, err := url.QueryUnescape(k); err != nil || pgSecretKeys[key] {
				parts[i] = k + "=" + masked
			}
		}
		out := scheme + base + "?" + strings.Join(parts, "&")
		if hasFrag {
			out += "#" + frag
		}
		return out
	}
	fields, err := parsePostgresKeywordValue(dsn)
	if err != nil {
		return masked
	}
	var b strings.Builder
	last := 0
	for _, f := range fields {
		if !pgSecretKeys[f.key] {
			continue
		}
		b.WriteString(dsn[last:f.start])
		b.WriteString(masked)
		last = f.end
	}
	b.WriteString(dsn[last:])
	return b.String()
}

// mysqlUserinfo returns where the "user:password" part of a MySQL DSN lies. In the
// driver's form it is found the way the driver finds it: before the last '@' that
// precedes the last '/'. In a mysql:// URL it runs from the "://" to the last '@' before
// the query, so a password holding '@' or '/' unescaped is still taken whole.
func mysqlUserinfo(dsn string) (start, end int, ok bool) {
	if isMySQLURL(dsn) {
		start = strings.Index(dsn, "://") + 3
		authority, _, _ := strings.Cut(dsn[start:], "?")
		at := strings.LastIndex(authority, "@")
		return start, start + at, at >= 0
	}
	slash := strings.LastIndex(dsn, "/")
	if slash < 0 {
		slash = len(dsn)
	}
	at := strings.LastIndex(dsn[:slash], "@")
	return 0, at, at >= 0
}

func maskMySQL(dsn string) string {
	start, end, ok := mysqlUserinfo(dsn)
	if !ok {
		if !strings.Contains(dsn, "/") {
			return masked // not a DSN the driver accepts; show nothing of it
		}
		return dsn
	}
	return dsn[:start] + masked + dsn[end:]
}

// pgField is one setting of a PostgreSQL keyword/value DSN; start and end delimit the
// value as written (quotes included).
type pgField struct {
	key, value string
	start, end int
}

const pgSpace = " \t\n\r\v\f"

func isPGSpace(c byte) bool { return strings.IndexByte(pgSpace, c) >= 0 }

// parsePostgresKeywordValue parses a keyword/value DSN ("host=x password='a b'") as libpq
// and pgx do, keeping where each value was written.
func parsePostgresKeywordValue(s string) ([]pgField, error) {
	var fields []pgField
	i := 0
	skip := func() {
		for i < len(s) && isPGSpace(s[i]) {
			i++
		}
	}
	skip()
	for i < len(s) {
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 {
			return nil, errors.New("invalid keyword/value")
		}
		key := strings.Trim(s[i:i+eq], pgSpace)
		if key == "" || strings.ContainsAny(key, pgSpace) {
			return nil, errors.New("invalid keyword/value")
		}
		i += eq + 1
		skip()
		f := pgField{key: key, start: i}
		var val strings.Builder
		switch {
		case i == len(s):
		case s[i] != '\'':
			for i < len(s) && !isPGSpace(s[i]) {
				if s[i] == '\\' {
					i++
					if i == len(s) {
						break
					}
				}
				val.WriteByte(s[i])
				i++
			}
		default:
			i++
			for {
				if i == len(s) {
					return nil, errors.New("unterminated quoted string")
				}
				if s[i] == '\'' {
					i++
					break
				}
				if s[i] == '\\' {
					i++
					if i == len(s) {
						return nil, errors.New("unterminated quoted string")
					}
				}
				val.WriteByte(s[i])
				i++
			}
		}
		f.end = i
		f.value = val.String()
		fields = append(fields, f)
		skip()
	}
	return fields, nil
}

// postgresSettings returns the keys and values a PostgreSQL DSN sets itself, in either form.
func postgresSettings(dsn string) (map[string]string, error) {
	settings := make(map[string]string)
	if isPostgresURL(dsn) {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, errors.New("invalid postgres URL")
		}
		if u.User != nil {
			settings["user"] = u.User.Username()
			if pw, ok := u.User.Password(); ok {
				settings["password"] = pw
			}
		}
		for k, vs := range u.Query() {
			if len(vs) > 0 {
				settings[k] = vs[len(vs)-1]
			}
		}
		return settings, nil
	}
	fields, err := parsePostgresKeywordValue(dsn)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		settings[f.key] = f.value
	}
	return settings, nil
}
