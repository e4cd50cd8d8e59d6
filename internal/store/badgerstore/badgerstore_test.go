package badgerstore_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/store/badgerstore"
	"github.com/wasmauth/wasmauth/internal/store/storetest"
)

// testOptions keeps on-disk test stores small.
func testOptions() badgerstore.Options {
	return badgerstore.Options{
		Logger:       slog.New(slog.DiscardHandler),
		MemTableSize: 8 << 20,
		GCInterval:   -1,
	}
}

func openInMemory(tb testing.TB) auth.Store {
	tb.Helper()
	s, err := badgerstore.OpenInMemory()
	if err != nil {
		tb.Fatalf("OpenInMemory: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func openOnDisk(tb testing.TB, dir string, opts badgerstore.Options) *badgerstore.Store {
	tb.Helper()
	s, err := badgerstore.Open(dir, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	backends := []struct {
		name     string
		newStore storetest.NewStore
	}{
		{"InMemory", func(t *testing.T) auth.Store { return openInMemory(t) }},
		{"OnDisk", func(t *testing.T) auth.Store { return openOnDisk(t, t.TempDir(), testOptions()) }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { storetest.Run(t, b.newStore) })
	}
}

// TestBackupAcrossStores restores a backup of an in-memory store on disk
// and back.
func TestBackupAcrossStores(t *testing.T) {
	inMemory := func(t *testing.T) auth.Store { return openInMemory(t) }
	onDisk := func(t *testing.T) auth.Store { return openOnDisk(t, t.TempDir(), testOptions()) }
	t.Run("InMemoryToOnDisk", func(t *testing.T) { storetest.RoundTrip(t, inMemory, onDisk) })
	t.Run("OnDiskToInMemory", func(t *testing.T) { storetest.RoundTrip(t, onDisk, inMemory) })
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	module := make([]byte, 3<<20)
	for i := range module {
		module[i] = byte(i % 251)
	}

	s, err := badgerstore.Open(dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"CreateTenant", func() error { return s.CreateTenant(ctx, &auth.Tenant{ID: "acme", Name: "Acme"}) }},
		{"AddScript", func() error { return s.AddScript(ctx, &auth.Script{Tenant: "acme"}, module, true, auth.ScriptQuota{}) }},
		{"CreateUser", func() error {
			return s.CreateUser(ctx, &auth.User{ID: "u-1", Tenant: "acme", Email: "one@example.com", Source: auth.SourceLegacy, LegacyID: "7"})
		}},
		{"CreateSession", func() error {
			return s.CreateSession(ctx, &auth.Session{ID: "s-1", Tenant: "acme", UserID: "u-1", ExpiresAt: now.Add(time.Hour)}, []byte("h0"))
		}},
		{"Rotate", func() error {
			_, err := s.RotateRefreshToken(ctx, "acme", []byte("h0"), []byte("h1"), now)
			return err
		}},
		{"CountLegacyOutcome", func() error { return s.CountLegacyOutcome(ctx, "acme", auth.LegacyOK) }},
		{"AppendAudit", func() error { return s.AppendAudit(ctx, &auth.AuditEvent{Tenant: "acme", Type: "user_migrated"}) }},
		{"AppendLogs", func() error {
			return s.AppendLogs(ctx, "acme", []auth.LogEntry{{Level: "info", Op: "login", Message: "hello"}})
		}},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping after Close: no error")
	}
	if _, err := s.GetUser(ctx, "acme", "u-1"); err == nil {
		t.Fatal("GetUser after Close: no error")
	}

	r := openOnDisk(t, dir, testOptions())
	checks := []struct {
		name string
		ok   func() (bool, error)
	}{
		{"user", func() (bool, error) {
			u, err := r.FindUserByLegacyID(ctx, "acme", "7")
			return err == nil && u.ID == "u-1", err
		}},
		{"module", func() (bool, error) {
			_, m, err := r.GetScript(ctx, "acme", 1)
			return err == nil && string(m) == string(module), err
		}},
		{"active script", func() (bool, error) {
			tn, err := r.GetTenant(ctx, "acme")
			return err == nil && tn.ActiveScript == 1, err
		}},
		{"rotated token is reuse", func() (bool, error) {
			_, err := r.RotateRefreshToken(ctx, "acme", []byte("h0"), []byte("h2"), now)
			return err == auth.ErrRefreshReused, nil
		}},
		{"stats", func() (bool, error) {
			st, err := r.MigrationStats(ctx, "acme")
			return err == nil && st.UsersMigrated == 1 && st.LegacyLoginsOK == 1, err
		}},
		{"audit", func() (bool, error) {
			ev, _, err := r.ListAudit(ctx, "acme", 10, "")
			return err == nil && len(ev) == 1, err
		}},
		{"logs", func() (bool, error) {
			l, err := r.ListLogs(ctx, "acme", 10)
			return err == nil && len(l) == 1 && l[0].Message == "hello", err
		}},
	}
	for _, c := range checks {
		if ok, err := c.ok(); !ok {
			t.Errorf("after reopen, %s: wrong (err %v)", c.name, err)
		}
	}
}

func TestLogCap(t *testing.T) {
	opts := testOptions()
	opts.LogCap = 10
	s := openOnDisk(t, t.TempDir(), opts)
	ctx := t.Context()
	if err := s.CreateTenant(ctx, &auth.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	for i := range 35 {
		if err := s.AppendLogs(ctx, "acme", []auth.LogEntry{{Level: "info", Message: strconv.Itoa(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	logs, err := s.ListLogs(ctx, "acme", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != 10 || logs[0].Message != "34" || logs[9].Message != "25" {
		t.Fatalf("capped log = %d lines from %q to %q, want the 10 newest", len(logs), logs[0].Message, logs[len(logs)-1].Message)
	}
}

func TestModuleTooLarge(t *testing.T) {
	s := openInMemory(t)
	ctx := t.Context()
	if err := s.CreateTenant(ctx, &auth.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	err := s.AddScript(ctx, &auth.Script{Tenant: "acme"}, make([]byte, badgerstore.MaxModuleSize+1), true, auth.ScriptQuota{})
	if err == nil {
		t.Fatal("AddScript over MaxModuleSize: no error")
	}
}

// crashEnv names the directory the child process of TestCrash writes to.
const crashEnv = "BADGERSTORE_CRASH_DIR"

// TestCrash runs a child process (this test binary) that creates users and
// prints the id of each acknowledged one, kills it with SIGKILL mid-stream,
// and checks that every acknowledged user survived, with exact counters.
func TestCrash(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process; skipped with -short")
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const killAfter = 150
	var acked []string
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		acked = append(acked, lines.Text())
		if len(acked) == killAfter {
			// Process.Kill is SIGKILL on Unix: no deferred Close runs.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
		}
	}
	_ = cmd.Wait()
	if len(acked) < killAfter {
		t.Fatalf("child acknowledged only %d users before exiting", len(acked))
	}
	if acked[0] != "ready" {
		t.Fatalf("child said %q first", acked[0])
	}
	acked = acked[1:]

	s := openOnDisk(t, dir, testOptions())
	ctx := t.Context()
	for _, id := range acked {
		if _, err := s.GetUser(ctx, "acme", id); err != nil {
			t.Fatalf("acknowledged user %s lost in the crash: %v", id, err)
		}
	}
	var all []*auth.User
	q := auth.UserQuery{Limit: 1000}
	for {
		page, next, err := s.ListUsers(ctx, "acme", q)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == "" {
			break
		}
		q.Cursor = next
	}
	st, err := s.MigrationStats(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if st.UsersRegistered != int64(len(all)) || len(all) < len(acked) {
		t.Fatalf("after the crash: %d users listed, %d acknowledged, registered counter %d",
			len(all), len(acked), st.UsersRegistered)
	}
	t.Logf("%d users acknowledged before SIGKILL, %d found after reopening", len(acked), len(all))
}

// crashChild creates users in dir until it is killed, printing each
// acknowledged id. It stops by itself after a while so that it cannot
// outlive a dead parent for long.
func crashChild(dir string) {
	s, err := badgerstore.Open(dir, testOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.CreateTenant(ctx, &auth.Tenant{ID: "acme"}); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	w := io.Writer(os.Stdout) // unbuffered: a printed id has left the process
	fmt.Fprintln(w, "ready")
	for i := 0; ctx.Err() == nil; i++ {
		id := fmt.Sprintf("u-%06d", i)
		if err := s.CreateUser(ctx, &auth.User{ID: id, Tenant: "acme", Email: id + "@example.com"}); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
		fmt.Fprintln(w, id)
	}
	cancel()
	os.Exit(3)
}
