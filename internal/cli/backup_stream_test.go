package cli_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/httpapi"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// backupStore is an auth.Store whose Export emits the given number of audit
// events of about 32 KiB each and then returns fail; every other method is left out.
type backupStore struct {
	auth.Store
	records int
	fail    error
}

func (s backupStore) Export(ctx context.Context, emit func(*auth.BackupRecord) error) error {
	pad := strings.Repeat("x", 32<<10)
	for i := range s.records {
		e := &auth.AuditEvent{ID: fmt.Sprint(i), Tenant: "acme", Time: time.Unix(1, 0), Type: "padding", Detail: map[string]any{"pad": pad}}
		if err := emit(&auth.BackupRecord{Audit: e}); err != nil {
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
		{"whole", backupStore{records: 100}, ""},
		{"fails midway", backupStore{records: 100, fail: errors.New("disk on fire")}, "the backup is incomplete"},
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
				b, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
				if len(lines) != 102 || !strings.HasPrefix(lines[0], `{"format":"wasmauth-backup","version":1,`) || lines[101] != `{"kind":"end","records":100}` {
					t.Fatalf("the backup file: %d lines, %.80s ... %.80s", len(lines), lines[0], lines[len(lines)-1])
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
