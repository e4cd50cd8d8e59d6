package auth_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// gate holds a list_users page: reached closes when the page is asked
// for, and the answer waits until release is closed.
type gate struct{ reached, release chan struct{} }

func newGate() *gate { return &gate{reached: make(chan struct{}), release: make(chan struct{})} }

// listUsers is a legacy database's list_users over rows, c.Limit at a time
// (the cursor is the next row's index); page n waits at gates[n] when set.
func (db *legacyDB) listUsers(c auth.ScriptCall, gates map[int]*gate) (*auth.ScriptResult, error) {
	from := 0
	if c.Cursor != nil {
		from, _ = strconv.Atoi(*c.Cursor)
	}
	if g := gates[from/c.Limit]; g != nil {
		close(g.reached)
		<-g.release
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	res := &auth.ScriptResult{}
	for i := from; i < len(db.rows) && i < from+c.Limit; i++ {
		u := db.rows[i].user
		res.Users = append(res.Users, &u)
	}
	if next := from + c.Limit; next < len(db.rows) {
		cur := strconv.Itoa(next)
		res.NextCursor = &cur
	}
	return res, nil
}

// drainEnv is an env whose module exports list_users over db's rows.
func drainEnv(t *testing.T, db *legacyDB, gates map[int]*gate) *env {
	sc := db.scripts()
	sc.ValidateFn = func(_ context.Context, module []byte) (auth.ModuleInfo, error) {
		return auth.ModuleInfo{SHA256: "mock", Size: len(module), Exports: []string{auth.OpGetUser, auth.OpLogin, auth.OpListUsers}}, nil
	}
	login := db.call
	sc.CallFn = func(ctx context.Context, c auth.ScriptCall) (*auth.ScriptResult, error) {
		if c.Op == auth.OpListUsers {
			return db.listUsers(c, gates)
		}
		return login(ctx, c)
	}
	return newEnv(t, sc)
}

// waitDrain waits until the tenant's drain is no longer running.
func waitDrain(t *testing.T, e *env) *auth.DrainJob {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		job, err := e.svc.DrainStatus(t.Context(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		if job.State != auth.DrainRunning {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("the drain still runs: %+v", job)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startDrain starts the tenant's drain, waiting for the end of the last
// one's goroutine, which ends just after its job's state is saved.
func startDrain(t *testing.T, e *env, page int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := e.svc.StartDrain(t.Context(), "acme", auth.DrainOptions{PageSize: &page}, auth.Meta{})
		if auth.ErrorCode(err) != auth.CodeDrainRunning || time.Now().After(deadline) {
			if err != nil {
				t.Fatal(err)
			}
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func legacyRows(n int) []*legacyRow {
	var rows []*legacyRow
	for i := range n {
		id := strconv.Itoa(100 + i)
		rows = append(rows, &legacyRow{pw: "passphrase-of-" + id, user: auth.LegacyUser{ID: id, Email: "user" + id + "@example.com"}})
	}
	return rows
}

// TestDrain: the drain copies every legacy user a page at a time, leaves
// those already local, and counts the ones whose email a local user holds.
func TestDrain(t *testing.T) {
	db := newLegacyDB(legacyRows(5)...)
	e := drainEnv(t, db, nil)
	ctx := t.Context()
	mustLogin(t, e, "user100@example.com", "passphrase-of-100") // migrated lazily first
	// A local user registered before the legacy database had the email.
	if _, err := e.register(t, "192.0.2.9", auth.RegisterInput{Email: "taken@example.com", Password: localPW}); err != nil {
		t.Fatal(err)
	}
	db.add(&legacyRow{user: auth.LegacyUser{ID: "200", Email: "taken@example.com"}})
	page := 2
	if _, err := e.svc.StartDrain(ctx, "acme", auth.DrainOptions{PageSize: &page}, auth.Meta{Actor: "operator"}); err != nil {
		t.Fatal(err)
	}
	job := waitDrain(t, e)
	want := auth.ImportCounts{Imported: 4, AlreadyLocal: 1, Conflicts: 1, WithoutPassword: 4}
	if job.State != auth.DrainDone || job.Counts != want || job.Pages != 3 || job.Cursor != nil {
		t.Fatalf("job: %+v, want done in 3 pages with %+v", job, want)
	}
	if st := e.stats(t); st.UsersImported != 4 || st.UsersMigrated != 5 || st.UsersRegistered != 1 {
		t.Fatalf("stats: %+v", st)
	}
	// A second drain finds the same: nothing new is stored.
	startDrain(t, e, page)
	if job := waitDrain(t, e); job.Counts != (auth.ImportCounts{AlreadyLocal: 5, Conflicts: 1}) {
		t.Fatalf("second drain: %+v", job.Counts)
	}
}

// TestDrainStopAndResume: a stop takes effect after the current page, and
// a new start resumes from the saved cursor.
func TestDrainStopAndResume(t *testing.T) {
	db := newLegacyDB(legacyRows(6)...)
	g := newGate()
	e := drainEnv(t, db, map[int]*gate{1: g})
	ctx := t.Context()
	page := 2
	if _, err := e.svc.StartDrain(ctx, "acme", auth.DrainOptions{PageSize: &page}, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StartDrain(ctx, "acme", auth.DrainOptions{}, auth.Meta{}); auth.ErrorCode(err) != auth.CodeDrainRunning {
		t.Fatalf("a second start while it runs: %v", err)
	}
	<-g.reached // the second page is being fetched
	if err := e.svc.StopDrain(ctx, "acme", auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	close(g.release) // the second page is committed, then the drain stops
	job := waitDrain(t, e)
	if job.State != auth.DrainStopped || job.Pages != 2 || job.Counts.Imported != 4 {
		t.Fatalf("stopped job: %+v", job)
	}
	startDrain(t, e, page)
	if job := waitDrain(t, e); job.State != auth.DrainDone || job.Pages != 3 || job.Counts.Imported != 6 {
		t.Fatalf("resumed job: %+v", job)
	}
}

// TestDrainRefuses: bad settings, and a module without list_users.
func TestDrainRefuses(t *testing.T) {
	e := drainEnv(t, newLegacyDB(), nil)
	for _, n := range []int{0, auth.MaxDrainPageSize + 1} {
		if _, err := e.svc.StartDrain(t.Context(), "acme", auth.DrainOptions{PageSize: &n}, auth.Meta{}); auth.ErrorCode(err) != auth.CodeInvalidRequest {
			t.Fatalf("page size %d: %v", n, err)
		}
	}
	neg := -1
	if _, err := e.svc.StartDrain(t.Context(), "acme", auth.DrainOptions{MaxUsersPerSecond: &neg}, auth.Meta{}); auth.ErrorCode(err) != auth.CodeInvalidRequest {
		t.Fatalf("negative rate: %v", err)
	}
	plain := newEnv(t, newLegacyDB().scripts())
	if _, err := plain.svc.StartDrain(t.Context(), "acme", auth.DrainOptions{}, auth.Meta{}); auth.ErrorCode(err) != auth.CodeDrainUnsupported {
		t.Fatalf("a module without list_users: %v", err)
	}
	if _, err := plain.svc.DrainStatus(t.Context(), "acme"); auth.ErrorCode(err) != auth.CodeNotFound {
		t.Fatalf("status without a drain: %v", err)
	}
}
