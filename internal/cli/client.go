package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wasmauth/wasmauth/internal/server"
)

// defaultURL is the server the client commands talk to without --url or
// WASMAUTH_URL.
const defaultURL = "http://" + server.DefaultAddr

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// clientFlags are the flags every client command has.
type clientFlags struct {
	url     string
	token   string
	json    bool
	timeout time.Duration
}

// bindClientFlags adds --url, --token, --json and --timeout to fs.
func bindClientFlags(sys IO, fs *flag.FlagSet) *clientFlags {
	f := &clientFlags{}
	fs.StringVar(&f.url, "url", envOr(sys.Getenv, defaultURL, "WASMAUTH_URL"), "server URL (env WASMAUTH_URL)")
	fs.StringVar(&f.token, "token", "", "operator token or tenant API key (env WASMAUTH_API_KEY, then WASMAUTH_ADMIN_TOKEN)")
	fs.BoolVar(&f.json, "json", false, "print the server's JSON instead of a table")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "time limit of each request")
	return f
}

// client returns the API client the flags describe.
func (f *clientFlags) client(sys IO) (*apiClient, error) {
	token := f.token
	if token == "" {
		token = envOr(sys.Getenv, "", "WASMAUTH_API_KEY", "WASMAUTH_ADMIN_TOKEN")
	}
	if token == "" {
		return nil, errors.New("no token: pass --token or set WASMAUTH_API_KEY or WASMAUTH_ADMIN_TOKEN")
	}
	u, err := url.Parse(strings.TrimRight(f.url, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--url %q is not an http(s) URL", f.url)
	}
	if f.timeout <= 0 {
		return nil, errors.New("--timeout must be positive")
	}
	return newAPIClient(u.String(), token, f.timeout), nil
}

// show makes one JSON call for a client command: it connects as the flags
// say, sends in as the body (none when nil) and decodes the answer into out.
// With --json it prints the server's JSON as it came; otherwise render
// prints what was decoded.
func (f *clientFlags) show(ctx context.Context, sys IO, method, path string, in, out any, render func() error) error {
	c, err := f.client(sys)
	if err != nil {
		return err
	}
	raw, err := c.callJSON(ctx, method, path, in, out)
	if err != nil {
		return err
	}
	if f.json {
		return printJSON(sys.Stdout, raw)
	}
	return render()
}

// delete deletes the resource at path for a client command. With --json it
// prints {"deleted": true}; otherwise it prints done.
func (f *clientFlags) delete(ctx context.Context, sys IO, path, done string) error {
	c, err := f.client(sys)
	if err != nil {
		return err
	}
	if _, err := c.callJSON(ctx, "DELETE", path, nil, nil); err != nil {
		return err
	}
	if f.json {
		return printJSON(sys.Stdout, []byte(`{"deleted": true}`))
	}
	fmt.Fprint(sys.Stdout, done)
	return nil
}

// apiClient calls a wasmauth server's admin API.
type apiClient struct {
	base    string
	token   string
	timeout time.Duration
	// http has an overall time limit; stream has none, for backups, and
	// relies on the transport's and the caller's limits.
	http, stream *http.Client
}

func newAPIClient(base, token string, timeout time.Duration) *apiClient {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   min(timeout, 10*time.Second),
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &apiClient{
		base:    base,
		token:   token,
		timeout: timeout,
		http:    &http.Client{Transport: tr, Timeout: timeout},
		stream:  &http.Client{Transport: tr},
	}
}

// apiError is a problem document the server answered.
type apiError struct {
	Status int
	Code   string
	Detail string
}

func (e *apiError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Code, e.Status)
	}
	return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Detail, e.Status)
}

// request is one API call.
type request struct {
	method      string
	path        string // escaped path below the base URL
	query       url.Values
	body        io.Reader
	contentType string
}

// jsonRequest returns a request with v as its JSON body (none when v is nil).
func jsonRequest(method, path string, v any) (request, error) {
	r := request{method: method, path: path}
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return r, err
		}
		r.body = bytes.NewReader(b)
		r.contentType = "application/json"
	}
	return r, nil
}

// send sends r with hc and returns the response of a 2xx answer; any other
// answer is an *apiError.
func (c *apiClient) send(ctx context.Context, hc *http.Client, r request) (*http.Response, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, r.body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", "wasmauth-cli/"+version)
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.method, redactURL(u), unwrapURLError(err))
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, readProblem(resp)
}

// call sends r and returns the body of the 2xx answer.
func (c *apiClient) call(ctx context.Context, r request) ([]byte, error) {
	resp, err := c.send(ctx, c.http, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the answer to %s %s: %w", r.method, r.path, err)
	}
	return b, nil
}

// callJSON sends a request with in as its JSON body (none if nil), decodes
// the answer into out (unless nil) and returns the raw answer.
func (c *apiClient) callJSON(ctx context.Context, method, path string, in, out any) ([]byte, error) {
	r, err := jsonRequest(method, path, in)
	if err != nil {
		return nil, err
	}
	b, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("the answer to %s %s is not the expected JSON: %w", method, path, err)
		}
	}
	return b, nil
}

// readProblem turns a non-2xx answer into an *apiError, from its problem
// document (or OAuth error) when it has one.
func readProblem(resp *http.Response) error {
	e := &apiError{Status: resp.StatusCode, Code: fmt.Sprintf("http_%d", resp.StatusCode), Detail: http.StatusText(resp.StatusCode)}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/problem+json" && mt != "application/json" {
		return e
	}
	var p struct {
		Code             string `json:"code"`
		Detail           string `json:"detail"`
		Title            string `json:"title"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(b, &p) != nil {
		return e
	}
	switch {
	case p.Code != "":
		e.Code, e.Detail = p.Code, p.Detail
		if e.Detail == "" {
			e.Detail = p.Title
		}
	case p.Error != "":
		e.Code, e.Detail = p.Error, p.ErrorDescription
	}
	// Printed to a terminal: no escape sequences from the server.
	e.Code, e.Detail = sanitize(e.Code), sanitizeBlock(e.Detail)
	return e
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redactURL drops user information from a URL before it is printed.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Redacted()
}

// tenantPath returns the escaped admin path of a tenant plus rest.
func tenantPath(tenant string, rest ...string) string {
	p := "/admin/v1/tenants/" + url.PathEscape(tenant)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}
