package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/httpapi"
	"github.com/wasmauth/wasmauth/internal/server"
)

// storeDir is where a data folder keeps the Badger store; it must match
// internal/server, and TestBackupRestore fails if it does not.
func storeDir(dataDir string) string { return filepath.Join(dataDir, "badger") }

// operatorTokenFile is the name of the generated operator token's hash in a
// data folder (internal/server); it is not part of a backup.
const operatorTokenFile = "operator-token.sha256"

func runBackup(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "backup", "backup FILE [flags]", `
Writes an online backup of the whole store of a running server to FILE ("-"
writes to standard output). Needs the operator token. The backup is JSON
lines (one record per line, see docs/API.md), whatever store the server
keeps. FILE appears only when the backup is complete: it is written to a
temporary file beside it, synced and renamed. The backup holds private
signing keys and password hashes: it is created readable by its owner only;
keep it safe.

The operator token is not part of a backup. Load one with "wasmauth restore".`)
	idle := fs.Duration("idle-timeout", time.Minute, "give up when the stream stalls this long")
	cf := bindClientFlags(sys, fs)
	pos, err := parseArgs(sys, fs, args, 1)
	if err != nil {
		return err
	}
	if *idle <= 0 {
		return errors.New("--idle-timeout must be positive")
	}
	c, err := cf.client(sys)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	resp, err := c.send(ctx, c.stream, request{method: "GET", path: "/admin/v1/backup"})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != httpapi.BackupContentType {
		return fmt.Errorf("the server answered %q, not a backup stream", resp.Header.Get("Content-Type"))
	}
	body := newIdleReader(resp.Body, *idle, func() {
		cancel(fmt.Errorf("the backup stream stalled for %s", *idle))
	})
	defer body.stop()
	var n int64
	if pos[0] == "-" {
		n, err = io.Copy(sys.Stdout, body)
	} else {
		n, err = writeFileAtomic(pos[0], body, 0o600)
	}
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
			err = cause
		}
		return fmt.Errorf("the backup is incomplete: %w", err)
	}
	if pos[0] != "-" {
		fmt.Fprintf(sys.Stdout, "Wrote a backup of %d bytes to %s.\n", n, pos[0])
	}
	return nil
}

// idleReader calls onIdle when no read has returned for a while.
type idleReader struct {
	r     io.Reader
	idle  time.Duration
	timer *time.Timer
	once  sync.Once
}

func newIdleReader(r io.Reader, idle time.Duration, onIdle func()) *idleReader {
	return &idleReader{r: r, idle: idle, timer: time.AfterFunc(idle, onIdle)}
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.timer.Reset(r.idle)
	return n, err
}

func (r *idleReader) stop() { r.once.Do(func() { r.timer.Stop() }) }

// writeFileAtomic writes r to a temporary file beside path, syncs it and
// renames it to path, so path holds either its old content or all of r.
func writeFileAtomic(path string, r io.Reader, perm os.FileMode) (n int64, err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if n, err = io.Copy(w, r); err != nil {
		return n, err
	}
	if err = w.Flush(); err != nil {
		return n, err
	}
	if err = f.Sync(); err != nil {
		return n, err
	}
	if err = f.Close(); err != nil {
		return n, err
	}
	if err = os.Rename(tmp, path); err != nil {
		return n, err
	}
	// Make the rename durable; not every system can sync a folder.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return n, nil
}

func runRestore(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "restore", "restore FILE [--data DIR | --store URL]", `
Loads a backup made by "wasmauth backup" into the data folder DIR, or with
--store into the PostgreSQL database at URL ("-" reads standard input). A
backup of either store restores into either. Restore works offline: stop the
server first (Badger locks its folder; servers sharing PostgreSQL must not
write meanwhile). It refuses a store that already holds data, a backup of an
unknown format version, and a damaged or cut-short backup (naming the line);
a failed restore into a new folder removes what it created, and one into
PostgreSQL stores nothing (it is one transaction).

The operator token is not part of a backup: start the restored server with
WASMAUTH_ADMIN_TOKEN, or it generates and prints a new one. Tenants' API keys,
signing keys, users and sessions are restored.`)
	data := fs.String("data", envOr(sys.Getenv, server.DefaultDataDir, "WASMAUTH_DATA_DIR"), "data folder of the stopped server (env WASMAUTH_DATA_DIR)")
	store := fs.String("store", envOr(sys.Getenv, server.StoreBadger, "WASMAUTH_STORE"), "the store to restore into: badger (in --data) or the postgres:// URL of an empty database (env WASMAUTH_STORE)")
	pos, err := parseArgs(sys, fs, args, 1)
	if err != nil {
		return err
	}
	var in io.Reader = sys.Stdin
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	badger := *store == server.StoreBadger
	dir, into, created := storeDir(*data), *data, false
	if badger {
		_, statErr := os.Stat(dir)
		created = errors.Is(statErr, os.ErrNotExist)
		if err := os.MkdirAll(*data, 0o700); err != nil {
			return fmt.Errorf("creating the data folder: %w", err)
		}
	} else {
		into = "the PostgreSQL database"
	}
	log := slog.New(slog.NewTextHandler(sys.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := server.OpenStore(ctx, server.Config{DataDir: *data, Store: *store, Log: log})
	if err != nil {
		if badger {
			return fmt.Errorf("opening the store in %s (restore works offline: is the server stopped?): %w", dir, err)
		}
		return fmt.Errorf("opening the store: %w", err)
	}
	restoreErr := auth.RestoreBackup(ctx, st, in)
	var tenants int
	if restoreErr == nil {
		list, err := st.ListTenants(ctx)
		restoreErr = err
		tenants = len(list)
	}
	closeErr := st.Close()
	if restoreErr != nil {
		if created {
			os.RemoveAll(dir)
		}
		return fmt.Errorf("restoring %s: %w", pos[0], restoreErr)
	}
	if closeErr != nil {
		return fmt.Errorf("closing the restored store: %w", closeErr)
	}
	fmt.Fprintf(sys.Stdout, "Restored %d tenants into %s.\n", tenants, into)
	if _, err := os.Stat(filepath.Join(*data, operatorTokenFile)); err != nil && sys.Getenv("WASMAUTH_ADMIN_TOKEN") == "" {
		fmt.Fprintln(sys.Stdout, "The operator token is not part of a backup: start the server with WASMAUTH_ADMIN_TOKEN, or it prints a new one.")
	}
	return nil
}
