package httpapi

import (
	"bytes"
	"io"
	"mime"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// clientAddrKey is the Locals key of the client address.
const clientAddrKey = "client_addr"

// withEdge sets the headers every response carries and finds the client
// address (see ClientAddr) for rate limits, audit and the access log.
func (s *Server) withEdge(c *fiber.Ctx) error {
	defer s.uploads.Delete(&c.Request().Header)
	setSecurityHeaders(c)
	addr := clone(c.IP())
	if len(s.cfg.TrustedProxies) > 0 {
		var peer netip.Addr
		if tcp, ok := c.Context().RemoteAddr().(*net.TCPAddr); ok {
			peer = tcp.AddrPort().Addr()
		}
		h := &c.Request().Header
		addr = ClientAddr(peer, s.cfg.TrustedProxies, headerValues(h, fiber.HeaderXForwardedFor), headerValues(h, "Forwarded")).String()
	}
	c.Locals(clientAddrKey, addr)
	return c.Next()
}

// headerValues returns every value of a request header, copied.
func headerValues(h *fasthttp.RequestHeader, key string) []string {
	var out []string
	for _, v := range h.PeekAll(key) {
		out = append(out, string(v))
	}
	return out
}

// clientAddr returns the client address withEdge found, or the socket
// peer's for answers given before it ran.
func clientAddr(c *fiber.Ctx) string {
	if a, ok := c.Locals(clientAddrKey).(string); ok {
		return a
	}
	return clone(c.IP())
}

// setSecurityHeaders sets the headers of the contract's every response.
func setSecurityHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
}

// The media types of request bodies.
const (
	mediaJSON = fiber.MIMEApplicationJSON
	mediaForm = fiber.MIMEApplicationForm
	mediaWasm = "application/wasm"
)

// checkMediaType refuses a body whose Content-Type is not want (parameters
// such as charset allowed) or that has a Content-Encoding: a compressed body
// would be inflated beyond the route's limit. Returns CodeUnsupportedMedia.
func checkMediaType(c *fiber.Ctx, want string) error {
	if enc := strings.TrimSpace(c.Get(fiber.HeaderContentEncoding)); enc != "" && !strings.EqualFold(enc, "identity") {
		return auth.Errorf(auth.CodeUnsupportedMedia, "request bodies may not have a Content-Encoding")
	}
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != want {
		return auth.Errorf(auth.CodeUnsupportedMedia, "this endpoint takes Content-Type: %s", want)
	}
	return nil
}

// bodyLimit is the largest body a request may have, decided from its head
// before the body is read: MaxModuleSize for a module upload, MaxJSONBody
// for everything else. fasthttp answers a declared Content-Length over it
// at once, and stops a chunked body when it grows past it, with
// ErrBodyTooLarge (413; see classify).
func (s *Server) bodyLimit(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if bytes.Equal(h.Method(), []byte(fiber.MethodPut)) && isScriptPath(string(h.RequestURI())) {
		s.uploads.Store(h, true)
		return fasthttp.RequestConfig{MaxRequestBodySize: s.cfg.MaxModuleSize}
	}
	s.uploads.Delete(h)
	return fasthttp.RequestConfig{MaxRequestBodySize: s.cfg.MaxJSONBody}
}

// isUpload reports whether bodyLimit took c's request for a module upload.
// It asks bodyLimit's record rather than the path because fasthttp clears
// the request when a chunked body outgrows its limit. The record lasts until
// the request is answered (withEdge, errorHandler).
func (s *Server) isUpload(c *fiber.Ctx) bool {
	_, ok := s.uploads.Load(&c.Request().Header)
	return ok
}

// isScriptPath reports whether a request URI is
// /admin/v1/tenants/{tenant}/script, the module upload route.
func isScriptPath(uri string) bool {
	p, _, _ := strings.Cut(uri, "?")
	rest, ok := strings.CutPrefix(strings.TrimSuffix(p, "/"), "/admin/v1/tenants/")
	if !ok {
		return false
	}
	tenant, ok := strings.CutSuffix(rest, "/script")
	return ok && tenant != "" && !strings.Contains(tenant, "/")
}

// Lingering close. A server that closes a connection while the client is
// still sending a body it refused (413, 431) makes the kernel answer with a
// reset, which can destroy the answer before the client reads it: Go's
// net/http client then reports "connection reset by peer" instead of the
// 413. So a closed connection first sends its FIN, then reads and discards
// what the client still sends, up to lingerBytes or lingerTimeout, and only
// then closes.
const (
	lingerTimeout = 5 * time.Second
	lingerBytes   = 64 << 20
)

// lingerListener gives every accepted TCP connection a lingering close.
type lingerListener struct{ net.Listener }

func (l lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		return &lingerConn{TCPConn: tc}, nil
	}
	return c, nil
}

type lingerConn struct {
	*net.TCPConn
	once sync.Once
}

// Close sends FIN at once and closes the socket in the background once the
// client is done sending (or the bounds are reached), so that a caller
// closing many idle connections (fasthttp's shutdown) is not held up.
func (c *lingerConn) Close() error {
	c.once.Do(func() {
		if c.CloseWrite() != nil {
			c.TCPConn.Close()
			return
		}
		go func() {
			_ = c.SetReadDeadline(time.Now().Add(lingerTimeout))
			_, _ = io.CopyN(io.Discard, c.TCPConn, lingerBytes)
			c.TCPConn.Close()
		}()
	})
	return nil
}
