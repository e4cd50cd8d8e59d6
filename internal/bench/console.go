package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/password"
)

// consoleRow is the name of the console's tenant page row.
const consoleRow = "console tenant page"

// consoleTenant is the tenant of the console row, on its own server.
const consoleTenant = "console"

// consolePages is how many times the console row renders the page.
const consolePages = 40

// measureConsolePage starts a server of its own on dataDir, stores users
// migrated users in one tenant (through the store, in pages as a drain
// does) with 30 days of hourly migration history summing to the same
// number, signs in to the console with the tenant's key and renders the
// tenant page consolePages times over HTTP on loopback.
func measureConsolePage(ctx context.Context, dataDir string, users int) (Row, error) {
	row := Row{
		Name: consoleRow,
		Measures: fmt.Sprintf("GET /console/tenants/{tenant} over HTTP on loopback, signed in with the tenant key, %d times after one warm-up: a tenant of %d migrated users with 30 days of hourly migration history; time to seed them beside",
			consolePages, users),
		Target: "< 200 ms",
		Bound: "The page reads the tenant's counters (a few shards) and at most 90 days of hourly history counters (2,160 keys at most), never the users; the session is one store read. " +
			"What is left is the template and the SVG chart of some 100 bars.",
	}
	s, err := startServer(ctx, dataDir, password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 2)
	if err != nil {
		return row, err
	}
	defer s.stop()
	a, err := s.client.Must(ctx, 201, "POST", "/admin/v1/tenants", s.token, map[string]any{"id": consoleTenant, "name": consoleTenant})
	if err != nil {
		return row, err
	}
	var created struct {
		Key string `json:"api_key"`
	}
	if err := a.JSON(&created); err != nil || created.Key == "" {
		return row, fmt.Errorf("no API key in %s (%v)", a.Body, err)
	}
	t0 := time.Now()
	if err := seedConsoleTenant(ctx, s.srv.Store(), users); err != nil {
		return row, err
	}
	seeded := time.Since(t0)

	c, err := signInConsole(ctx, s.base(), created.Key)
	if err != nil {
		return row, err
	}
	page := s.base() + "/console/tenants/" + consoleTenant
	var times []time.Duration
	for i := range consolePages + 1 {
		t0 := time.Now()
		body, err := getPage(ctx, c, page)
		d := time.Since(t0)
		if err != nil {
			return row, err
		}
		if i == 0 {
			want := fmt.Sprintf(`id="m-users_migrated">%d<`, users)
			if !strings.Contains(body, want) || !strings.Contains(body, "Migrated users per day before that") {
				return row, fmt.Errorf("the tenant page lacks %s or the daily chart", want)
			}
			continue
		}
		times = append(times, d)
	}
	med, p95 := Median(times), Percentile(times, 95)
	row.Result = fmt.Sprintf("%d users seeded in %s; page: median **%s**, p95 %s, max %s",
		users, seeded.Round(100*time.Millisecond), fmtDur(med), fmtDur(p95), fmtDur(Percentile(times, 100)))
	row.Verdict = verdict(p95 < 200*time.Millisecond)
	return row, s.stop()
}

// seedConsoleTenant stores n migrated users in the console tenant, in
// transactions of 2,000 as a drain's pages are, and 30 days of hourly
// history worth n migrations that rises and falls like a migration.
func seedConsoleTenant(ctx context.Context, st auth.Store, n int) error {
	const batch = 2000
	now := time.Now().UTC()
	start := now.Truncate(time.Hour).Add(-30 * 24 * time.Hour)
	users := make([]*auth.User, 0, batch)
	for i := 0; i < n; i += batch {
		users = users[:0]
		for j := i; j < min(i+batch, n); j++ {
			at := start.Add(time.Duration(j) * 30 * 24 * time.Hour / time.Duration(n))
			users = append(users, &auth.User{
				ID: fmt.Sprintf("u-%08d", j), Tenant: consoleTenant, Email: fmt.Sprintf("user%d@example.com", j),
				PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", CreatedAt: at, UpdatedAt: at,
				Source: auth.SourceLegacy, LegacyID: fmt.Sprint(j), MigratedAt: at,
			})
		}
		if _, err := st.ImportUsers(ctx, consoleTenant, users, false, nil); err != nil {
			return fmt.Errorf("storing users %d..: %w", i, err)
		}
	}
	hs, ok := st.(auth.MigrationHistoryStore)
	if !ok {
		return fmt.Errorf("the store keeps no migration history")
	}
	hours := 30 * 24
	buckets := make([]auth.MigrationBucket, hours)
	var sum float64
	w := make([]float64, hours)
	for i := range w {
		w[i] = math.Exp(-float64(i)/float64(hours)*2) * (1.2 + math.Sin(float64(i%24)/24*2*math.Pi-math.Pi/2))
		sum += w[i]
	}
	for i := range buckets {
		buckets[i] = auth.MigrationBucket{Start: start.Add(time.Duration(i) * time.Hour), Users: int64(w[i] / sum * float64(n))}
	}
	return hs.AddMigrationHistory(ctx, consoleTenant, buckets)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signInConsole signs in to the console at base with token and returns a
// client holding the session cookie.
func signInConsole(ctx context.Context, base, token string) (*http.Client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	form, err := getPage(ctx, c, base+"/console/")
	if err != nil {
		return nil, err
	}
	m := csrfField.FindStringSubmatch(form)
	if m == nil {
		return nil, fmt.Errorf("no CSRF token on the sign-in form")
	}
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/console/signin", strings.NewReader(url.Values{"csrf": {m[1]}, "token": {token}}.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Migration · "+consoleTenant) {
		return nil, fmt.Errorf("signing in to the console: status %d", resp.StatusCode)
	}
	return c, nil
}

// getPage gets url with c and returns the body of a 200.
func getPage(ctx context.Context, c *http.Client, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	return string(b), nil
}
