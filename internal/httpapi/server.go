package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/console"
	"github.com/wasmauth/wasmauth/internal/oidc"
)

// Config holds the HTTP settings. Zero fields take the defaults.
type Config struct {
	// MaxJSONBody bounds JSON bodies (1 MiB).
	MaxJSONBody int
	// MaxModuleSize bounds module uploads (16 MiB).
	MaxModuleSize int
	// ReadTimeout, WriteTimeout and IdleTimeout bound slow clients.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// Ready reports whether the server can serve (the store is open).
	Ready func(ctx context.Context) error
	// Metrics serves /metrics; nil leaves the route out.
	Metrics fiber.Handler
	// MetricsPublic serves /metrics without the operator token.
	MetricsPublic bool
	// TrustedProxies are the peers whose X-Forwarded-For or Forwarded
	// header names the client (see ClientAddr); none by default.
	TrustedProxies []netip.Prefix
	// TLS, when set, serves HTTPS with it.
	TLS *tls.Config
	// Observe receives each answered request's method, route template,
	// status and duration, for metrics; nil means none.
	Observe func(method, route string, status int, d time.Duration)
	// OpenAPI is the document served at /openapi.json (the embedded one).
	OpenAPI []byte
	// OIDC is the tenants' OpenID Provider; nil serves v1 only.
	OIDC *oidc.Provider
}

// Server is the HTTP API of one wasmauth process.
type Server struct {
	cfg Config
	svc *auth.Service
	log *slog.Logger
	app *fiber.App
	// uploads holds the heads of the module uploads being read or answered
	// (see upload).
	uploads sync.Map
	// limits holds the body limit bodyLimit chose for each request head
	// being read (see withBody).
	limits sync.Map
	// console serves /console/ (see routes).
	console *console.Console
}

// New builds the Fiber app with every route of the contract.
func New(cfg Config, svc *auth.Service, log *slog.Logger) *Server {
	if cfg.MaxJSONBody <= 0 {
		cfg.MaxJSONBody = 1 << 20
	}
	if cfg.MaxModuleSize <= 0 {
		cfg.MaxModuleSize = 16 << 20
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 15 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 60 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.OpenAPI == nil {
		cfg.OpenAPI = openAPIDocument
	}
	s := &Server{cfg: cfg, svc: svc, log: log}
	s.app = fiber.New(fiber.Config{
		AppName:               "wasmauth",
		DisableStartupMessage: true,
		ServerHeader:          "",
		// The limit of most routes; bodyLimit raises it for module uploads.
		BodyLimit:    cfg.MaxJSONBody,
		ReadTimeout:  cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout,
		IdleTimeout:  cfg.IdleTimeout,
		ErrorHandler: s.errorHandler,
		// Tenant ids and paths are matched exactly: /T/acme is not /t/acme.
		CaseSensitive: true,
		StrictRouting: false,
		// Header values are bounded; a request head over 16 KiB is refused
		// (431 headers_too_large).
		ReadBufferSize: 16 << 10,
		// Bodies are read as streams so a user import never sits whole in
		// memory; withBody reads every other body, up to its limit.
		StreamRequestBody: true,
	})
	s.app.Server().HeaderReceived = s.bodyLimit
	s.routes()
	return s
}

// App returns the Fiber app, for tests with app.Test.
func (s *Server) App() *fiber.App { return s.app }

// Serve answers requests on ln until Shutdown, over TLS when Config.TLS is
// set. Connections close lingering (see lingerListener).
func (s *Server) Serve(ln net.Listener) error {
	ln = lingerListener{ln}
	if s.cfg.TLS != nil {
		ln = tls.NewListener(ln, s.cfg.TLS)
	}
	return s.app.Listener(ln)
}

// Shutdown stops accepting connections and waits for in-flight requests,
// up to ctx's deadline.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.app.ShutdownWithContext(ctx)
}

// requestIDKey is the Locals key of the request id.
const requestIDKey = "request_id"

// withRequestID gives every request an id, echoed in X-Request-Id and used
// in logs. A client-sent id is kept when it is short and printable.
func (s *Server) withRequestID(c *fiber.Ctx) error {
	setRequestID(c)
	return c.Next()
}

// setRequestID gives the request its id.
func setRequestID(c *fiber.Ctx) {
	id := c.Get(fiber.HeaderXRequestID)
	if !validRequestID(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	} else {
		id = string([]byte(id)) // copy: Fiber reuses the header buffer
	}
	c.Locals(requestIDKey, id)
	c.Set(fiber.HeaderXRequestID, id)
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			return false
		}
	}
	return true
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDKey).(string)
	return id
}

// withRecover turns a panic in a handler into an internal error.
func (s *Server) withRecover(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in handler", "request_id", requestID(c), "panic", r)
			err = auth.Errorf(auth.CodeInternal, "internal error")
		}
	}()
	return c.Next()
}

// withAccessLog logs each request with its status and duration, at debug
// level for success and info for client errors.
func (s *Server) withAccessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		// Let the error handler set the status now, so the log shows it.
		if herr := s.errorHandler(c, err); herr != nil {
			return herr
		}
	}
	status := c.Response().StatusCode()
	level := slog.LevelDebug
	if status >= 400 {
		level = slog.LevelInfo
	}
	s.log.Log(c.UserContext(), level, "http request",
		"request_id", requestID(c), "method", c.Method(), "route", c.Route().Path,
		"status", status, "duration_ms", float64(time.Since(start).Microseconds())/1000, "ip", clientAddr(c))
	return nil
}

func meta(c *fiber.Ctx) auth.Meta {
	return auth.Meta{IP: clientAddr(c), RequestID: requestID(c)}
}

// clone copies a string that may point into Fiber's reused buffers.
func clone(s string) string { return string([]byte(s)) }
