package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client sends requests to a wasmauth on the loopback interface only.
type Client struct {
	base string
	http *http.Client
}

// NewClient returns a Client for base ("http://127.0.0.1:port"). It refuses
// any host that is not a loopback IP address: the load generator must never
// reach another machine.
func NewClient(base string, maxConns int) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("bench client: %w", err)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Scheme != "http" || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("bench client: %q is not an http:// loopback IP address", base)
	}
	tr := &http.Transport{
		// Dial exactly the address given, never through a proxy.
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        maxConns,
		MaxIdleConnsPerHost: maxConns,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	return &Client{base: strings.TrimRight(base, "/"), http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}, nil
}

// Close closes the idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Answer is an HTTP answer with its body.
type Answer struct {
	Status int
	Body   []byte
}

// JSON decodes the body into v.
func (a *Answer) JSON(v any) error {
	if err := json.Unmarshal(a.Body, v); err != nil {
		return fmt.Errorf("decoding %d answer %.200q: %w", a.Status, a.Body, err)
	}
	return nil
}

// Expect returns an error unless the answer has the given status.
func (a *Answer) Expect(status int, what string) error {
	if a.Status != status {
		return fmt.Errorf("%s: status %d, want %d: %.300s", what, a.Status, status, a.Body)
	}
	return nil
}

// Do sends a request. body is nil, []byte (sent as application/wasm),
// url.Values (a form) or a value sent as JSON. token, when set, is sent as
// a bearer token.
func (c *Client) Do(ctx context.Context, method, path, token string, body any) (*Answer, error) {
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/wasm"
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("encoding the body of %s %s: %w", method, path, err)
		}
		rd, ctype = bytes.NewReader(buf), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	return &Answer{Status: resp.StatusCode, Body: out}, nil
}

// Must sends a request and returns an error unless it is answered with
// status.
func (c *Client) Must(ctx context.Context, status int, method, path, token string, body any) (*Answer, error) {
	a, err := c.Do(ctx, method, path, token, body)
	if err != nil {
		return nil, err
	}
	return a, a.Expect(status, method+" "+path)
}
