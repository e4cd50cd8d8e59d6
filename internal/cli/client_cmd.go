package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// subcommand is one verb of a command group such as "tenant create".
type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, sys IO, args []string) error
}

// dispatch runs the subcommand args[0] of group. Without one, or with an
// unknown one, it prints the group's usage.
func dispatch(ctx context.Context, sys IO, group, description string, subs []subcommand, args []string) error {
	printUsage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: wasmauth %s <subcommand> [flags]\n\n%s\n\nSubcommands:\n", group, strings.TrimSpace(description))
		for _, s := range subs {
			fmt.Fprintf(w, "  %-11s %s\n", s.name, s.summary)
		}
		fmt.Fprintf(w, "\nRun \"wasmauth %s <subcommand> --help\" for its flags.\n", group)
	}
	if len(args) == 0 {
		printUsage(sys.Stderr)
		return errUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		printUsage(sys.Stdout)
		return flag.ErrHelp
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, sys, args[1:])
		}
	}
	fmt.Fprintf(sys.Stderr, "wasmauth %s: unknown subcommand %q\n\n", group, args[0])
	printUsage(sys.Stderr)
	return errUsage
}

// parseArgs parses flags that may come before, between or after the
// positional arguments ("tenant create acme --name Acme"), and checks that
// there are exactly want positional arguments (any number when want < 0).
func parseArgs(sys IO, fs *flag.FlagSet, args []string, want int) ([]string, error) {
	if err := parse(sys, fs, args); err != nil {
		return nil, err
	}
	var pos []string
	rest := fs.Args()
	for len(rest) > 0 {
		if rest[0] == "--" {
			pos = append(pos, rest[1:]...)
			break
		}
		pos = append(pos, rest[0])
		if err := parse(sys, fs, rest[1:]); err != nil {
			return nil, err
		}
		rest = fs.Args()
	}
	if want >= 0 && len(pos) != want {
		switch {
		case len(pos) < want:
			fmt.Fprintf(sys.Stderr, "missing argument\n\n")
		default:
			fmt.Fprintf(sys.Stderr, "unexpected argument %q\n\n", pos[want])
		}
		fs.Usage()
		return nil, errUsage
	}
	return pos, nil
}

// requireFlag reports a missing required flag with the usage.
func requireFlag(sys IO, fs *flag.FlagSet, name, value string) error {
	if strings.TrimSpace(value) != "" {
		return nil
	}
	fmt.Fprintf(sys.Stderr, "--%s is required\n\n", name)
	fs.Usage()
	return errUsage
}

// tenantFlag adds the --tenant flag, defaulting to WASMAUTH_TENANT.
func tenantFlag(sys IO, fs *flag.FlagSet) *string {
	return fs.String("tenant", envOr(sys.Getenv, "", "WASMAUTH_TENANT"), "tenant id (env WASMAUTH_TENANT)")
}

// parseTenantArgs is parseArgs for a command that acts on one tenant: it
// also reports a missing --tenant (the flag tenantFlag added) with the usage.
func parseTenantArgs(sys IO, fs *flag.FlagSet, args []string, want int, tenant *string) ([]string, error) {
	pos, err := parseArgs(sys, fs, args, want)
	if err != nil {
		return nil, err
	}
	if err := requireFlag(sys, fs, "tenant", *tenant); err != nil {
		return nil, err
	}
	return pos, nil
}

// printJSON writes raw JSON indented, or "{}" for an empty body.
func printJSON(w io.Writer, raw []byte) error {
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("the server's answer is not JSON: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	if len(header) > 0 {
		t.row(toAny(header)...)
	}
	return t
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// row writes one row; nil and empty cells print as "-".
func (t *table) row(cells ...any) {
	for i, c := range cells {
		if i > 0 {
			fmt.Fprint(t.tw, "\t")
		}
		fmt.Fprint(t.tw, cell(c))
	}
	fmt.Fprint(t.tw, "\n")
}

func (t *table) flush() error { return t.tw.Flush() }

// cell formats a table cell without control characters, so a value from the
// server cannot move the cursor or break the columns.
func cell(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return "-"
	case *string:
		if x == nil {
			return "-"
		}
		s = *x
	case string:
		s = x
	default:
		s = fmt.Sprint(x)
	}
	if s == "" {
		return "-"
	}
	return sanitize(s)
}

// sanitize replaces control characters (and tabs) with spaces.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

// positiveInt parses a positive integer argument.
func positiveInt(name, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a positive integer, not %q", name, s)
	}
	return n, nil
}

// errCallFailed reports that a command ran but what it did failed (a
// script test whose call failed); the output has already been printed.
var errCallFailed = errors.New("the call failed")
