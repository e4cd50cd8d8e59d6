package server_test

import (
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// legacyIDModule is examples-wasm/wat/legacy.wat with ABI v1.1's account id
// in its wrong-password answers.
//
// Build (from internal/server/testdata): wat2wasm legacy_id.wat -o legacy_id.wasm
//
//go:embed testdata/legacy_id.wasm
var legacyIDModule []byte

// spellings returns n spellings of alice@example.com that MariaDB's
// utf8mb4_general_ci collation takes for it and wasmauth does not.
func spellings(n int) []string {
	var out []string
	for _, a := range []string{"á", "à", "â", "ä", "ã", "a"} {
		for _, i := range []string{"í", "ì", "î", "ï", "i"} {
			for _, e := range []string{"é", "è", "ê", "ë", "e"} {
				if v := a + "l" + i + "c" + e + "@example.com"; v != "alice@example.com" && len(out) < n {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// TestIssue12SpellingVariants: a legacy table whose collation
// (utf8mb4_general_ci) matches álice@, àlice@, alíce@... to alice. 45 wrong
// passwords over such spellings from one address get 429 once the
// account's budget (LoginFailures, 10) is spent, and the 46th, with the
// right password, does not migrate alice. The real user at another address
// still gets in.
func TestIssue12SpellingVariants(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	const tenant = "collate"
	ts.CreateTenant(tenant)
	l := ts.LegacyDB(t, "mysql", tenant)
	l.Exec(t, "ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
	var n int
	if err := l.DB.QueryRow("SELECT COUNT(*) FROM "+l.Table+" WHERE lower(email) = lower(?)", spellings(1)[0]).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the collation does not match a spelling variant to alice: %d rows, %v", n, err)
	}
	setUpMigrationWith(t, ts, tenant, l, legacyIDModule)

	var got []int
	for i, v := range spellings(45) {
		r := ts.Login(tenant, v, fmt.Sprintf("wrong-guess-%d", i))
		got = append(got, r.Status)
		if r.Status == 429 && r.Header.Get("Retry-After") == "" {
			t.Fatalf("429 without Retry-After: %s", r)
		}
	}
	for i, status := range got {
		if want := map[bool]int{true: 401, false: 429}[i < 10]; status != want {
			t.Fatalf("guess %d of 45 over spelling variants: %d, want %d (all: %v)", i+1, status, want, got)
		}
	}
	ts.Must(ts.Login(tenant, spellings(46)[45], testserver.SeedPassword("alice")), 429, "the right password after the account's budget")
	if st := migration(ts, tenant); num(st, "users_migrated") != 0 {
		t.Fatalf("alice was migrated through a spent budget: %v", st)
	}

	r, err := testserver.Send(testserver.HTTPClient("127.0.0.2"), "POST", ts.Base+"/t/"+tenant+"/login", "",
		map[string]any{"identifier": "alice@example.com", "password": testserver.SeedPassword("alice")})
	if err != nil || r.Status != 200 {
		t.Fatalf("the real user from another address: %v %v", r, err)
	}
}

// TestPasswordChangeGuesses is issue 12's /password finding: 40 wrong
// current passwords, then the right one. The budget of a wrong login
// applies: 429 after 10, and the right one is 429 too, not 204.
func TestPasswordChangeGuesses(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	ts.CreateTenant("acme")
	const pw = "erins-own-passphrase-7"
	ts.Must(ts.Register("acme", "erin@example.com", pw), 201, "register")
	access := ts.Must(ts.Login("acme", "erin@example.com", pw), 200, "login").Str("access_token")
	change := func(current string) *testserver.Response {
		return ts.Do("POST", "/t/acme/password", access, map[string]any{"current_password": current, "new_password": "a-brand-new-passphrase-9"})
	}
	n401, n429 := 0, 0
	for i := range 40 {
		switch r := change(fmt.Sprintf("wrong-current-%d", i)); {
		case r.Status == 401:
			n401++
		case r.Status == 429 && r.ProblemCode() == "rate_limited" && r.Header.Get("Retry-After") != "":
			n429++
		default:
			t.Fatalf("wrong current password %d: %s", i+1, r)
		}
	}
	if n401 != 10 || n429 != 30 {
		t.Fatalf("40 wrong current passwords: %d x 401, %d x 429; want 10 and 30", n401, n429)
	}
	ts.Must(change(pw), 429, "the right current password after 40 wrong ones")
}

// TestRegistrationFlood is issue 13's finding of 1,056 accounts in 20 s
// from one client: registrations are limited per address (20 per hour by
// default) with 429 and Retry-After; another address still registers.
func TestRegistrationFlood(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	ts.CreateTenant("acme")
	const attempts, workers = 100, 8
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				r, err := ts.Try("POST", "/t/acme/register", "", map[string]any{"email": fmt.Sprintf("flood%d@example.com", i), "password": "a-long-passphrase-1"})
				mu.Lock()
				switch {
				case err != nil:
					statuses[-1]++
				case r.Status == 429 && r.Header.Get("Retry-After") == "":
					statuses[-429]++
				default:
					statuses[r.Status]++
				}
				mu.Unlock()
			}
		})
	}
	for i := range attempts {
		next <- i
	}
	close(next)
	wg.Wait()
	if statuses[201] != 20 || statuses[429] != attempts-20 {
		t.Fatalf("%d registrations from one address: %v, want 20 x 201 and the rest 429 with Retry-After", attempts, statuses)
	}
	r, err := testserver.Send(testserver.HTTPClient("127.0.0.2"), "POST", ts.Base+"/t/acme/register", "",
		map[string]any{"email": "elsewhere@example.com", "password": "a-long-passphrase-1"})
	if err != nil || r.Status != 201 {
		t.Fatalf("a registration from another address: %v %v", r, err)
	}
}

// TestLimitsSurviveRestart: the limiter's state is kept in the store, so a
// restart is no reset button: failed logins and registrations before it
// still count after it.
func TestLimitsSurviveRestart(t *testing.T) {
	ts := testserver.Start(t, server.Config{LoginFailures: 5, Registrations: 3})
	ts.CreateTenant("acme")
	const pw = "franks-own-passphrase-2"
	ts.Must(ts.Register("acme", "frank@example.com", pw), 201, "register")
	ts.Must(ts.Register("acme", "grace@example.com", pw), 201, "register")
	ts.Must(ts.Register("acme", "heidi@example.com", pw), 201, "register")
	for i := range 5 {
		ts.Must(ts.Login("acme", "frank@example.com", fmt.Sprintf("wrong-%d", i)), 401, "wrong password")
	}
	ts.Must(ts.Login("acme", "frank@example.com", pw), 429, "right password after the budget")

	ts = ts.Restart()
	ts.Must(ts.Login("acme", "frank@example.com", pw), 429, "right password after a restart")
	ts.Must(ts.Register("acme", "ivan@example.com", pw), 429, "a fourth registration after a restart")
	ts.Must(ts.Login("acme", "grace@example.com", pw), 200, "another user after a restart")
}

// TestFatProfiles is issue 13's finding of 40 registrations with 900 KB
// profiles: a profile over 16 KiB of JSON is 400 invalid_request and
// nothing is stored.
func TestFatProfiles(t *testing.T) {
	ts := testserver.Start(t, server.Config{Registrations: 1000})
	ts.CreateTenant("acme")
	profile := func(size int) map[string]any {
		return map[string]any{"bio": strings.Repeat("b", size-len(`{"bio":""}`))}
	}
	ts.Must(ts.Do("POST", "/t/acme/register", "", map[string]any{"email": "fits@example.com", "password": "a-long-passphrase-1", "profile": profile(16 << 10)}), 201, "a 16 KiB profile")
	before := diskUsage(t, ts.Config.DataDir)
	for i := range 40 {
		r := ts.Do("POST", "/t/acme/register", "", map[string]any{"email": fmt.Sprintf("fat%d@example.com", i), "password": "a-long-passphrase-1", "profile": profile(900_000)})
		if r.Status != 400 || r.ProblemCode() != "invalid_request" || !strings.Contains(r.Str("detail"), "profile") {
			t.Fatalf("a 900 KB profile: %s, want 400 invalid_request about the profile", r)
		}
	}
	if st := migration(ts, "acme"); num(st, "users_total") != 1 {
		t.Fatalf("users after the fat profiles: %v", st)
	}
	ts.Stop()
	if grown := diskUsage(t, ts.Config.DataDir) - before; grown > 8<<20 {
		t.Fatalf("40 refused fat profiles grew the data folder by %d MiB", grown>>20)
	}
}

// TestHugeIdentifiersInAudit is issue 13's finding: 150 logins with 1 MB
// identifiers grew the data folder by 145 MB, because audit events stored
// the whole identifier. They store 256 characters now; the growth is
// bounded (16 MiB is a generous margin for Badger's own files).
func TestHugeIdentifiersInAudit(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	ts.CreateTenant("acme")
	before := diskUsage(t, ts.Config.DataDir)
	raw := make([]byte, 750_000)
	for range 150 {
		_, _ = rand.Read(raw)
		id := base64.RawURLEncoding.EncodeToString(raw) // 1,000,000 characters that do not compress
		ts.Must(ts.Login("acme", id, "whatever-password"), 401, "a login with a 1 MB identifier")
	}
	page := ts.Must(ts.Do("GET", "/admin/v1/tenants/acme/audit?limit=200", testserver.OperatorToken, nil), 200, "audit")
	if len(page.Body) > 1<<20 {
		t.Fatalf("an audit page of %d bytes", len(page.Body))
	}
	ts.Stop()
	grown := diskUsage(t, ts.Config.DataDir) - before
	t.Logf("150 logins with 1 MB identifiers grew the data folder by %d KiB", grown>>10)
	if grown > 16<<20 {
		t.Fatalf("150 logins with 1 MB identifiers grew the data folder by %d MiB", grown>>20)
	}
}

// diskUsage returns the bytes the files under dir take on disk (allocated
// blocks, so that Badger's sparse, preallocated files count for what they
// hold).
func diskUsage(t *testing.T, dir string) int64 {
	t.Helper()
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a file Badger removed meanwhile
		}
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			total += st.Blocks * 512
		} else {
			total += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

// TestLegacyAnswersChecked is issue 12's finding that legacy answers were
// stored unchecked (emails with NUL, without '@', over 600 characters): a
// module answer breaking the rules registration applies is bad_output, so
// the login is 503 legacy_unavailable and nothing is stored.
func TestLegacyAnswersChecked(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	const tenant = "checked"
	ts.CreateTenant(tenant)
	l := ts.LegacyDB(t, "sqlite", tenant)
	setUpMigration(t, ts, tenant, l)
	rows := []struct {
		name, email, username string
	}{
		{"email without @", "no-at-sign.example.com", "noat"},
		{"email of 612 characters", strings.Repeat("x", 600) + "@example.com", "longmail"},
		{"email with NUL", "nul\x00@example.com", "nulmail"},
		{"username of 65 characters", "long-name@example.com", strings.Repeat("u", 65)},
		{"username with a control character", "ctl@example.com", "ctl\x07user"},
	}
	for i, row := range rows {
		l.Exec(t, "INSERT INTO {table} (id, email, username, password_hash, email_verified, name) SELECT ?, ?, ?, password_hash, TRUE, 'X' FROM {table} WHERE id = 4",
			100+i, row.email, row.username)
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			ts := ts.With(t)
			identifier := row.username
			if len(row.username) > 64 || strings.ContainsRune(row.username, 7) {
				identifier = row.email
			}
			r := ts.Must(ts.Login(tenant, identifier, testserver.SeedPassword("dave")), 503, "login of a user the module answers badly")
			if r.ProblemCode() != "legacy_unavailable" {
				t.Fatalf("answer: %s", r)
			}
			test := ts.Must(ts.Do("POST", "/admin/v1/tenants/"+tenant+"/script/test", testserver.OperatorToken,
				map[string]any{"op": "get_user", "identifier": identifier}), 200, "script test")
			if e := test.Obj("error"); e["code"] != "bad_output" {
				t.Fatalf("script test: %s, want error bad_output", test.Body)
			}
		})
	}
	if st := migration(ts, tenant); num(st, "users_migrated") != 0 {
		t.Fatalf("users stored from bad answers: %v", st)
	}
}
