package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/auth/mock"
	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/store/badgerstore"
	"github.com/wasmauth/wasmauth/internal/testclock"
)

// countingModule is a module exporting count_users whose legacy table holds
// users rows; it counts its count_users calls.
type countingModule struct {
	mu    sync.Mutex
	users int64
	calls int
}

func (m *countingModule) set(n int64) {
	m.mu.Lock()
	m.users = n
	m.mu.Unlock()
}

func (m *countingModule) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

func (m *countingModule) scripts() *mock.Scripts {
	return &mock.Scripts{
		ValidateFn: func(_ context.Context, b []byte) (auth.ModuleInfo, error) {
			return auth.ModuleInfo{SHA256: string(b), Size: len(b), Exports: []string{auth.OpGetUser, auth.OpLogin, auth.OpCountUsers}}, nil
		},
		CallFn: func(_ context.Context, c auth.ScriptCall) (*auth.ScriptResult, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			if c.Op != auth.OpCountUsers {
				return nil, &auth.ScriptError{Kind: "trap", Message: "unexpected op " + c.Op}
			}
			m.calls++
			return &auth.ScriptResult{Count: m.users}, nil
		},
	}
}

func TestMigrationStatusReusesTheLegacyCount(t *testing.T) {
	st, err := badgerstore.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mod := &countingModule{users: 100}
	clock := testclock.New(time.Now().UTC())
	start := func() *auth.Service {
		svc := auth.NewService(auth.Config{BaseURL: "http://auth.test"}, auth.Deps{
			Store: st, Hasher: password.NewHasher(password.Config{Params: cheapHash}),
			Scripts: mod.scripts(), Now: clock.Now,
		})
		t.Cleanup(func() { svc.Close() })
		return svc
	}
	svc, other := start(), start() // two nodes on one store
	ctx := t.Context()
	if _, _, err := svc.CreateTenant(ctx, "acme", "Acme", auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UploadScript(ctx, "acme", []byte("\x00asm v1"), true, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	conn := &auth.Connection{Driver: "sqlite", DSN: "legacy.db"}
	if err := svc.SetConnection(ctx, "acme", conn, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	// status reads the count and says how many module calls were made so far.
	status := func(want int64, calls int) {
		t.Helper()
		st, err := svc.MigrationStatus(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if st.LegacyUsers == nil || *st.LegacyUsers != want {
			t.Fatalf("LegacyUsers = %v, want %d", st.LegacyUsers, want)
		}
		if got := mod.count(); got != calls {
			t.Fatalf("%d count_users calls, want %d", got, calls)
		}
	}
	status(100, 1)
	status(100, 1) // the second read reuses the first's answer

	mod.set(150)
	clock.Advance(auth.LegacyCountTTL - time.Second)
	status(100, 1)
	clock.Advance(time.Second)
	status(150, 2) // expired

	mod.set(160)
	if _, err := svc.UploadScript(ctx, "acme", []byte("\x00asm v2"), false, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	status(150, 2) // an inactive upload changes nothing
	if _, err := svc.ActivateScript(ctx, "acme", 2, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	status(160, 3)

	mod.set(170)
	if _, err := svc.UpdateConnection(ctx, "acme", func(c *auth.Connection) error {
		c.Config["table"] = "members"
		return nil
	}, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	status(170, 4)

	mod.set(180)
	if err := svc.SetConnection(ctx, "acme", conn, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	status(180, 5)
	mod.set(185)
	if err := svc.SetConnection(ctx, "acme", conn, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	status(185, 6) // set again, unchanged: the admin may have fixed the database

	// Another node's change reaches this node's cache through the store.
	mod.set(190)
	if err := other.SetConnection(ctx, "acme", &auth.Connection{Driver: "sqlite", DSN: "other.db"}, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	status(190, 7)
	mod.set(200)
	if _, err := other.ActivateScript(ctx, "acme", 1, auth.Meta{}); err != nil {
		t.Fatal(err)
	}
	status(200, 8)
	status(200, 8)
}
