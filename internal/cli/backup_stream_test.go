package cli_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/httpapi"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// backupStore is an auth.Store whose Backup writes size bytes and then
// returns fail; every other method is left out.
type backupStore struct {
	auth.Store
	size int
	fail error
}

func (s backupStore) Backup(ctx context.Context, w io.Writer) error {
	chunk := bytes.Repeat([]byte{0xab}, 32<<10)
	for left := s.size; left > 0; left -= len(chunk) {
		if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
			return err
		}
	}
	return s.fail
}

// serveAPI serves the HTTP API over store on a free port and returns its URL.
func serveAPI(t *testing.T, store auth.Store) string {
	t.Helper()
	svc := auth.NewService(auth.Config{OperatorTokenHash: auth.HashSecret(testserver.OperatorToken)}, auth.Deps{Store: store})
	api := httpapi.New(httpapi.Config{}, svc, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go api.Serve(ln)
	t.Cleanup(func() {
		api.Shutdown(context.Background())
		svc.Close()
	})
	return "http://" + ln.Addr().String()
}

func TestBackupStream(t *testing.T) {
	tests := []struct {
		name    string
		store   backupStore
		wantErr string
	}{
		{"whole", backupStore{size: 3 << 20}, ""},
		{"fails midway", backupStore{size: 3 << 20, fail: errors.New("disk on fire")}, "the backup is incomplete"},
		{"fails at once: a problem document", backupStore{fail: errors.New("disk on fire")}, "internal_error: internal error (HTTP 500)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := serveAPI(t, tt.store)
			dir := t.TempDir()
			file := filepath.Join(dir, "out.backup")
			r := runCLI(t, map[string]string{"WASMAUTH_URL": url, "WASMAUTH_ADMIN_TOKEN": testserver.OperatorToken}, "", "backup", file)
			entries, _ := os.ReadDir(dir)
			if tt.wantErr == "" {
				if r.code != 0 {
					t.Fatalf("backup: %s", r)
				}
				if fi, err := os.Stat(file); err != nil || fi.Size() != int64(tt.store.size) {
					t.Fatalf("the backup file: %v, %v", fi, err)
				}
				if len(entries) != 1 {
					t.Errorf("files left beside the backup: %v", entries)
				}
				return
			}
			if r.code != 1 || !strings.Contains(r.stderr, tt.wantErr) {
				t.Fatalf("a failing backup: %s", r)
			}
			if strings.Contains(r.stderr, "disk on fire") {
				t.Errorf("the server's internal error reached the client: %s", r.stderr)
			}
			if len(entries) != 0 {
				t.Errorf("a failed backup left files: %v", entries)
			}
		})
	}
}
