package legacydb

import (
	"fmt"
	"strings"
)

// dialect is what the statement guard needs to know about a driver's SQL.
type dialect struct {
	// nestedComments is true where /* */ comments nest (PostgreSQL).
	nestedComments bool
	// mysqlComments is true for MySQL: '#' comments, and /*! */ executable comments.
	mysqlComments bool
	// forbiddenWords are identifiers a request may not contain anywhere (lower case).
	forbiddenWords map[string]bool
	// forbiddenPrefixes are identifier prefixes a request may not contain (lower case).
	forbiddenPrefixes []string
}

var (
	postgresDialect = dialect{
		nestedComments: true,
		forbiddenWords: words("pg_read_file", "pg_read_binary_file", "pg_stat_file",
			"pg_logdir_ls", "lo_import", "lo_export"),
		forbiddenPrefixes: []string{"pg_ls_", "pg_file_", "dblink"},
	}
	mysqlDialect = dialect{
		mysqlComments:  true,
		forbiddenWords: words("load_file", "infile", "outfile", "dumpfile"),
	}
	sqliteDialect = dialect{}
)

func words(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// allowedFirstWords are the keywords a request's statement may start with.
var allowedFirstWords = words("select", "with", "values", "table", "show", "explain", "describe", "desc")

// checkStatement refuses, before it reaches the database, a statement that does not start
// like a query or that names something the dialect forbids. The check is deliberately
// coarse: forbidden words are found anywhere, string literals and comments included
// (arguments are bound separately and never checked).
func (d dialect) checkStatement(sql string) error {
	first, ok := d.firstWord(sql)
	if !ok {
		return fmt.Errorf("statement refused: only queries (SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN) are allowed")
	}
	if first != "(" && !allowedFirstWords[first] {
		return fmt.Errorf("statement refused: %s is not allowed; only queries (SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN) are", strings.ToUpper(first))
	}
	if w := d.forbiddenWord(sql); w != "" {
		return fmt.Errorf("statement refused: %s is not allowed", strings.ToUpper(w))
	}
	return nil
}

// firstWord returns the statement's first keyword in lower case, or "(", after skipping
// whitespace and comments. It reports false when the statement starts with anything else,
// an unterminated comment or a MySQL executable comment.
func (d dialect) firstWord(s string) (string, bool) {
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case strings.HasPrefix(s[i:], "--") || (d.mysqlComments && c == '#'):
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 {
				return "", false
			}
			i += nl + 1
		case strings.HasPrefix(s[i:], "/*"):
			if d.mysqlComments && (strings.HasPrefix(s[i:], "/*!") || strings.HasPrefix(s[i:], "/*M!")) {
				return "", false
			}
			end, ok := d.commentEnd(s, i)
			if !ok {
				return "", false
			}
			i = end
		case c == '(':
			return "(", true
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			return strings.ToLower(s[i:j]), true
		default:
			return "", false
		}
	}
	return "", false
}

// commentEnd returns the index just after the block comment starting at s[i:].
func (d dialect) commentEnd(s string, i int) (int, bool) {
	depth := 0
	for i < len(s) {
		switch {
		case strings.HasPrefix(s[i:], "/*"):
			if depth > 0 && !d.nestedComments {
				i += 2 // "/*" inside a comment that does not nest is plain text
				continue
			}
			depth++
			i += 2
		case strings.HasPrefix(s[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i, true
			}
		default:
			i++
		}
	}
	return 0, false
}

// forbiddenWord returns the first identifier in s the dialect forbids, or "".
func (d dialect) forbiddenWord(s string) string {
	if len(d.forbiddenWords) == 0 && len(d.forbiddenPrefixes) == 0 {
		return ""
	}
	for i := 0; i < len(s); {
		if !isIdentByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isIdentByte(s[j]) {
			j++
		}
		w := strings.ToLower(s[i:j])
		if d.forbiddenWords[w] {
			return w
		}
		for _, p := range d.forbiddenPrefixes {
			if strings.HasPrefix(w, p) {
				return w
			}
		}
		i = j
	}
	return ""
}

// isIdentByte reports whether c can be part of an identifier: ASCII letters, digits, '_',
// '$', and every non-ASCII byte (the databases allow non-ASCII letters in identifiers).
func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
