package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Env reads an environment variable; tests pass their own.
type Env func(string) string

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, io IO, args []string) error
}

// IO is a command's view of the process.
type IO struct {
	Getenv Env
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// errUsage means the command printed its usage because of bad arguments.
var errUsage = errors.New("usage")

func commands() map[string]command {
	return map[string]command{
		"serve":      {"run the server", runServe},
		"demo":       {"run the server with a ready demo tenant", runDemo},
		"tenant":     {"create, list, show or delete tenants; rotate API keys", runTenant},
		"script":     {"push, list, activate and test a tenant's module", runScript},
		"connection": {"set, show or close a tenant's legacy database", runConnection},
		"migration":  {"show (or --watch) and switch a tenant's migration", runMigration},
		"users":      {"list, show and delete a tenant's users", runUsers},
		"client":     {"register a tenant's OpenID Connect clients (apps)", runOIDCClient},
		"keys":       {"rotate a tenant's token signing keys", runKeys},
		"settings":   {"show and set a tenant's policies (browser session length)", runSettings},
		"backup":     {"write an online backup of a running server to FILE", runBackup},
		"restore":    {"load a backup FILE into a stopped server's empty data folder", runRestore},
		"version":    {"print the version", runVersion},
	}
}

// Run runs the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, getenv Env, stdin io.Reader, stdout, stderr io.Writer) int {
	sys := IO{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr}
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "wasmauth: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	err := cmd.run(ctx, sys, args[1:])
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "wasmauth %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "Usage: wasmauth <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "wasmauth <command> --help" for a command's flags.`)
}

// newFlags returns a flag set whose usage names the command and describes it.
func newFlags(sys IO, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(sys.Stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: wasmauth %s\n\n%s\n\nFlags:\n", synopsis, strings.TrimSpace(description))
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; --help prints the usage to stdout and returns flag.ErrHelp.
func parse(sys IO, fs *flag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(sys.Stdout)
			fs.Usage()
			return flag.ErrHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	return nil
}

// envOr returns the first non-empty environment value of names, or def.
func envOr(getenv Env, def string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return def
}

var version = "dev"

func runVersion(_ context.Context, sys IO, args []string) error {
	fmt.Fprintln(sys.Stdout, "wasmauth", version)
	return nil
}
