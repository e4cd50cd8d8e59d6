package legacydb

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkQueryByEmail measures one db_query round trip: an indexed SELECT by email
// through Query (parse, guard, pinned connection, read-only transaction, JSON response).
func BenchmarkQueryByEmail(b *testing.B) {
	for _, m := range backendMakers {
		b.Run(m.name, func(b *testing.B) {
			be := m.make(b)
			table := uniqueTable(b, be, "bench")
			exec(b, be, table, be.usersDDL...)
			grant(b, be, "SELECT ON "+table)
			tx, err := be.admin.Begin()
			if err != nil {
				b.Fatal(err)
			}
			insert := "INSERT INTO " + table + " (id, email, name) VALUES (" + be.ph(1) + ", " + be.ph(2) + ", " + be.ph(3) + ")"
			for i := range 1000 {
				if _, err := tx.Exec(insert, i+1, fmt.Sprintf("user%d@example.com", i+1), fmt.Sprintf("User %d", i+1)); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			db := openTenant(b, be)
			req := []byte(`{"sql": "SELECT id, email, name FROM ` + table + ` WHERE email = ` + be.ph(1) + `", "args": ["user500@example.com"]}`)
			ctx := context.Background()
			want := `{"columns":["id","email","name"],"rows":[[500,"user500@example.com","User 500"]]}`
			b.ReportAllocs()
			for b.Loop() {
				resp, err := db.Query(ctx, req, Limits{})
				if err != nil {
					b.Fatal(err)
				}
				if string(resp) != want {
					b.Fatalf("got %s", resp)
				}
			}
		})
	}
}

// BenchmarkEncodeRows measures the JSON encoding of a 100-row response on SQLite.
func BenchmarkEncodeRows(b *testing.B) {
	be := sqliteBackend(b)
	db := openTenant(b, be)
	req := []byte(`{"sql": "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 100) ` +
		`SELECT n, 'user' || n || '@example.com', 1.5 * n, NULL FROM s"}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := db.Query(ctx, req, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if !strings.HasSuffix(string(resp), `[100,"user100@example.com",150,null]]}`) {
			b.Fatalf("got %.100s", resp)
		}
	}
}
