package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/wasmauth/wasmauth/internal/httpapi"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// answer is a fully read HTTP answer.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// send sends a request with extra headers through hc and reads the answer;
// a transport error fails the test.
func send(t testing.TB, hc *http.Client, method, url string, header map[string]string, body io.Reader) *answer {
	t.Helper()
	a, err := trySend(hc, method, url, header, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return a
}

func trySend(hc *http.Client, method, url string, header map[string]string, body io.Reader) (*answer, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	a := &answer{status: resp.StatusCode, header: resp.Header}
	if a.raw, err = io.ReadAll(resp.Body); err != nil {
		return nil, err
	}
	_ = json.Unmarshal(a.raw, &a.body)
	return a, nil
}

func (a *answer) code() string {
	c, _ := a.body["code"].(string)
	return c
}

const realPassword = "Vq8#mZ2!pLr7wX-edge"

func loginJSON(id, pw string) io.Reader {
	b, _ := json.Marshal(map[string]string{"identifier": id, "password": pw})
	return bytes.NewReader(b)
}

// TestTrustedProxyClientAddress is issue 12's "behind a TLS proxy one
// attacker locks a whole tenant out": 100 wrong logins for random
// identifiers from many clients arriving through one proxy, then the real
// user through the same proxy.
func TestTrustedProxyClientAddress(t *testing.T) {
	const proxy = "127.0.0.2"
	tests := []struct {
		name    string
		trusted []netip.Prefix
		// real is the status of the real user's login after the flood.
		real int
	}{
		{"proxy trusted: each client has its own budget", []netip.Prefix{netip.MustParsePrefix(proxy + "/32")}, 200},
		{"no trusted proxies: X-Forwarded-For is ignored", nil, 429},
		{"another proxy trusted: X-Forwarded-For is ignored", []netip.Prefix{netip.MustParsePrefix("127.0.0.3/32")}, 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := testserver.Start(t, server.Config{TrustedProxies: tt.trusted})
			ts.CreateTenant("acme")
			ts.Must(ts.Register("acme", "alice@example.com", realPassword), 201, "register alice")
			hc := testserver.HTTPClient(proxy)
			for i := range 100 {
				// Each client sent the same made-up address; the proxy
				// appended the one it saw.
				xff := fmt.Sprintf("198.18.0.1, 203.0.113.%d", i+1)
				a := send(t, hc, "POST", ts.Base+"/t/acme/login", map[string]string{"Content-Type": "application/json", "X-Forwarded-For": xff},
					loginJSON(fmt.Sprintf("nobody-%d@example.com", i), "wrong password"))
				if a.status != 401 {
					t.Fatalf("wrong login %d: %d %s", i, a.status, a.raw)
				}
			}
			a := send(t, hc, "POST", ts.Base+"/t/acme/login", map[string]string{"Content-Type": "application/json", "X-Forwarded-For": "198.18.0.1, 198.51.100.50"},
				loginJSON("alice@example.com", realPassword))
			if a.status != tt.real {
				t.Fatalf("real user: %d %s, want %d", a.status, a.raw, tt.real)
			}
			if tt.real == 429 && a.header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			// The audit trail records the address the limits used.
			audit := ts.Must(ts.Do("GET", "/admin/v1/tenants/acme/audit?limit=1000", testserver.OperatorToken, nil), 200, "audit")
			events, _ := audit.JSON["events"].([]any)
			wantIP := proxy
			if tt.real == 200 {
				wantIP = "203.0.113.7"
			}
			found := false
			for _, e := range events {
				ev, _ := e.(map[string]any)
				if ev["type"] == "login_failed" && ev["subject"] == "nobody-6@example.com" {
					found = true
					if ev["ip"] != wantIP {
						t.Errorf("audit ip %v, want %s", ev["ip"], wantIP)
					}
				}
			}
			if !found {
				t.Errorf("no login.failed event for nobody-6@example.com in %s", audit.Body)
			}
		})
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key to
// dir and returns the files and the certificate pool that trusts it.
func selfSigned(t testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "wasmauth test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// startDirect starts a server with cfg without testserver (whose client
// speaks plain HTTP) and stops it when the test ends.
func startDirect(t *testing.T, cfg server.Config) *server.Server {
	t.Helper()
	cfg.Addr, cfg.DataDir, cfg.Hash = "127.0.0.1:0", t.TempDir(), testserver.CheapHash
	if cfg.AdminToken == "" {
		cfg.AdminToken = testserver.OperatorToken
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("starting the server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with: %v", err)
		}
	})
	return srv
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	srv := startDirect(t, server.Config{TLSCert: certFile, TLSKey: keyFile})
	if !strings.HasPrefix(srv.BaseURL(), "https://") {
		t.Errorf("BaseURL %q, want https://", srv.BaseURL())
	}
	client := func(maxVersion uint16) *http.Client {
		return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: maxVersion},
		}}
	}
	url := "https://" + srv.Addr() + "/healthz"
	t.Run("TLS 1.2", func(t *testing.T) {
		a := send(t, client(tls.VersionTLS12), "GET", url, nil, nil)
		if a.status != 200 {
			t.Fatalf("%d %s", a.status, a.raw)
		}
	})
	t.Run("TLS 1.3", func(t *testing.T) {
		a := send(t, client(tls.VersionTLS13), "GET", url, nil, nil)
		if a.status != 200 {
			t.Fatalf("%d %s", a.status, a.raw)
		}
	})
	t.Run("TLS 1.1 refused", func(t *testing.T) {
		if _, err := trySend(client(tls.VersionTLS11), "GET", url, nil, nil); err == nil {
			t.Fatal("a TLS 1.1 client was served")
		}
	})
	t.Run("plain HTTP gets no answer", func(t *testing.T) {
		a, err := trySend(testserver.HTTPClient(""), "GET", "http://"+srv.Addr()+"/healthz", nil, nil)
		if err == nil && a.status == 200 {
			t.Fatal("plain HTTP was served")
		}
	})
	t.Run("a certificate without its key refuses to start", func(t *testing.T) {
		_, err := server.Start(context.Background(), server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), AdminToken: testserver.OperatorToken, TLSCert: certFile})
		if err == nil || !strings.Contains(err.Error(), "--tls-key") {
			t.Fatalf("err = %v, want one naming --tls-key", err)
		}
	})
}

func TestMetricsNeedOperatorToken(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	key := ts.CreateTenant("acme")
	ts.Must(ts.Do("GET", "/metrics", "", nil), 401, "metrics without a token")
	ts.Must(ts.Do("GET", "/metrics", key, nil), 403, "metrics with a tenant key")
	r := ts.Must(ts.Do("GET", "/metrics", testserver.OperatorToken, nil), 200, "metrics with the operator token")
	if !bytes.Contains(r.Body, []byte("wasmauth_")) {
		t.Errorf("no wasmauth metrics in %.200s", r.Body)
	}
	pub := testserver.Start(t, server.Config{MetricsPublic: true})
	pub.Must(pub.Do("GET", "/metrics", "", nil), 200, "public metrics without a token")
}

func TestShortAdminTokenRefused(t *testing.T) {
	for _, tok := range []string{"op-secret-123", strings.Repeat("x", 31)} {
		_, err := server.Start(context.Background(), server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), AdminToken: tok})
		if err == nil || !strings.Contains(err.Error(), "at least 32") {
			t.Errorf("token of %d characters: err = %v, want a refusal", len(tok), err)
		}
	}
	ts := testserver.Start(t, server.Config{AdminToken: strings.Repeat("é", 32)})
	ts.Must(ts.Do("GET", "/admin/v1/tenants", strings.Repeat("é", 32), nil), 200, "32-character token")
}

func TestWrongAdminTokensRateLimited(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	key := ts.CreateTenant("acme")
	var last *testserver.Response
	limited := 0
	for i := range 25 {
		tok := fmt.Sprintf("wrong-operator-token-%02d-xxxxxxxxxxxx", i)
		if i%2 == 1 {
			tok = "wak_acme.wrong-key-" + fmt.Sprint(i)
		}
		last = ts.Do("GET", "/admin/v1/tenants/acme/users", tok, nil)
		switch last.Status {
		case 401:
		case 429:
			limited++
		default:
			t.Fatalf("wrong token %d: %s", i, last)
		}
	}
	if limited == 0 || last.Status != 429 || last.ProblemCode() != "rate_limited" || last.Header.Get("Retry-After") == "" {
		t.Fatalf("after 25 wrong tokens: %d limited, last %s (Retry-After %q)", limited, last, last.Header.Get("Retry-After"))
	}
	// The address is blocked, whatever it sends; the operator and the
	// tenant elsewhere are not.
	ts.Must(ts.Do("GET", "/admin/v1/tenants", testserver.OperatorToken, nil), 429, "operator from the blocked address")
	other := testserver.Client{T: t, Base: ts.Base, HTTP: testserver.HTTPClient("127.0.0.2")}
	other.Must(other.Do("GET", "/admin/v1/tenants", testserver.OperatorToken, nil), 200, "operator from another address")
	other.Must(other.Do("GET", "/admin/v1/tenants/acme/users", key, nil), 200, "tenant key from another address")
	other.Must(other.Do("GET", "/metrics", testserver.OperatorToken, nil), 200, "metrics from another address")
}

// bigBody is n bytes of a body, written without being held in memory.
type bigBody struct{ left int }

func (b *bigBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), b.left)
	clear(p[:n])
	b.left -= n
	return n, nil
}

// TestOversizedBodiesAnswered413 is issue 12's "a 17 MiB upload through
// Go's net/http client sometimes gets a connection reset instead of 413".
func TestOversizedBodiesAnswered413(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	ts.CreateTenant("acme")
	const size = 17 << 20
	tests := []struct {
		name, path, method, ctype, token, code string
		chunked                                bool
		status                                 int
	}{
		{"module upload", "/admin/v1/tenants/acme/script", "PUT", "application/wasm", testserver.OperatorToken, "module_too_large", false, 413},
		{"module upload, chunked", "/admin/v1/tenants/acme/script", "PUT", "application/wasm", testserver.OperatorToken, "module_too_large", true, 413},
		{"module upload without a token", "/admin/v1/tenants/acme/script", "PUT", "application/wasm", "", "unauthorized", false, 401},
		{"module upload without a token, chunked", "/admin/v1/tenants/acme/script", "PUT", "application/wasm", "", "unauthorized", true, 401},
		{"login", "/t/acme/login", "POST", "application/json", "", "body_too_large", false, 413},
		{"login, chunked", "/t/acme/login", "POST", "application/json", "", "body_too_large", true, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := testserver.HTTPClient("")
			attempts := 20
			if tt.chunked || tt.token == "" {
				attempts = 5
			}
			for i := range attempts {
				req, err := http.NewRequest(tt.method, ts.Base+tt.path, &bigBody{left: size})
				if err != nil {
					t.Fatal(err)
				}
				if !tt.chunked {
					req.ContentLength = size
				}
				req.Header.Set("Content-Type", tt.ctype)
				if tt.token != "" {
					req.Header.Set("Authorization", "Bearer "+tt.token)
				}
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatalf("attempt %d: %v", i, err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatalf("attempt %d: reading the answer: %v", i, err)
				}
				if resp.StatusCode != tt.status || !bytes.Contains(body, []byte(`"code":"`+tt.code+`"`)) {
					t.Fatalf("attempt %d: %d %s, want %d %s", i, resp.StatusCode, body, tt.status, tt.code)
				}
				if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Fatalf("attempt %d: no nosniff in %v", i, resp.Header)
				}
			}
		})
	}
	t.Run("module at the limit", func(t *testing.T) {
		r := ts.Do("PUT", "/admin/v1/tenants/acme/script", testserver.OperatorToken, make([]byte, 16<<20))
		if r.Status != 400 || r.ProblemCode() != "invalid_module" {
			t.Fatalf("16 MiB of zeros: %s, want 400 invalid_module", r)
		}
	})
}

// TestStalledDeclarationsAnsweredAtOnce is issue 13's "40 connections
// declaring 17 MiB bodies to /login and stalling took the process from
// 525 MB to 1.73 GB": each is answered 413 from its Content-Length, before
// any of the body is sent, so nothing is buffered for it.
func TestStalledDeclarationsAnsweredAtOnce(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	ts.CreateTenant("acme")
	addr := strings.TrimPrefix(ts.Base, "http://")
	// Logins, uploads over the module limit, and uploads under it without
	// a valid token (which may not make the server hold 16 MiB either).
	kinds := []struct {
		method, path, token string
		size, status        int
	}{
		{"POST", "/t/acme/login", "", 17 << 20, 413},
		{"PUT", "/admin/v1/tenants/acme/script", testserver.OperatorToken, 17 << 20, 413},
		{"PUT", "/admin/v1/tenants/acme/script", "", 16 << 20, 401},
		{"PUT", "/admin/v1/tenants/acme/script", "wrong-token-0123456789-0123456789", 16 << 20, 401},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := kinds[i%len(kinds)]
			errs <- stalled(addr, k.method, k.path, k.token, k.size, k.status)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// stalled declares a body of size bytes, sends none of it and expects
// status within a generous bound.
func stalled(addr, method, path, token string, size, status int) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	auth := ""
	if token != "" {
		auth = "Authorization: Bearer " + token + "\r\n"
	}
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", method, path, auth, size)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return fmt.Errorf("%s %s: no answer before the body: %v", method, path, err)
	}
	resp.Body.Close()
	if resp.StatusCode != status {
		return fmt.Errorf("%s %s (token %q): status %d, want %d", method, path, token, resp.StatusCode, status)
	}
	return nil
}

func TestHeadersTooLarge(t *testing.T) {
	logs := &testserver.LockedBuffer{}
	ts := testserver.Start(t, server.Config{Log: slog.New(slog.NewJSONHandler(logs, nil))})
	for _, size := range []int{20 << 10, 64 << 10} {
		a := send(t, ts.HTTP, "GET", ts.Base+"/healthz", map[string]string{"X-Padding": strings.Repeat("a", size)}, nil)
		if a.status != 431 || a.code() != "headers_too_large" {
			t.Fatalf("%d bytes of headers: %d %s, want 431 headers_too_large", size, a.status, a.raw)
		}
		if a.header.Get("X-Content-Type-Options") != "nosniff" || a.header.Get("X-Request-Id") == "" {
			t.Errorf("431 headers: %v", a.header)
		}
	}
	ts.Must(ts.Do("GET", "/healthz", "", nil), 200, "healthz after")
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("error-level log lines: %s", logs)
	}
}

func TestMediaTypes(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	ts.CreateTenant("acme")
	wrongLogin := []byte(`{"identifier":"nobody@example.com","password":"wrong password"}`)
	register := []byte(`{"email":"new@example.com","password":"` + realPassword + `"}`)
	tests := []struct {
		name, method, path, ctype string
		header                    map[string]string
		body                      []byte
		status                    int
		code                      string
	}{
		{"login as text/plain", "POST", "/t/acme/login", "text/plain", nil, wrongLogin, 415, "unsupported_media_type"},
		{"register as text/plain", "POST", "/t/acme/register", "text/plain;charset=UTF-8", nil, register, 415, "unsupported_media_type"},
		{"login as a form", "POST", "/t/acme/login", "application/x-www-form-urlencoded", nil, []byte("identifier=a&password=b"), 415, "unsupported_media_type"},
		{"login without a type", "POST", "/t/acme/login", "", nil, wrongLogin, 415, "unsupported_media_type"},
		{"login gzipped", "POST", "/t/acme/login", "application/json", map[string]string{"Content-Encoding": "gzip"}, wrongLogin, 415, "unsupported_media_type"},
		{"login with charset", "POST", "/t/acme/login", "application/json; charset=utf-8", nil, wrongLogin, 401, "invalid_credentials"},
		{"register as JSON", "POST", "/t/acme/register", "Application/JSON", nil, register, 201, ""},
		{"token as JSON", "POST", "/t/acme/oauth/token", "application/json", nil, []byte(`{"grant_type":"refresh_token"}`), 415, ""},
		{"revoke as a form", "POST", "/t/acme/oauth/revoke", "application/x-www-form-urlencoded", nil, []byte("token=x"), 200, ""},
		{"module as octet-stream", "PUT", "/admin/v1/tenants/acme/script", "application/octet-stream", nil, []byte("\x00asm"), 415, "unsupported_media_type"},
		{"module as wasm", "PUT", "/admin/v1/tenants/acme/script", "application/wasm", nil, []byte("\x00asm"), 400, "invalid_module"},
		{"tenant as text/plain", "POST", "/admin/v1/tenants", "text/plain", nil, []byte(`{"id":"other"}`), 415, "unsupported_media_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Authorization": "Bearer " + testserver.OperatorToken}
			if tt.ctype != "" {
				h["Content-Type"] = tt.ctype
			}
			for k, v := range tt.header {
				h[k] = v
			}
			a := send(t, ts.HTTP, tt.method, ts.Base+tt.path, h, bytes.NewReader(tt.body))
			if a.status != tt.status || a.code() != tt.code {
				t.Fatalf("%d %s, want %d %s", a.status, a.raw, tt.status, tt.code)
			}
		})
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	ts := testserver.Start(t, server.Config{})
	tests := []struct {
		name, method, path, token string
		status                    int
	}{
		{"200", "GET", "/healthz", "", 200},
		{"401", "GET", "/admin/v1/tenants", "", 401},
		{"404", "GET", "/no/such/route", "", 404},
		{"404 tenant", "GET", "/t/nobody/.well-known/jwks.json", "", 404},
		{"405", "DELETE", "/healthz", "", 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.Do(tt.method, tt.path, tt.token, nil)
			checkSecurityHeaders(t, r.Status, tt.status, r.Header)
		})
	}
	t.Run("5xx", func(t *testing.T) {
		// A store that is down makes /readyz 503; a panic is a 500.
		srv := httpapi.New(httpapi.Config{Ready: func(context.Context) error { return errors.New("down") }}, nil, nil)
		srv.App().Get("/panics", func(*fiber.Ctx) error { panic("boom") })
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(ln)
		defer srv.Shutdown(context.Background())
		c := testserver.NewClient(t, "http://"+ln.Addr().String())
		r := c.Do("GET", "/readyz", "", nil)
		checkSecurityHeaders(t, r.Status, 503, r.Header)
		r = c.Do("GET", "/panics", "", nil)
		checkSecurityHeaders(t, r.Status, 500, r.Header)
	})
}

func checkSecurityHeaders(t *testing.T, got, want int, h http.Header) {
	t.Helper()
	if got != want {
		t.Fatalf("status %d, want %d", got, want)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("X-Content-Type-Options %q, Referrer-Policy %q", h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
	}
}
