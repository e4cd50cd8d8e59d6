package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// RunMigrationHistory checks a store's hourly migration counters: they
// count legacy users as they are created (local users and failed creates
// not), per hour, per tenant, exactly under concurrent creates, and keep
// counting after a user is deleted. It fails at once when the store does
// not keep them.
func RunMigrationHistory(t *testing.T, newStore NewStore) {
	s := newStore(t)
	hs, ok := s.(auth.MigrationHistoryStore)
	if !ok {
		t.Fatalf("%T does not implement auth.MigrationHistoryStore", s)
	}
	ctx := t.Context()
	mustTenant(t, s, "acme")
	mustTenant(t, s, "other")
	hour := base.Truncate(time.Hour)

	history := func(tenant string, since time.Time) []auth.MigrationBucket {
		t.Helper()
		b, err := hs.MigrationHistory(ctx, tenant, since)
		if err != nil {
			t.Fatalf("MigrationHistory(%s): %v", tenant, err)
		}
		return b
	}
	if b := history("acme", time.Time{}); len(b) != 0 {
		t.Fatalf("history of a new tenant: %v", b)
	}
	mustUser(t, s, newUser("acme", "r-1", "r1@example.com", ""))
	mustUser(t, s, legacyUser("acme", "m-1", "m1@example.com", "L1", at(0)))
	mustUser(t, s, legacyUser("acme", "m-2", "m2@example.com", "L2", at(1)))
	mustUser(t, s, legacyUser("acme", "m-3", "m3@example.com", "L3", at(125)))
	mustUser(t, s, legacyUser("other", "m-1", "m1@example.com", "L1", at(0)))
	if err := s.CreateUser(ctx, legacyUser("acme", "m-9", "m1@example.com", "L9", at(0))); err == nil {
		t.Fatal("duplicate email accepted")
	}
	if err := s.DeleteUser(ctx, "acme", "m-2"); err != nil {
		t.Fatal(err)
	}
	sameBuckets(t, "history", history("acme", time.Time{}), []auth.MigrationBucket{
		{Start: hour, Users: 2}, {Start: hour.Add(2 * time.Hour), Users: 1},
	})
	sameBuckets(t, "history since the next hour", history("acme", at(61)), []auth.MigrationBucket{
		{Start: hour.Add(2 * time.Hour), Users: 1},
	})
	sameBuckets(t, "other tenant's history", history("other", time.Time{}), []auth.MigrationBucket{{Start: hour, Users: 1}})

	// Concurrent migrations in one hour are all counted.
	const n = 32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			u := legacyUser("other", fmt.Sprint("c-", i), fmt.Sprintf("c%d@example.com", i), fmt.Sprint("C", i), at(180))
			if err := s.CreateUser(ctx, u); err != nil {
				t.Errorf("CreateUser: %v", err)
			}
		})
	}
	wg.Wait()
	sameBuckets(t, "history after concurrent migrations", history("other", hour.Add(3*time.Hour)), []auth.MigrationBucket{
		{Start: hour.Add(3 * time.Hour), Users: n},
	})

	// Added history sums with what is there.
	if err := hs.AddMigrationHistory(ctx, "acme", []auth.MigrationBucket{
		{Start: hour.Add(-time.Hour), Users: 1000}, {Start: hour.Add(10 * time.Minute), Users: 5},
	}); err != nil {
		t.Fatal(err)
	}
	sameBuckets(t, "history after adding", history("acme", time.Time{}), []auth.MigrationBucket{
		{Start: hour.Add(-time.Hour), Users: 1000}, {Start: hour, Users: 7}, {Start: hour.Add(2 * time.Hour), Users: 1},
	})
	if _, err := hs.MigrationHistory(ctx, "ghost", time.Time{}); err == nil {
		t.Fatal("history of an unknown tenant: no error")
	}
	if err := hs.AddMigrationHistory(ctx, "ghost", []auth.MigrationBucket{{Start: hour, Users: 1}}); err == nil {
		t.Fatal("history added to an unknown tenant: no error")
	}
	if err := s.DeleteTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	mustTenant(t, s, "acme")
	if b := history("acme", time.Time{}); len(b) != 0 {
		t.Fatalf("history of a deleted and recreated tenant: %v", b)
	}
}

// sameBuckets fails the test unless got and want hold the same hours and
// counts.
func sameBuckets(t *testing.T, what string, got, want []auth.MigrationBucket) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].Start.Equal(want[i].Start) && got[i].Users == want[i].Users
	}
	if !ok {
		t.Fatalf("%s:\n got  %v\n want %v", what, got, want)
	}
}
