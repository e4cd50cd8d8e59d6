package cli
import "context"
func runDemo(ctx context.Context, sys IO, args []string) error { return errNotYet }
