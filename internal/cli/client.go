package cli

import (
	"context"
	"errors"
)

var errNotYet = errors.New("not implemented yet")

func runTenant(ctx context.Context, sys IO, args []string) error     { return errNotYet }
func runScript(ctx context.Context, sys IO, args []string) error     { return errNotYet }
func runConnection(ctx context.Context, sys IO, args []string) error { return errNotYet }
func runMigration(ctx context.Context, sys IO, args []string) error  { return errNotYet }
func runUsers(ctx context.Context, sys IO, args []string) error      { return errNotYet }
func runBackup(ctx context.Context, sys IO, args []string) error     { return errNotYet }
func runRestore(ctx context.Context, sys IO, args []string) error    { return errNotYet }
