package bench

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/host/legacyhash"
	"github.com/wasmauth/wasmauth/internal/testserver/modules"
)

// Names of the rows of finishing a migration.
const (
	drainRow       = "drain throughput"
	importRow      = "NDJSON import"
	importLoginRow = "first login of an imported bcrypt-10 user vs later login"
)

// drainPage is the drain's page size in the bench: about 57 KiB of JSON a
// page, under the 64 KiB output limit of a call.
const drainPage = 300

// benchBcrypt is the examples' bcrypt hash (cost 10) of alice's password.
const benchBcrypt = "$2a$10$buMM6L/J/0tkVGpVO9/Dsug6dqJBdjBIvc57z.t1nTiewHsoFMxSy"

// seedDrainSQLite writes a SQLite users table of n users, all with
// benchBcrypt, for tenant under the server's SQLite root.
func (s *benchServer) seedDrainSQLite(ctx context.Context, tenant string, n int) error {
	dir := filepath.Join(s.cfg.DataDir, "legacy", tenant)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "legacy.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	schema, err := examples.Schema("sqlite")
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, "INSERT INTO users (id, email, username, password_hash, email_verified, name) VALUES (?, ?, ?, ?, 1, ?)")
	if err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		if _, err := st.ExecContext(ctx, i, fmt.Sprintf("d%d@example.com", i), fmt.Sprintf("d%d", i), benchBcrypt, fmt.Sprintf("Drained User %d", i)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// drainOnce drains n users of a new SQLite tenant without a rate limit and
// returns the time from the start to the end and the peak RSS meanwhile.
func drainOnce(ctx context.Context, s *benchServer, n int) (time.Duration, MemoryPeak, error) {
	tenant := fmt.Sprintf("drain-%d", n)
	if err := s.createTenant(ctx, tenant); err != nil {
		return 0, MemoryPeak{}, err
	}
	if err := s.seedDrainSQLite(ctx, tenant, n); err != nil {
		return 0, MemoryPeak{}, fmt.Errorf("seeding %d legacy users: %w", n, err)
	}
	p := "/admin/v1/tenants/" + tenant
	if _, err := s.client.Must(ctx, 201, "PUT", p+"/script", s.token, modules.Drain); err != nil {
		return 0, MemoryPeak{}, err
	}
	conn := map[string]any{"driver": "sqlite", "dsn": "legacy.db", "config": map[string]string{"dialect": "sqlite", "table": "users"}}
	if _, err := s.client.Must(ctx, 200, "PUT", p+"/connection", s.token, conn); err != nil {
		return 0, MemoryPeak{}, err
	}
	ResetPeakRSS()
	mem := sampleMemory(20 * time.Millisecond)
	start := time.Now()
	if _, err := s.client.Must(ctx, 202, "POST", p+"/migration/drain", s.token, map[string]any{"page_size": drainPage, "max_users_per_second": 0}); err != nil {
		mem.Stop()
		return 0, MemoryPeak{}, err
	}
	for {
		a, err := s.client.Must(ctx, 200, "GET", p+"/migration/drain", s.token, nil)
		if err != nil {
			mem.Stop()
			return 0, MemoryPeak{}, err
		}
		var job struct {
			State    string `json:"state"`
			Imported int    `json:"imported"`
		}
		if err := a.JSON(&job); err != nil {
			mem.Stop()
			return 0, MemoryPeak{}, err
		}
		if job.State != "running" {
			took := time.Since(start)
			peak := mem.Stop()
			if job.State != "done" || job.Imported != n {
				return 0, peak, fmt.Errorf("the drain of %d users ended %s with %d imported: %s", n, job.State, job.Imported, a.Body)
			}
			return took, peak, nil
		}
		select {
		case <-ctx.Done():
			mem.Stop()
			return 0, MemoryPeak{}, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// measureDrain drains small and large SQLite databases without a rate
// limit: users a second, and the peak RSS of each, which must not grow
// with the number of users.
func measureDrain(ctx context.Context, s *benchServer, small, large int) (Row, error) {
	row := Row{
		Name:     drainRow,
		Measures: fmt.Sprintf("a drain without a rate limit of %d and of %d legacy users (SQLite, the test module of internal/testserver, %d users a page); peak RSS of the whole bench process during each", small, large, drainPage),
		Target:   "reported; peak RSS independent of the number of users",
		Bound:    "Each page is one list_users call (the database builds the page's JSON) and one Badger transaction holding the page's users, their index entries, the counters and the job; nothing of a drain outlives its page. The RSS is Badger's: up to five 64 MiB memtables and a 64 MiB block cache fill as users are written, then level off.",
	}
	ts, ps, err := drainOnce(ctx, s, small)
	if err != nil {
		return row, err
	}
	tl, pl, err := drainOnce(ctx, s, large)
	if err != nil {
		return row, err
	}
	row.Result = fmt.Sprintf("%d users: **%.0f users/s**, peak RSS %s; %d users: **%.0f users/s**, peak RSS %s",
		small, float64(small)/ts.Seconds(), fmtBytes(ps.RSS), large, float64(large)/tl.Seconds(), fmtBytes(pl.RSS))
	row.Verdict = verdict(pl.RSS < ps.RSS+ps.RSS/2)
	return row, nil
}

// measureImport imports n users in one NDJSON request.
func measureImport(ctx context.Context, s *benchServer, n int) (Row, error) {
	row := Row{
		Name:     importRow,
		Measures: fmt.Sprintf("one POST /users/import of %d users (bcrypt hashes kept), its body built beforehand; peak RSS of the whole bench process during it", n),
		Target:   "reported",
		Bound:    "The body is streamed (never held whole; at most 64 MiB) and parsed line by line into batches of 500 users, one Badger transaction each.",
	}
	const tenant = "import-bench"
	if err := s.createTenant(ctx, tenant); err != nil {
		return row, err
	}
	var body bytes.Buffer
	for i := range n {
		fmt.Fprintf(&body, `{"id":"%d","email":"i%d@example.com","username":"i%d","name":"Imported User %d","email_verified":true,"password_hash":"%s"}`+"\n", i, i, i, i, benchBcrypt)
	}
	size := body.Len()
	ResetPeakRSS()
	mem := sampleMemory(20 * time.Millisecond)
	start := time.Now()
	a, err := s.client.postNDJSON(ctx, "/admin/v1/tenants/"+tenant+"/users/import", s.token, body.Bytes())
	took := time.Since(start)
	peak := mem.Stop()
	if err != nil {
		return row, err
	}
	if err := a.Expect(200, "import"); err != nil {
		return row, err
	}
	var rep struct {
		Imported int `json:"imported"`
	}
	if err := a.JSON(&rep); err != nil || rep.Imported != n {
		return row, fmt.Errorf("imported %d of %d (%v): %.300s", rep.Imported, n, err, a.Body)
	}
	row.Result = fmt.Sprintf("%d users (%s): %s, **%.0f users/s**; peak RSS %s", n, fmtBytes(int64(size)), fmtDur(took), float64(n)/took.Seconds(), fmtBytes(peak.RSS))
	return row, nil
}

// postNDJSON posts body as application/x-ndjson.
func (c *Client) postNDJSON(ctx context.Context, path, token string, body []byte) (*Answer, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Answer{Status: resp.StatusCode, Body: out}, nil
}

// measureImportedLogin logs n imported bcrypt-10 users in twice each:
// the first login verifies bcrypt on the server and stores an argon2id
// hash, a later one verifies argon2id. The overhead is what the first
// costs beyond a bcrypt verification and a later login.
func measureImportedLogin(ctx context.Context, s *benchServer, n int) (Row, error) {
	row := Row{
		Name:     importLoginRow,
		Measures: fmt.Sprintf("median latency of %d first logins of imported users with a bcrypt cost-10 hash vs their second logins; a bcrypt-10 verification alone, in process", n),
		Target:   "first = bcrypt verify + one argon2id hash; overhead reported",
		Bound:    "The first login verifies bcrypt in the legacy hash pool and hashes the password with argon2id (a later login's cost: one argon2id); the rest is one Badger update.",
	}
	const tenant = "imported-login"
	if err := s.createTenant(ctx, tenant); err != nil {
		return row, err
	}
	var body bytes.Buffer
	for i := range n {
		fmt.Fprintf(&body, `{"id":"%d","username":"b%d","password_hash":"%s"}`+"\n", i, i, benchBcrypt)
	}
	a, err := s.client.postNDJSON(ctx, "/admin/v1/tenants/"+tenant+"/users/import", s.token, body.Bytes())
	if err != nil {
		return row, err
	}
	if err := a.Expect(200, "import"); err != nil {
		return row, err
	}
	pw, err := seedPassword("alice")
	if err != nil {
		return row, err
	}
	var first, later, raw []time.Duration
	for i := range n {
		for j, into := range []*[]time.Duration{&first, &later} {
			t0 := time.Now()
			a, err := login(ctx, s.client, tenant, fmt.Sprintf("b%d", i), pw)
			if err != nil {
				return row, err
			}
			if err := a.Expect(200, fmt.Sprintf("login %d of imported user b%d", j+1, i)); err != nil {
				return row, err
			}
			*into = append(*into, time.Since(t0))
		}
		t0 := time.Now()
		if ok, err := legacyhash.Verify([]byte(benchBcrypt), []byte(pw)); err != nil || !ok {
			return row, fmt.Errorf("bcrypt verification: %v, %v", ok, err)
		}
		raw = append(raw, time.Since(t0))
	}
	f, l, b := Median(first), Median(later), Median(raw)
	row.Result = fmt.Sprintf("first %s, later %s, bcrypt-10 alone %s: overhead beyond bcrypt + a later login **%s**", fmtDur(f), fmtDur(l), fmtDur(b), fmtDur(f-l-b))
	return row, nil
}
