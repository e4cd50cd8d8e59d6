package adversarial_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// TestMalformedBodies sends broken and hostile JSON to every JSON route of
// the public API: each is a 400 invalid_request (or 413 body_too_large), never
// a 5xx, and the server stays healthy.
func TestMalformedBodies(t *testing.T) {
	ts := startServer(t, server.Config{})
	ts.CreateTenant("acme")
	deep := strings.Repeat("[", 100_000)
	deepObject := `{"identifier":` + strings.Repeat(`{"a":`, 50_000) + `1` + strings.Repeat("}", 50_000) + `}`
	bodies := []struct {
		name, body string
		status     int
		code       string
	}{
		{"empty", "", 400, "invalid_request"},
		{"whitespace", " \n\t ", 400, "invalid_request"},
		{"open brace", "{", 400, "invalid_request"},
		{"truncated", `{"identifier":"a","password":`, 400, "invalid_request"},
		{"100k brackets", deep, 400, "invalid_request"},
		{"50k nested objects", deepObject, 400, "invalid_request"},
		{"null", "null", 400, "invalid_request"},
		{"string", `"alice"`, 400, "invalid_request"},
		{"array", `[{"identifier":"a","password":"b"}]`, 400, "invalid_request"},
		{"wrong types", `{"identifier":1,"password":true}`, 400, "invalid_request"},
		{"two values", `{"identifier":"a","password":"b"} {}`, 400, "invalid_request"},
		{"invalid utf-8", "{\"identifier\":\"\xff\xfe\",\"password\":\"\xc3\"}", 0, ""},
		{"huge number", `{"identifier":1e999999,"password":"x"}`, 400, "invalid_request"},
		{"nul bytes", "{\"identifier\":\"a\x00b\",\"password\":\"c\"}", 400, "invalid_request"},
		{"over 1 MiB", `{"identifier":"` + strings.Repeat("a", 1<<20) + `","password":"b"}`, 413, "body_too_large"},
	}
	for _, path := range []string{"/t/acme/login", "/t/acme/register"} {
		for _, b := range bodies {
			t.Run(strings.TrimPrefix(path, "/t/acme/")+"/"+b.name, func(t *testing.T) {
				r, err := testserver.Send(ts.HTTP, "POST", ts.Base+path, "", b.body)
				if err != nil {
					t.Fatal(err)
				}
				if r.Status >= 500 {
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
				if b.status != 0 && (r.Status != b.status || r.ProblemCode() != b.code) {
					t.Fatalf("status %d %s, want %d %s: %.300s", r.Status, r.ProblemCode(), b.status, b.code, r.Body)
				}
				if ct := r.Header.Get("Content-Type"); r.Status >= 400 && !strings.HasPrefix(ct, "application/problem+json") {
					t.Errorf("content type %q", ct)
				}
			})
		}
	}
	// Far over every limit: refused with a 413 the client reads, and the
	// server is fine.
	r, err := testserver.Send(ts.HTTP, "POST", ts.Base+"/t/acme/login", "", strings.Repeat(" ", 40<<20))
	if err != nil || r.Status != 413 {
		t.Errorf("40 MiB body: %v, %v", r, err)
	}
	ts.WaitHealthy(healthyWithin)
}

// TestSlowClientIsCut sends a request head one byte at a time, slower than
// the read timeout allows: the server must close the connection before the
// head is complete, and keep serving others meanwhile.
func TestSlowClientIsCut(t *testing.T) {
	ts := startServer(t, server.Config{ReadTimeout: 500 * time.Millisecond})
	head := "POST /t/acme/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
	const pause = 100 * time.Millisecond // the head takes about 10 s
	const slowClients = 20
	cut := make(chan time.Duration, slowClients)
	for range slowClients {
		go func() {
			conn, err := net.Dial("tcp", ts.Srv.Addr())
			if err != nil {
				cut <- -1
				return
			}
			defer conn.Close()
			start := time.Now()
			for i := 0; i < len(head); i++ {
				if _, err := conn.Write([]byte{head[i]}); err != nil {
					cut <- time.Since(start)
					return
				}
				time.Sleep(pause)
				// A closed connection shows as EOF on read.
				_ = conn.SetReadDeadline(time.Now().Add(time.Millisecond))
				var b [1]byte
				if _, err := conn.Read(b[:]); err != nil && !errors.Is(err, errTimeout(err)) {
					cut <- time.Since(start)
					return
				}
			}
			cut <- 0 // sent the whole head: not cut
		}()
	}
	// Normal clients are served while the slow ones hang on.
	time.Sleep(200 * time.Millisecond)
	for range 10 {
		ts.WaitHealthy(healthyWithin)
	}
	var longest time.Duration
	for range slowClients {
		d := <-cut
		switch {
		case d < 0:
			t.Fatal("could not connect")
		case d == 0:
			t.Fatalf("a client sent a %d-byte head over %v without being cut off", len(head), time.Duration(len(head))*pause)
		}
		longest = max(longest, d)
	}
	t.Logf("%d slow clients cut off, the last after %v (read timeout 500ms)", slowClients, longest.Round(10*time.Millisecond))
}

// errTimeout returns err when it is a timeout, so errors.Is(err,
// errTimeout(err)) reports whether err is one.
func errTimeout(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return err
	}
	return io.ErrNoProgress // matches nothing a read returns here
}

// TestPasswordSpray sends 10,000 wrong passwords for one account from one
// address: the rate limit engages after the configured failures, a spoofed
// X-Forwarded-For does not dodge it, and the real user still logs in from
// another address.
func TestPasswordSpray(t *testing.T) {
	ts := startServer(t, server.Config{LoginFailures: 10})
	ts.CreateTenant("acme")
	const pw = "the-real-password-7"
	ts.Must(ts.Register("acme", "victim@example.com", pw), 201, "register")

	var n401, n429, other atomic.Int64
	const attempts, workers = 10_000, 8
	parallelDo(attempts, workers, func(i int) {
		r, err := testserver.Send(ts.HTTP, "POST", ts.Base+"/t/acme/login", "", `{"identifier":"victim@example.com","password":"wrong-password-`+itoa(i)+`"}`)
		switch {
		case err != nil:
			other.Add(1)
		case r.Status == 401:
			n401.Add(1)
		case r.Status == 429 && r.Header.Get("Retry-After") != "":
			n429.Add(1)
		default:
			other.Add(1)
		}
	})
	t.Logf("10,000 wrong passwords: %d rejected (401), %d rate limited (429), %d other", n401.Load(), n429.Load(), other.Load())
	if n401.Load() > 10+workers || n429.Load() < attempts-10-workers || other.Load() != 0 {
		t.Fatalf("the rate limit did not engage: %d x 401, %d x 429, %d other", n401.Load(), n429.Load(), other.Load())
	}
	// The right password from the attacker's address is limited too.
	ts.Must(ts.Login("acme", "victim@example.com", pw), 429, "real password from the attacking address")
	// A spoofed forwarding header changes nothing.
	req, _ := http.NewRequest("POST", ts.Base+"/t/acme/login", strings.NewReader(`{"identifier":"victim@example.com","password":"x-wrong-pass"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	req.Header.Set("X-Real-Ip", "203.0.113.9")
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 {
		t.Fatalf("a spoofed X-Forwarded-For got %d, want 429", resp.StatusCode)
	}
	// The real user, from another address, is not locked out.
	other2 := testserver.HTTPClient("127.0.0.2")
	r, err := testserver.Send(other2, "POST", ts.Base+"/t/acme/login", "", map[string]any{"identifier": "victim@example.com", "password": pw})
	if err != nil {
		t.Fatalf("dialing from 127.0.0.2: %v", err)
	}
	if r.Status != 200 {
		t.Fatalf("the real user from another address: %d %s", r.Status, r.Body)
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{digits[i%10]}, b...)
	}
	return string(b)
}

// TestTenantIDTricks sends requests whose tenant id is a variant of a real
// one: none may reach a tenant, let alone log a user of another tenant in.
func TestTenantIDTricks(t *testing.T) {
	ts := startServer(t, server.Config{})
	ts.CreateTenant("acme")
	ts.CreateTenant("other")
	const pw = "others-password-9"
	ts.Must(ts.Register("other", "bob@example.com", pw), 201, "register at other")
	body := `{"identifier":"bob@example.com","password":"` + pw + `"}`
	paths := []string{
		"/t/OTHER/login",
		"/t/Other/login",
		"/t/acme%2F..%2Fother/login",
		"/t/acme%2f..%2fother/login",
		"/t/acme/..%2Fother/login",
		"/t/acme/../other/../acme/login",
		"/t/%6fther/login", // an escaped 'o'
		"/t/other%00/login",
		"/t/other%20/login",
		"/t/%20other/login",
		"/t/other./login",
		"/t/оther/login",       // Cyrillic о
		"/t/ｏｔｈｅｒ/login",       // fullwidth
		"/t/other\u200b/login", // zero-width space
		"/t/othe\u0301r/login", // combining accent
		"/t/" + strings.Repeat("o", 63) + "/login",
		"/t/" + strings.Repeat("o", 10_000) + "/login",
		"/t//login",
		"/t/acme/login/../../other/login",
	}
	for _, p := range paths {
		name := p
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			r, err := rawRequest(ts.Srv.Addr(), "POST", p, map[string]string{"Content-Type": "application/json"}, body)
			if err != nil {
				t.Fatalf("%v", err)
			}
			t.Logf("%d %s", r.status, r.code)
			if r.status == 200 || r.status >= 500 {
				t.Fatalf("%s: status %d: %s", p, r.status, r.body)
			}
		})
	}
	// Path traversal onto the operator API never lists tenants.
	for _, p := range []string{"/t/../admin/v1/tenants", "/t/%2e%2e/admin/v1/tenants", "/t/acme/../../admin/v1/tenants"} {
		r, err := rawRequest(ts.Srv.Addr(), "GET", p, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if r.status == 200 || strings.Contains(r.body, `"tenants"`) {
			t.Fatalf("%s: %d %s", p, r.status, r.body)
		}
	}
	// Headers never choose the tenant: /t/acme stays acme.
	r, err := rawRequest(ts.Srv.Addr(), "POST", "/t/acme/login", map[string]string{
		"Content-Type": "application/json", "Host": "other", "X-Tenant-Id": "other", "X-Original-Url": "/t/other/login",
		"X-Rewrite-Url": "/t/other/login", "X-Forwarded-Prefix": "/t/other",
	}, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != 401 || r.code != "invalid_credentials" {
		t.Fatalf("acme's login with headers naming other: %d %s", r.status, r.body)
	}
	ts.Must(ts.Login("other", "bob@example.com", pw), 200, "the real login at other")
}

// rawResponse is what rawRequest read.
type rawResponse struct {
	status int
	code   string
	body   string
}

// rawRequest sends a request with its path exactly as given (no cleaning,
// no escaping) over a new connection.
func rawRequest(addr, method, path string, headers map[string]string, body string) (*rawResponse, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var b strings.Builder
	b.WriteString(method + " " + path + " HTTP/1.1\r\n")
	if _, ok := headers["Host"]; !ok {
		b.WriteString("Host: " + addr + "\r\n")
	}
	for k, v := range headers {
		b.WriteString(k + ": " + v + "\r\n")
	}
	b.WriteString("Content-Length: " + itoa(len(body)) + "\r\nConnection: close\r\n\r\n" + body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	out := &rawResponse{status: resp.StatusCode, body: string(data)}
	if i := strings.Index(out.body, `"code":"`); i >= 0 {
		rest := out.body[i+8:]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			out.code = rest[:j]
		}
	}
	return out, nil
}
