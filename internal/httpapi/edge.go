package httpapi

import (
	"bytes"
	"context"
	"errors"
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
	"github.com/wasmauth/wasmauth/internal/console"
)

// clientAddrKey is the Locals key of the client address.
const clientAddrKey = "client_addr"

// withEdge sets the headers every response carries and finds the client
// address (see ClientAddr) for rate limits, audit and the access log.
func (s *Server) withEdge(c *fiber.Ctx) error {
	defer s.uploads.Delete(&c.Request().Header)
	defer s.limits.Delete(&c.Request().Header)
	setSecurityHeaders(c)
	c.Locals(clientAddrKey, s.clientAddrOf(c))
	return c.Next()
}

// clientAddrOf finds the client address of c's request.
func (s *Server) clientAddrOf(c *fiber.Ctx) string {
	if len(s.cfg.TrustedProxies) == 0 {
		return clone(c.IP())
	}
	var peer netip.Addr
	if tcp, ok := c.Context().RemoteAddr().(*net.TCPAddr); ok {
		peer = tcp.AddrPort().Addr()
	}
	h := &c.Request().Header
	return ClientAddr(peer, s.cfg.TrustedProxies, headerValues(h, fiber.HeaderXForwardedFor), headerValues(h, "Forwarded")).String()
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
// before the body is read: MaxModuleSize for a module upload and
// MaxImportBody for a user import, with a token that may write there,
// MaxJSONBody for everything else (so a stranger
// cannot make the server hold 16 MiB). fasthttp answers a declared
// Content-Length over it at once, and stops a chunked body when it grows
// past it, with ErrBodyTooLarge (413; see uploadRefusal and classify).
func (s *Server) bodyLimit(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	rc := s.chooseBodyLimit(h)
	limit := rc.MaxRequestBodySize
	if h.ContentLength() > limit {
		// Bodies are streams (see New), and fasthttp would wait for a
		// stream's first bytes before any handler runs: a body declared
		// too large is read as none, and withBody answers 413 at once.
		limit = declaredTooLarge
		h.SetContentLength(0)
	}
	s.limits.Store(h, limit)
	return rc
}

// declaredTooLarge marks, in Server.limits, a request whose Content-Length
// was over its limit.
const declaredTooLarge = -1

// chooseBodyLimit is bodyLimit's choice.
func (s *Server) chooseBodyLimit(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if s.console != nil && s.console.ModuleUpload(string(h.Method()), string(h.RequestURI()), string(h.Cookie(console.SessionCookie))) {
		s.uploads.Delete(h)
		return fasthttp.RequestConfig{MaxRequestBodySize: s.cfg.MaxModuleSize + 1<<20}
	}
	limit, module := s.cfg.MaxModuleSize, true
	tenant, ok := scriptTenant(string(h.RequestURI()))
	if !ok || !bytes.Equal(h.Method(), []byte(fiber.MethodPut)) {
		tenant, ok = routeTenant(string(h.RequestURI()), "/users/import")
		ok = ok && bytes.Equal(h.Method(), []byte(fiber.MethodPost))
		limit, module = MaxImportBody, false
	}
	if !ok {
		s.uploads.Delete(h)
		return fasthttp.RequestConfig{MaxRequestBodySize: s.cfg.MaxJSONBody}
	}
	u := upload{tenant: tenant, bearer: parseBearer(string(h.Peek(fiber.HeaderAuthorization))), module: module}
	if s.svc != nil {
		p, err := s.svc.VerifyToken(context.Background(), u.bearer)
		u.authorized = err == nil && p.Authorize(tenant) == nil
	}
	s.uploads.Store(h, u)
	if !u.authorized {
		return fasthttp.RequestConfig{MaxRequestBodySize: s.cfg.MaxJSONBody}
	}
	return fasthttp.RequestConfig{MaxRequestBodySize: limit}
}

// upload is what bodyLimit learnt from the head of a module upload. It is
// kept until the request is answered (withEdge, errorHandler), keyed by
// fasthttp's pooled request head: fasthttp clears the request when a
// chunked body outgrows its limit, so the error handler asks this record.
type upload struct {
	tenant, bearer string
	// authorized is whether the token may upload to the tenant.
	authorized bool
	// module is set for a module upload, unset for a user import.
	module bool
}

func (s *Server) uploadOf(c *fiber.Ctx) (upload, bool) {
	u, ok := s.uploads.Load(&c.Request().Header)
	if !ok {
		return upload{}, false
	}
	return u.(upload), true
}

// uploadRefusal turns the 413 of a module upload whose token may not upload
// there into the answer the token gets on the route (401, 403, or 429 once
// the address sent too many wrong ones), counting a wrong token as
// Authenticate does.
func (s *Server) uploadRefusal(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	u, ok := s.uploadOf(c)
	if !ok || u.authorized || s.svc == nil || !errors.As(err, &fe) || fe.Code != fiber.StatusRequestEntityTooLarge {
		return err
	}
	p, aerr := s.svc.Authenticate(c.UserContext(), u.bearer, auth.Meta{IP: s.clientAddrOf(c), RequestID: requestID(c)})
	if aerr != nil {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="wasmauth"`)
		return aerr
	}
	if aerr = p.Authorize(u.tenant); aerr != nil {
		return aerr
	}
	return err
}

// scriptTenant returns the tenant of a request URI
// /admin/v1/tenants/{tenant}/script, the module upload route.
func scriptTenant(uri string) (string, bool) {
	return routeTenant(uri, "/script")
}

// routeTenant returns the tenant of a request URI
// /admin/v1/tenants/{tenant}{suffix}.
func routeTenant(uri, suffix string) (string, bool) {
	p, _, _ := strings.Cut(uri, "?")
	rest, ok := strings.CutPrefix(strings.TrimSuffix(p, "/"), "/admin/v1/tenants/")
	if !ok {
		return "", false
	}
	tenant, ok := strings.CutSuffix(rest, suffix)
	return tenant, ok && tenant != "" && !strings.Contains(tenant, "/")
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

// withBody reads the request's body stream into memory, up to the limit
// bodyLimit chose, for every request but an authorized user import, whose
// handler reads the stream itself (streamedBody). A body over the limit is
// 413 body_too_large, and the connection closes (its rest is unread).
func (s *Server) withBody(c *fiber.Ctx) error {
	req := c.Request()
	limit := s.cfg.MaxJSONBody
	if l, ok := s.limits.Load(&req.Header); ok {
		limit = l.(int)
	}
	if limit == declaredTooLarge {
		return s.tooLarge(c)
	}
	if !req.IsBodyStream() {
		return c.Next()
	}
	if u, ok := s.uploadOf(c); ok && u.authorized && !u.module {
		return c.Next()
	}
	body, err := io.ReadAll(io.LimitReader(req.BodyStream(), int64(limit)+1))
	if err != nil {
		c.Context().SetConnectionClose()
		return fiber.ErrBadRequest
	}
	if len(body) > limit {
		return s.tooLarge(c)
	}
	req.SetBody(body)
	return c.Next()
}

// tooLarge answers 413 at once, as fasthttp did before any middleware ran,
// and closes the connection.
func (s *Server) tooLarge(c *fiber.Ctx) error {
	c.Context().SetConnectionClose()
	return s.errorHandler(c, fiber.ErrRequestEntityTooLarge)
}

// streamedBody is the body of an authorized user import, read as it comes:
// at most limit bytes, then errBodyTooLarge. The handler works between
// reads, so the read timeout applies to each read (the client must keep
// sending), not to the whole body.
func (s *Server) streamedBody(c *fiber.Ctx, limit int64) io.Reader {
	req := c.Request()
	if !req.IsBodyStream() {
		return bytes.NewReader(req.Body())
	}
	return &limitedBody{r: req.BodyStream(), left: limit, conn: c.Context().Conn(), timeout: s.cfg.ReadTimeout}
}

// errBodyTooLarge is the error of a streamed body past its limit.
var errBodyTooLarge = auth.Errorf(auth.CodeBodyTooLarge, "the body is larger than the limit")

type limitedBody struct {
	r       io.Reader
	left    int64
	conn    net.Conn
	timeout time.Duration
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	if b.conn != nil && b.timeout > 0 {
		_ = b.conn.SetReadDeadline(time.Now().Add(b.timeout))
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, errBodyTooLarge
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return n, auth.Errorf(auth.CodeRequestTimeout, "the body did not arrive within the read timeout")
	}
	return n, err
}
