package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
)

// kvFlag collects repeated --config k=v flags.
type kvFlag map[string]any

func (f kvFlag) String() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func (f kvFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return errors.New("want key=value")
	}
	f[strings.TrimSpace(k)] = v
	return nil
}

// limitsJSON are a tenant's script limits; zero fields are the defaults.
type limitsJSON struct {
	TimeoutMS  int   `json:"timeout_ms,omitempty"`
	MemoryMB   int   `json:"memory_mb,omitempty"`
	Fuel       int64 `json:"fuel,omitempty"`
	MaxQueries int   `json:"max_queries,omitempty"`
	MaxRows    int   `json:"max_rows,omitempty"`
	Instances  int   `json:"instances,omitempty"`
}

func (l limitsJSON) String() string {
	var parts []string
	add := func(name string, v int64) {
		if v != 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", name, v))
		}
	}
	add("timeout_ms", int64(l.TimeoutMS))
	add("memory_mb", int64(l.MemoryMB))
	add("fuel", l.Fuel)
	add("max_queries", int64(l.MaxQueries))
	add("max_rows", int64(l.MaxRows))
	add("instances", int64(l.Instances))
	if len(parts) == 0 {
		return "server defaults"
	}
	return strings.Join(parts, " ")
}

func bindLimits(fs *flag.FlagSet) *limitsJSON {
	l := &limitsJSON{}
	fs.IntVar(&l.TimeoutMS, "timeout-ms", 0, "limit: wall time of one call in ms (0: server default)")
	fs.IntVar(&l.MemoryMB, "memory-mb", 0, "limit: module memory in MiB (0: server default)")
	fs.Int64Var(&l.Fuel, "fuel", 0, "limit: fuel of one call (0: server default)")
	fs.IntVar(&l.MaxQueries, "max-queries", 0, "limit: database queries per call (0: server default)")
	fs.IntVar(&l.MaxRows, "max-rows", 0, "limit: rows per query (0: server default)")
	fs.IntVar(&l.Instances, "instances", 0, "limit: module instances at once (0: server default)")
	return l
}

// connectionJSON is a connection as the server shows it.
type connectionJSON struct {
	Driver string         `json:"driver"`
	DSNSet bool           `json:"dsn_set"`
	Config map[string]any `json:"config"`
	Limits limitsJSON     `json:"limits"`
}

func runConnection(ctx context.Context, sys IO, args []string) error {
	return dispatch(ctx, sys, "connection", `
Sets, shows and closes a tenant's legacy database connection. Works with the
tenant's API key or the operator token.`, []subcommand{
		{"set", "set the legacy database (the server pings it first)", connectionSet},
		{"get", "show the connection (never the DSN)", connectionGet},
		{"update", "change the config or limits, keeping the DSN", connectionUpdate},
		{"delete", "close the connection and switch migration off", connectionDelete},
	}, args)
}

func connectionSet(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "connection set", "connection set --tenant ID --driver postgres|mysql|sqlite (--dsn DSN | --dsn-stdin) [--config k=v ...] [flags]", `
Sets the tenant's legacy database. The server pings it before storing it and
never shows the DSN again. A sqlite DSN is a path inside the server's folder
for the tenant ({sqlite root}/{tenant}/). --config k=v (repeatable) is handed
to the module as input.config; values are strings.

A postgres or mysql DSN must name a role that can read the legacy users
table and nothing of the database server: the server refuses a PostgreSQL
superuser or member of pg_read_server_files, pg_write_server_files or
pg_execute_server_program, and a MySQL or MariaDB account with SUPER, FILE or
ALL PRIVILEGES. Its address must be one the operator allows (by default, not
loopback, link-local or a Unix socket).

Prefer --dsn-stdin when the DSN holds a password: a --dsn on the command line
is visible to other users of the machine.`)
	tenant := tenantFlag(sys, fs)
	driver := fs.String("driver", "", "postgres, mysql or sqlite")
	dsn := fs.String("dsn", "", "data source name (visible in the process list; prefer --dsn-stdin)")
	dsnStdin := fs.Bool("dsn-stdin", false, "read the DSN from the first line of standard input")
	config := kvFlag{}
	fs.Var(config, "config", "k=v handed to the module as input.config (repeatable)")
	limits := bindLimits(fs)
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	if err := requireFlag(sys, fs, "driver", *driver); err != nil {
		return err
	}
	if *dsnStdin {
		if *dsn != "" {
			return errors.New("--dsn and --dsn-stdin exclude each other")
		}
		line, err := readLine(sys.Stdin)
		if err != nil {
			return fmt.Errorf("reading the DSN from standard input: %w", err)
		}
		*dsn = line
	}
	if err := requireFlag(sys, fs, "dsn", *dsn); err != nil {
		return err
	}
	body := map[string]any{"driver": *driver, "dsn": *dsn, "config": map[string]any(config), "limits": limits}
	var conn connectionJSON
	return cf.show(ctx, sys, "PUT", tenantPath(*tenant, "connection"), body, &conn, func() error {
		fmt.Fprintf(sys.Stdout, "Connected %s to its %s database.\n", cell(*tenant), cell(conn.Driver))
		return nil
	})
}

func connectionGet(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "connection get", "connection get --tenant ID [flags]", `
Shows the tenant's connection: the driver, whether a DSN is set, the config
and the limits. The server never returns the DSN.`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	var conn connectionJSON
	return cf.show(ctx, sys, "GET", tenantPath(*tenant, "connection"), nil, &conn, func() error {
		return printConnection(sys, &conn)
	})
}

// printConnection shows a connection as a table.
func printConnection(sys IO, conn *connectionJSON) error {
	t := newTable(sys.Stdout)
	t.row("Driver", conn.Driver)
	t.row("DSN set", conn.DSNSet)
	cfg, _ := json.Marshal(conn.Config)
	t.row("Config", string(cfg))
	t.row("Limits", conn.Limits.String())
	return t.flush()
}

func connectionDelete(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "connection delete", "connection delete --tenant ID [flags]", `
Closes the tenant's legacy database, switches migration off and forgets the DSN.`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	return cf.delete(ctx, sys, tenantPath(*tenant, "connection"), fmt.Sprintf("Closed the legacy database of %s; migration is off.\n", cell(*tenant)))
}
