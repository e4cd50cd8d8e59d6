package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// NewStore makes a fresh, empty store for one test and arranges (with
// t.Cleanup) for it to be closed.
type NewStore func(t *testing.T) auth.Store

// Run runs the conformance suite against stores made by newStore, one fresh
// store per subtest (export and import use several).
func Run(t *testing.T, newStore NewStore) {
	groups := []struct {
		name string
		run  func(*testing.T, NewStore)
	}{
		{"Tenants", testTenants},
		{"Scripts", testScripts},
		{"ScriptQuota", testScriptQuota},
		{"DeleteScript", testDeleteScript},
		{"Users", testUsers},
		{"Uniqueness", testUniqueness},
		{"ConcurrentUniqueness", testConcurrentUniqueness},
		{"Stats", testStats},
		{"ConcurrentStats", testConcurrentStats},
		{"ListUsers", testListUsers},
		{"Sessions", testSessions},
		{"ConcurrentRotation", testConcurrentRotation},
		{"TenantIsolation", testTenantIsolation},
		{"DeleteTenant", testDeleteTenant},
		{"DeleteUser", testDeleteUser},
		{"Audit", testAudit},
		{"Logs", testLogs},
		{"Retention", testRetention},
		{"ExportImport", testExportImport},
		{"ImportRefusals", testImportRefusals},
		{"LoginTiming", testLoginTiming},
		{"RateLimits", testRateLimits},
		{"ImportUsers", testImportUsers},
		{"ConsoleSessions", testConsoleSessions},
		{"ResetTokens", testResetTokens},
		{"Outbox", testOutbox},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, newStore) })
	}
}

// base is a fixed instant the tests build record times from, so that
// expectations do not depend on the clock. Sessions use the real clock
// instead, because a backend may expire them by wall time.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

func mustTenant(t *testing.T, s auth.Store, id string) *auth.Tenant {
	t.Helper()
	tn := &auth.Tenant{ID: id, Name: "Tenant " + id, CreatedAt: base}
	if err := s.CreateTenant(t.Context(), tn); err != nil {
		t.Fatalf("CreateTenant(%q): %v", id, err)
	}
	return tn
}

func newUser(tenant, id, email, username string) *auth.User {
	return &auth.User{
		ID:           id,
		Tenant:       tenant,
		Email:        email,
		Username:     username,
		Name:         "Name of " + id,
		Profile:      map[string]any{"team": "blue"},
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		CreatedAt:    base,
		UpdatedAt:    base,
		Source:       auth.SourceLocal,
	}
}

func legacyUser(tenant, id, email, legacyID string, migrated time.Time) *auth.User {
	u := newUser(tenant, id, email, "")
	u.Source = auth.SourceLegacy
	u.LegacyID = legacyID
	u.CreatedAt, u.UpdatedAt, u.MigratedAt = migrated, migrated, migrated
	return u
}

func mustUser(t *testing.T, s auth.Store, u *auth.User) *auth.User {
	t.Helper()
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", u.ID, err)
	}
	return u
}

// wantErr fails unless errors.Is(err, want); want nil means no error.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// utc returns a copy of v (a pointer to a struct) with every time.Time field
// in UTC without a monotonic reading, so reflect.DeepEqual compares instants.
func utc[T any](v *T) *T {
	if v == nil {
		return nil
	}
	c := *v
	rv := reflect.ValueOf(&c).Elem()
	for i := range rv.NumField() {
		if f := rv.Field(i); f.CanSet() {
			if tm, ok := f.Interface().(time.Time); ok {
				f.Set(reflect.ValueOf(tm.UTC()))
			}
		}
	}
	return &c
}

// same fails unless got and want are equal structs (times compared as instants).
func same[T any](t *testing.T, what string, got, want *T) {
	t.Helper()
	if !reflect.DeepEqual(utc(got), utc(want)) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// ids returns the ids of users, in order.
func ids(users []*auth.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

// runConcurrently runs fn(i) for i in [0, n) at once and returns the errors.
func runConcurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	for range n {
		<-done
	}
	return errs
}

func count(errs []error, target error) int {
	n := 0
	for _, err := range errs {
		if (target == nil && err == nil) || (target != nil && errors.Is(err, target)) {
			n++
		}
	}
	return n
}

func stats(t *testing.T, s auth.Store, tenant string) auth.MigrationStats {
	t.Helper()
	st, err := s.MigrationStats(t.Context(), tenant)
	if err != nil {
		t.Fatalf("MigrationStats(%q): %v", tenant, err)
	}
	return st
}

func hash(s string) []byte { return []byte(fmt.Sprintf("%-32s", "hash:"+s)) }

// atomicCounter hands out 0, 1, 2, ... to concurrent callers.
type atomicCounter struct{ n atomic.Int64 }

func (c *atomicCounter) add() int64 { return c.n.Add(1) - 1 }
