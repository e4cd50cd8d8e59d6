package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
)

// keysFlag collects repeated --unset k flags.
type keysFlag []string

func (f *keysFlag) String() string { return strings.Join(*f, ",") }

func (f *keysFlag) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("want a config key")
	}
	*f = append(*f, strings.TrimSpace(s))
	return nil
}

func connectionUpdate(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "connection update", "connection update --tenant ID [--config k=v ...] [--unset k ...] [limit flags] [flags]", `
Changes the config or the limits of the tenant's connection and keeps its
driver and DSN (PATCH /connection). --config k=v sets a key of input.config,
--unset k removes one, other keys stay. A limit flag sets that limit, 0
returns it to the server's default; limits not given stay. The server pings
the database again only when --instances changes.`)
	tenant := tenantFlag(sys, fs)
	config := kvFlag{}
	fs.Var(config, "config", "k=v to set in input.config (repeatable)")
	var unset keysFlag
	fs.Var(&unset, "unset", "a key to remove from input.config (repeatable)")
	set := bindLimits(fs)
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	body := map[string]any{}
	cfg := map[string]any(config)
	for _, k := range unset {
		if _, both := cfg[k]; both {
			return errors.New("--config and --unset name the same key " + k)
		}
		cfg[k] = nil
	}
	if len(cfg) > 0 {
		body["config"] = cfg
	}
	// The limits given, with 0 as null: back to the server's default.
	given, err := json.Marshal(set)
	if err != nil {
		return err
	}
	values := map[string]json.RawMessage{}
	if err := json.Unmarshal(given, &values); err != nil {
		return err
	}
	limits := map[string]any{}
	fs.Visit(func(f *flag.Flag) {
		if strings.HasPrefix(f.Usage, "limit: ") {
			key := strings.ReplaceAll(f.Name, "-", "_")
			if v, ok := values[key]; ok {
				limits[key] = v
			} else {
				limits[key] = nil
			}
		}
	})
	if len(limits) > 0 {
		body["limits"] = limits
	}
	if len(body) == 0 {
		fmt.Fprint(sys.Stderr, "nothing to change: give --config, --unset or a limit flag\n\n")
		fs.Usage()
		return errUsage
	}
	var conn connectionJSON
	return cf.show(ctx, sys, "PATCH", tenantPath(*tenant, "connection"), body, &conn, func() error {
		return printConnection(sys, &conn)
	})
}
