package testserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// clientTimeout is long: on a loaded CI machine compiling an uploaded module
// takes many seconds.
const clientTimeout = 2 * time.Minute

// Client sends requests to one wasmauth and fails its test on transport
// errors.
type Client struct {
	// T is the test that failures are reported to.
	T testing.TB
	// Base is the server's URL, such as "http://127.0.0.1:4711".
	Base string
	// HTTP sends the requests.
	HTTP *http.Client
}

// NewClient returns a client for the server at base with its own
// connection pool.
func NewClient(t testing.TB, base string) Client {
	return Client{T: t, Base: base, HTTP: HTTPClient("")}
}

// HTTPClient returns an HTTP client with its own connection pool whose
// connections come from localIP (such as "127.0.0.2", to look like another
// client), or from the default address when it is empty.
func HTTPClient(localIP string) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if localIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
	}
	return &http.Client{
		Timeout:   clientTimeout,
		Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 64},
	}
}

// With returns a copy of c that reports to t, for subtests.
func (c *Client) With(t testing.TB) *Client {
	cc := *c
	cc.T = t
	return &cc
}

// Raw is a request body sent as it is, with its Content-Type (none when
// empty).
type Raw struct {
	ContentType string
	Body        []byte
}

// Response is a fully read answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// JSON is the body decoded when it is a JSON object, else nil.
	JSON map[string]any
}

// String returns the status and the body.
func (r *Response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// Str returns the string at key of the JSON object, or "".
func (r *Response) Str(key string) string {
	s, _ := r.JSON[key].(string)
	return s
}

// Obj returns the object at key of the JSON object, or nil.
func (r *Response) Obj(key string) map[string]any {
	m, _ := r.JSON[key].(map[string]any)
	return m
}

// ProblemCode returns the code of a problem document.
func (r *Response) ProblemCode() string { return r.Str("code") }

// Object decodes the body as a JSON object and fails t when it is not one.
func (r *Response) Object(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %q", err, r.Body)
	}
	return m
}

// Decode decodes the body into v and fails t when it cannot.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding body: %v: %q", err, r.Body)
	}
}

// Send sends a request to target with hc and returns the answer or the
// transport error; it is safe off the test's goroutine. A token is sent as
// a bearer token. The body is none when nil, Raw as given (its
// Content-Type even without a body), []byte as
// application/wasm, a string as raw JSON, url.Values as a form, and
// anything else encoded as JSON.
func Send(hc *http.Client, method, target, token string, body any) (*Response, error) {
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
		ctype = ""
	case Raw:
		ctype = b.ContentType
		if b.Body != nil {
			rd = bytes.NewReader(b.Body)
		}
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/wasm"
	case string:
		rd = strings.NewReader(b)
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := &Response{Status: resp.StatusCode, Header: resp.Header}
	if out.Body, err = io.ReadAll(resp.Body); err != nil {
		return nil, err
	}
	if len(out.Body) > 0 && out.Body[0] == '{' {
		_ = json.Unmarshal(out.Body, &out.JSON)
	}
	return out, nil
}

// Try sends a request to path (see Send) and returns transport errors, for
// use off the test's goroutine.
func (c *Client) Try(method, path, token string, body any) (*Response, error) {
	return Send(c.HTTP, method, c.Base+path, token, body)
}

// Do sends a request to path (see Send); a transport error fails the test.
func (c *Client) Do(method, path, token string, body any) *Response {
	c.T.Helper()
	r, err := c.Try(method, path, token, body)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// Send sends body as it is with contentType (none when empty).
func (c *Client) Send(method, path, token, contentType string, body []byte) *Response {
	c.T.Helper()
	return c.Do(method, path, token, Raw{ContentType: contentType, Body: body})
}

// Must fails the test unless r has status; what names the request.
func (c *Client) Must(r *Response, status int, what string) *Response {
	c.T.Helper()
	if r.Status != status {
		c.T.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
	return r
}

// CreateTenant creates a tenant as the operator and returns its API key.
func (c *Client) CreateTenant(id string) string {
	c.T.Helper()
	r := c.Must(c.Do("POST", "/admin/v1/tenants", OperatorToken, map[string]any{"id": id, "name": id}), 201, "create tenant "+id)
	key := r.Str("api_key")
	if key == "" {
		c.T.Fatalf("create tenant %s: no api_key in %s", id, r.Body)
	}
	return key
}

// Login sends a login of identifier with pw to tenant.
func (c *Client) Login(tenant, identifier, pw string) *Response {
	c.T.Helper()
	return c.Do("POST", "/t/"+tenant+"/login", "", map[string]any{"identifier": identifier, "password": pw})
}

// Register sends a registration of email with pw to tenant.
func (c *Client) Register(tenant, email, pw string) *Response {
	c.T.Helper()
	return c.Do("POST", "/t/"+tenant+"/register", "", map[string]any{"email": email, "password": pw})
}
