// Command wasmauth is an authentication server that migrates users lazily
// from legacy databases through sandboxed WebAssembly modules, and the client
// of its admin API. Run "wasmauth help" for its commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/wasmauth/wasmauth/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
