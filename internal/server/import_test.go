package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// aliceBcrypt is the examples' bcrypt hash of alice's password.
const aliceBcrypt = "$2a$10$buMM6L/J/0tkVGpVO9/Dsug6dqJBdjBIvc57z.t1nTiewHsoFMxSy"

// TestImport imports an NDJSON file with good, malformed, repeated and
// clashing lines, twice; then an imported user logs in with its legacy
// password.
func TestImport(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	const tenant = "imp"
	key := ts.CreateTenant(tenant)
	path := "/admin/v1/tenants/" + tenant + "/users/import"
	ts.Must(ts.Register(tenant, "local@example.com", "a local password 1"), 201, "register a local user")
	file := strings.Join([]string{
		`{"id": "1", "email": "alice@example.com", "username": "alice", "name": "Alice", "email_verified": true, "password_hash": "` + aliceBcrypt + `"}`,
		`not json`,
		`{"id": 5, "email": "five@example.com"}`,
		`{"id": "2", "email": "bob@example.com", "password_hash": "plain:hunter2"}`,
		`{"id": "3", "username": "carol", "password_hash": null}`,
		`{"id": "1", "email": "alice@example.com", "password_hash": "` + aliceBcrypt + `"}`,
		``,
		`{"id": "9", "email": "LOCAL@example.com"}`,
		`{"id": "10", "username": "bad\u0000name"}`,
		`[1, 2]`,
	}, "\n")
	r := ts.Must(ts.Send("POST", path, key, "application/x-ndjson", []byte(file)), 200, "import")
	for k, v := range map[string]int{"imported": 3, "already_local": 1, "conflicts": 1, "without_password": 1, "unsupported_hash": 1} {
		if num(r.JSON, k) != v {
			t.Fatalf("import: %s = %d, want %d: %s", k, num(r.JSON, k), v, r)
		}
	}
	errs, _ := r.JSON["errors"].([]any)
	var lines []string
	for _, e := range errs {
		m := e.(map[string]any)
		lines = append(lines, fmt.Sprintf("%v:%v", m["line"], m["code"]))
		if m["message"] == "" {
			t.Fatalf("error without a message: %v", m)
		}
	}
	if got := strings.Join(lines, " "); got != "2:invalid_json 3:invalid_user 9:invalid_user 10:invalid_json" {
		t.Fatalf("import errors: %s", got)
	}

	// Again: idempotent on id.
	r = ts.Must(ts.Send("POST", path, key, "application/x-ndjson", []byte(file)), 200, "import again")
	if num(r.JSON, "imported") != 0 || num(r.JSON, "already_local") != 4 || num(r.JSON, "conflicts") != 1 {
		t.Fatalf("second import: %s", r)
	}
	if st := migration(ts, tenant); num(st, "users_imported") != 3 {
		t.Fatalf("migration status: %v", st)
	}
	logs := string(ts.Must(ts.Do("GET", "/admin/v1/tenants/"+tenant+"/logs", key, nil), 200, "logs").Body)
	if !strings.Contains(logs, `legacy user \"9\" was not copied: its email belongs to local user`) || !strings.Contains(logs, `legacy user \"2\"`) {
		t.Fatalf("no log lines of the conflict and the unknown hash: %s", logs)
	}

	// The imported user's first login checks the bcrypt hash in the
	// server; the ones without a usable hash cannot log in.
	ts.Must(ts.Login(tenant, "alice", "not her password"), 401, "alice, wrong password")
	r = ts.Must(ts.Login(tenant, "alice@example.com", testserver.SeedPassword("alice")), 200, "alice's first login")
	if u := r.Obj("user"); u["legacy_id"] != "1" || u["source"] != "legacy" || u["password_hash"] != nil || u["legacy_hash"] != nil {
		t.Fatalf("alice: %v", u)
	}
	ts.Must(ts.Login(tenant, "alice", testserver.SeedPassword("alice")), 200, "alice's second login")
	ts.Must(ts.Login(tenant, "bob@example.com", "hunter2"), 401, "bob, whose hash nobody verifies")
	ts.Must(ts.Login(tenant, "carol", "anything"), 401, "carol, without a password")
	if st := migration(ts, tenant); num(st, "users_imported") != 2 {
		t.Fatalf("migration status after alice's login: %v", st)
	}

	// Only NDJSON.
	ts.Must(ts.Send("POST", path, key, "application/json", []byte(file)), 415, "import as JSON")
}

// TestImportLargeBody imports a 64 MiB body, one request, read from an
// io.Reader that makes it as it goes, and checks that the process's heap
// never grew by anything near the body (the import is a stream); one byte
// more is refused; a token that may not write there gets its own answer,
// not the large limit.
func TestImportLargeBody(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	const tenant = "big"
	key := ts.CreateTenant(tenant)
	other := ts.CreateTenant("other")
	path := "/admin/v1/tenants/" + tenant + "/users/import"
	const limit = 64 << 20
	const users = 1100

	send := func(size int64, chunked bool) *testserver.Response {
		req, err := http.NewRequest("POST", ts.Base+path, io.LimitReader(&importFile{users: users, size: limit}, size))
		if err != nil {
			t.Fatal(err)
		}
		if !chunked {
			req.ContentLength = size
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := ts.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		r := &testserver.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
		_ = json.Unmarshal(b, &r.JSON)
		return r
	}

	// The heap's peak while the import runs, sampled; the body alone would
	// be 64 MiB of it if it were read whole. A low GOGC keeps the garbage
	// of the parsed lines from passing for live memory.
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak := sampleHeap()
	r := ts.Must(send(limit, false), 200, "import 64 MiB")
	grew := int64(peak()) - int64(before.HeapAlloc)
	if num(r.JSON, "imported") != users || len(r.JSON["errors"].([]any)) != 0 {
		t.Fatalf("import of 64 MiB: imported %d, errors %v", num(r.JSON, "imported"), r.JSON["errors"])
	}
	t.Logf("heap grew by %d MiB at most during a 64 MiB import", grew>>20)
	if grew > 24<<20 {
		t.Fatalf("the heap grew by %d MiB during a 64 MiB import: the body is not streamed", grew>>20)
	}
	r = ts.Must(send(limit+1, false), 413, "import 64 MiB and a byte")
	if r.ProblemCode() != "body_too_large" {
		t.Fatalf("import over the limit: %s", r)
	}
	r = ts.Must(send(limit+1, true), 413, "import 64 MiB and a byte, chunked")
	if r.ProblemCode() != "body_too_large" {
		t.Fatalf("chunked import over the limit: %s", r)
	}
	body, _ := io.ReadAll(io.LimitReader(&importFile{users: users, size: limit}, 2<<20))
	ts.Must(ts.Send("POST", path, other, "application/x-ndjson", body), 403, "import with another tenant's key")
}

// importFile makes an NDJSON import of size bytes as it is read: users
// lines padded to size/users bytes, then newlines, then one more
// line past size.
type importFile struct {
	users, size, line int
	pending           []byte
	done              int
}

func (f *importFile) Read(p []byte) (int, error) {
	if len(f.pending) == 0 {
		switch {
		case f.line < f.users:
			l := fmt.Sprintf(`{"id": "%d", "username": "big%d", "password_hash": "%s"`, f.line, f.line, aliceBcrypt)
			f.pending = []byte(l + strings.Repeat(" ", f.size/f.users-len(l)-2) + "}\n")
		case f.done < f.size:
			f.pending = bytes.Repeat([]byte("\n"), min(f.size-f.done, 64<<10))
		default:
			f.pending = []byte("\n")
		}
		f.line++
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	f.done += n
	return n, nil
}

// sampleHeap samples the heap until the returned func is called, which
// returns the largest HeapAlloc seen.
func sampleHeap() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		return peak.Load()
	}
}

// TestImportedThenLazy: a user imported under an older email logs in with
// the legacy database's current one; the module accepts the password, and
// the imported user (same legacy id) takes it, without a second copy.
func TestImportedThenLazy(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	const tenant = "implazy"
	key := ts.CreateTenant(tenant)
	l := ts.LegacyDB(t, "sqlite", tenant)
	ts.Must(ts.Send("POST", "/admin/v1/tenants/"+tenant+"/users/import", key, "application/x-ndjson",
		[]byte(`{"id": "1", "email": "alice-old@example.com", "username": "alice-old", "password_hash": "plain:unknown"}`+"\n")), 200, "import alice")
	setUpMigration(t, ts, tenant, l)
	r := ts.Must(ts.Login(tenant, "alice@example.com", testserver.SeedPassword("alice")), 200, "alice's lazy login")
	if u := r.Obj("user"); u["legacy_id"] != "1" || u["email"] != "alice-old@example.com" {
		t.Fatalf("alice: %v", u)
	}
	ts.Must(ts.Login(tenant, "alice-old", testserver.SeedPassword("alice")), 200, "alice's local login")
	if st := migration(ts, tenant); num(st, "users_imported") != 0 || num(st, "users_total") != 1 {
		t.Fatalf("migration status: %v", st)
	}
}
