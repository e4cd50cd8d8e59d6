package cli

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wasmauth/wasmauth/internal/store/badgerstore"
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
writes to standard output). Needs the operator token. FILE appears only when
the backup is complete: it is written to a temporary file beside it, synced
and renamed. The backup holds private signing keys and password hashes: it is
created readable by its owner only; keep it safe.

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
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/octet-stream" {
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
	fs := newFlags(sys, "restore", "restore FILE --data DIR", `
Loads a backup made by "wasmauth backup" into the data folder DIR ("-" reads
standard input). Restore works offline: stop the server first (Badger locks
its folder). It refuses a store that already holds data; a failed restore into
a new folder removes what it created.

The operator token is not part of a backup: start the restored server with
WASMAUTH_ADMIN_TOKEN, or it generates and prints a new one. Tenants' API keys,
signing keys, users and sessions are restored.`)
	data := fs.String("data", envOr(sys.Getenv, "./data", "WASMAUTH_DATA_DIR"), "data folder of the stopped server (env WASMAUTH_DATA_DIR)")
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
	dir := storeDir(*data)
	_, statErr := os.Stat(dir)
	created := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return fmt.Errorf("creating the data folder: %w", err)
	}
	log := slog.New(slog.NewTextHandler(sys.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := badgerstore.Open(dir, badgerstore.Options{Logger: log, GCInterval: -1})
	if err != nil {
		return fmt.Errorf("opening the store in %s (restore works offline: is the server stopped?): %w", dir, err)
	}
	maxFrame := int64(maxBackupFrame)
	if f, ok := in.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			maxFrame = min(maxFrame, fi.Size())
		}
	}
	restoreErr := restoreStore(ctx, st, newFrameReader(bufio.NewReaderSize(in, 1<<20), maxFrame))
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
	fmt.Fprintf(sys.Stdout, "Restored %d tenants into %s.\n", tenants, *data)
	if _, err := os.Stat(filepath.Join(*data, operatorTokenFile)); err != nil && sys.Getenv("WASMAUTH_ADMIN_TOKEN") == "" {
		fmt.Fprintln(sys.Stdout, "The operator token is not part of a backup: start the server with WASMAUTH_ADMIN_TOKEN, or it prints a new one.")
	}
	return nil
}

// restoreStore loads a backup into st, turning a panic of the loader on a
// malformed backup into an error.
func restoreStore(ctx context.Context, st *badgerstore.Store, r io.Reader) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the backup is malformed (%v)", p)
		}
	}()
	return st.Restore(ctx, r)
}

// maxBackupFrame bounds one frame of a backup. Badger frames are batches of
// key-value pairs, a few MiB each; the largest single value wasmauth stores
// is a module (16 MiB by default).
const maxBackupFrame = 1 << 30

// frameReader passes a Badger backup stream through, checking each frame's
// header (a little-endian uint64 length of the protobuf list that follows)
// before the loader sees it, so a corrupt or hostile file cannot make the
// loader allocate an absurd buffer.
type frameReader struct {
	r       io.Reader
	max     int64
	hdr     [8]byte
	hdrLeft int   // header bytes still to hand out
	payload int64 // payload bytes still to pass through
	err     error
}

func newFrameReader(r io.Reader, maxFrame int64) *frameReader {
	return &frameReader{r: r, max: maxFrame}
}

func (f *frameReader) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if f.hdrLeft == 0 && f.payload == 0 {
		n, err := io.ReadFull(f.r, f.hdr[:])
		switch {
		case err == io.EOF:
			f.err = io.EOF
			return 0, io.EOF
		case errors.Is(err, io.ErrUnexpectedEOF):
			f.err = fmt.Errorf("the backup ends inside a frame header (%d of 8 bytes)", n)
			return 0, f.err
		case err != nil:
			f.err = err
			return 0, err
		}
		size := binary.LittleEndian.Uint64(f.hdr[:])
		if size > uint64(f.max) {
			f.err = fmt.Errorf("the backup is malformed: a frame of %d bytes (at most %d)", size, f.max)
			return 0, f.err
		}
		f.hdrLeft, f.payload = 8, int64(size)
	}
	if f.hdrLeft > 0 {
		n := copy(p, f.hdr[8-f.hdrLeft:])
		f.hdrLeft -= n
		return n, nil
	}
	if int64(len(p)) > f.payload {
		p = p[:f.payload]
	}
	n, err := f.r.Read(p)
	f.payload -= int64(n)
	if err == io.EOF && f.payload > 0 {
		f.err = errors.New("the backup ends inside a frame: it is truncated")
		return n, f.err
	}
	if err == io.EOF {
		err = nil // more frames may follow; the next header read decides
	}
	if err != nil {
		f.err = err
	}
	return n, err
}
