package auth_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/store/pgstore"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// TestDrainTakeover: two nodes share one PostgreSQL database. Node 1 runs
// a drain and dies in the middle of a page: its lease connection ends
// (PostgreSQL then releases the advisory lock, as for a killed node), so
// its job is cut where it is. Node 2 does not take the job while node 1
// holds the lease; after that it takes it over from the saved cursor and
// finishes it, and every legacy user is stored once.
func TestDrainTakeover(t *testing.T) {
	dsn := testserver.ScratchPostgres(t, "wasmauth_drain")
	const users, page = 10, 2
	db := newLegacyDB(legacyRows(users)...)
	// Node 1 blocks on its third page until its call's context ends, which
	// is when it loses the lease.
	third := newGate()
	abandoned := make(chan struct{})
	node := func(gated bool) *auth.Service {
		st, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		sc := db.scripts()
		sc.ValidateFn = func(_ context.Context, module []byte) (auth.ModuleInfo, error) {
			return auth.ModuleInfo{SHA256: "mock", Size: len(module), Exports: []string{auth.OpGetUser, auth.OpLogin, auth.OpListUsers}}, nil
		}
		sc.CallFn = func(ctx context.Context, c auth.ScriptCall) (*auth.ScriptResult, error) {
			if c.Op != auth.OpListUsers {
				return db.call(ctx, c)
			}
			if gated && c.Cursor != nil && *c.Cursor == "4" {
				close(third.reached)
				<-ctx.Done()
				close(abandoned)
				return nil, ctx.Err()
			}
			return db.listUsers(c, nil)
		}
		svc := auth.NewService(auth.Config{BaseURL: "http://auth.test"}, auth.Deps{
			Store: st, Hasher: password.NewHasher(password.Config{Params: cheapHash}),
			Scripts: sc, Leases: st.Leases(),
		})
		t.Cleanup(func() { svc.Close() })
		return svc
	}
	one, two := node(true), node(false)
	ctx := t.Context()
	if _, _, err := one.CreateTenant(ctx, "acme", "Acme", auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := one.UploadScript(ctx, "acme", []byte("\x00asm"), true, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	if err := one.SetConnection(ctx, "acme", &auth.Connection{Driver: "sqlite", DSN: "legacy.db"}, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	p := page
	if _, err := one.StartDrain(ctx, "acme", auth.DrainOptions{PageSize: &p}, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	<-third.reached // two pages committed, the third being fetched

	// While node 1 holds the lease, node 2 neither starts nor resumes it.
	if _, err := two.StartDrain(ctx, "acme", auth.DrainOptions{PageSize: &p}, auth.Meta{}); auth.ErrorCode(err) != auth.CodeDrainRunning {
		t.Fatalf("node 2 started a drain node 1 runs: %v", err)
	}
	if err := two.ResumeDrains(ctx); err != nil {
		t.Fatal(err)
	}
	if job, err := two.DrainStatus(ctx, "acme"); err != nil || job.State != auth.DrainRunning || job.Pages != 2 {
		t.Fatalf("job while node 1 runs it: %+v, %v", job, err)
	}

	// Node 1 dies: the connection holding its lease (the only lease held
	// in this database) ends.
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var killed int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND pid <> pg_backend_pid()
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("ending node 1's lease connection: %d ended, %v", killed, err)
	}
	select {
	case <-abandoned: // node 1 noticed the lost lease and cut its page
	case <-time.After(30 * time.Second):
		t.Fatal("node 1 went on with its page after losing the lease")
	}

	// Node 2's periodic check takes the job over and finishes it.
	if err := two.ResumeDrains(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var job *auth.DrainJob
	for {
		job, err = two.DrainStatus(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if job.State != auth.DrainRunning || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	want := auth.ImportCounts{Imported: users, WithoutPassword: users}
	if job.State != auth.DrainDone || job.Counts != want || job.Pages != users/page || job.Cursor != nil {
		t.Fatalf("job after the takeover: %+v, want done in %d pages with %+v", job, users/page, want)
	}
	seen := map[string]int{}
	list, _, err := two.ListUsers(ctx, "acme", auth.UserQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range list {
		seen[u.LegacyID]++
	}
	for _, r := range legacyRows(users) {
		if seen[r.user.ID] != 1 {
			t.Errorf("legacy user %s stored %d times, want once", r.user.ID, seen[r.user.ID])
		}
	}
	if len(list) != users {
		t.Errorf("%d users stored, want %d", len(list), users)
	}
}
