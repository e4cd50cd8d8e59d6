package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/jackc/pgx/v5"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/cluster"
	"github.com/wasmauth/wasmauth/internal/httpapi"
	"github.com/wasmauth/wasmauth/internal/mail"
	"github.com/wasmauth/wasmauth/internal/metrics"
	"github.com/wasmauth/wasmauth/internal/oidc"
	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/ratelimit"
	"github.com/wasmauth/wasmauth/internal/scripts"
	"github.com/wasmauth/wasmauth/runtime"
)

// Config is what the server needs to start. Zero fields take the defaults of
// the contract.
type Config struct {
	// Addr is the listen address (DefaultAddr; port 0 picks a free one).
	Addr string
	// DataDir holds the Badger store and the compile cache (DefaultDataDir).
	DataDir string
	// Store is StoreBadger (the default: Badger in DataDir) or the
	// postgres:// URL of a PostgreSQL database, which any number of
	// servers may share.
	Store string
	// BaseURL is the public URL ("http://{addr}").
	BaseURL string
	// SQLiteRoot holds tenants' legacy SQLite files ("{data}/legacy").
	SQLiteRoot string
	// LegacyNetworks, when not empty, are the only networks tenants' postgres
	// and mysql connections may reach (checked at dial time on the resolved
	// address; Unix sockets refused). Empty means the default: any address but
	// loopback, link-local, unspecified and multicast ones.
	LegacyNetworks []netip.Prefix
	// AdminToken is the operator token, at least MinAdminTokenLen characters;
	// empty means the one generated on first start, whose hash is kept in the
	// data folder.
	AdminToken string
	// TrustedProxies are the peers whose X-Forwarded-For or Forwarded header
	// names the client address; none by default (see httpapi.ClientAddr).
	TrustedProxies []netip.Prefix
	// TLSCert and TLSKey, PEM files, make the server speak HTTPS (TLS 1.2
	// and later) and the default BaseURL https://.
	TLSCert, TLSKey string
	// MetricsPublic serves /metrics without the operator token.
	MetricsPublic bool
	// Hash are the argon2id parameters for stored passwords.
	Hash password.Params
	// MaxConcurrentHashes bounds hashes at once (2 x GOMAXPROCS).
	MaxConcurrentHashes int
	// LoginFailures is how many failed logins per identifier and client
	// address are allowed per LoginWindow; ten times as many per address, and
	// a hundred times as many per identifier from all addresses together.
	// The same limits apply per account (all spellings of its identifiers,
	// and wrong current passwords at /password).
	LoginFailures int
	LoginWindow   time.Duration
	// StoreTracer, when set, sees every statement sent to a PostgreSQL
	// store (benchmarks count round trips with it).
	StoreTracer pgx.QueryTracer
	// RateLimitStore is where failed logins are counted: "memory" (this
	// process; its state saved in the store now and then), "postgres" (the
	// PostgreSQL store, shared by every node on it) or a redis:// URL.
	// Empty picks "postgres" on a PostgreSQL store, else "memory".
	RateLimitStore string
	// Registrations is how many registrations one client address may make
	// per RegistrationWindow, over all tenants (20 per hour).
	Registrations      int
	RegistrationWindow time.Duration
	// ShutdownTimeout bounds the wait for in-flight requests (10 s).
	ShutdownTimeout time.Duration
	// MaxLimits raises (or lowers) the operator's maxima of tenants' script
	// limits; zero fields keep the runtime's defaults (runtime.DefaultMaxLimits).
	MaxLimits auth.Limits
	// ScriptQuota bounds each tenant's stored modules; zero fields take
	// auth.DefaultScriptQuota's (20 versions, 256 MiB).
	ScriptQuota auth.ScriptQuota
	// AuditRetention and LogRetention are how long audit events and module
	// log lines are kept (90 days, 7 days); older ones are deleted at start
	// and then hourly.
	AuditRetention, LogRetention time.Duration
	// AccessTTL, SessionTTL and SigningAlgorithm are auth.Config's; zero
	// values take auth.DefaultAccessTTL, DefaultSessionTTL and
	// DefaultSigningAlgorithm.
	AccessTTL, SessionTTL time.Duration
	SigningAlgorithm      string
	// ReadTimeout, WriteTimeout and IdleTimeout bound slow clients; zero
	// takes httpapi's defaults (15 s, 30 s, 60 s).
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// SMTP is the SMTP server of outgoing mail, smtp://user:pass@host:port
	// (STARTTLS when offered) or smtps:// (implicit TLS); empty writes
	// mails to the log instead.
	SMTP string
	// MailFrom is the sender address of mails (mail.DefaultFrom); each
	// tenant's name is the sender's name.
	MailFrom string
	// SMTPTLS, when set, replaces the TLS settings towards the SMTP server
	// (tests use it to trust their own CA).
	SMTPTLS *tls.Config
	// Log receives the server's structured log.
	Log *slog.Logger
	// Stderr receives the one-time operator token notice.
	Stderr io.Writer
}

func (c *Config) fill() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.SQLiteRoot == "" {
		c.SQLiteRoot = filepath.Join(c.DataDir, "legacy")
	}
	if c.Hash == (password.Params{}) {
		c.Hash = password.DefaultParams
	}
	if c.LoginFailures <= 0 {
		c.LoginFailures = 10
	}
	if c.LoginWindow <= 0 {
		c.LoginWindow = 15 * time.Minute
	}
	if c.Registrations <= 0 {
		c.Registrations = 20
	}
	if c.RegistrationWindow <= 0 {
		c.RegistrationWindow = time.Hour
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Stderr == nil {
		c.Stderr = io.Discard
	}
}

// Server is a started wasmauth.
type Server struct {
	cfg     Config
	ln      net.Listener
	store   auth.Store
	engine  *runtime.Engine
	scripts *scripts.Manager
	svc     *auth.Service
	http    *httpapi.Server
	mail    *mail.Sender
	log     *slog.Logger

	// leases make background jobs run on one node of a cluster.
	leases cluster.Leases

	// closeLimiter stops a shared rate limiter; nil for an in-memory one.
	closeLimiter func()

	// background runs the reconnection of tenants' legacy databases after a
	// start; Close stops it and waits.
	stopBackground context.CancelFunc
	background     sync.WaitGroup
}

// Start opens the store, the engine and the listener. Call Serve, then
// Close.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	cfg.fill()
	log := cfg.Log
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data folder: %w", err)
	}
	if err := os.MkdirAll(cfg.SQLiteRoot, 0o700); err != nil {
		return nil, fmt.Errorf("creating the SQLite folder: %w", err)
	}
	if n := utf8.RuneCountInString(cfg.AdminToken); n > 0 && n < MinAdminTokenLen {
		return nil, fmt.Errorf("WASMAUTH_ADMIN_TOKEN has %d characters; at least %d are required (for example: openssl rand -base64 32), or leave it unset to have one generated", n, MinAdminTokenLen)
	}
	if err := auth.CheckTokenSettings(cfg.AccessTTL, cfg.SessionTTL, cfg.SigningAlgorithm); err != nil {
		return nil, err
	}
	tlsConfig, err := loadTLS(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, err
	}
	opHash, err := operatorTokenHash(cfg.DataDir, cfg.AdminToken, cfg.Stderr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	if cfg.BaseURL == "" && tlsConfig != nil {
		cfg.BaseURL = "https://" + ln.Addr().String()
	} else if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + ln.Addr().String()
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")

	transport, err := mailTransport(cfg, log)
	if err != nil {
		ln.Close()
		return nil, err
	}
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("opening the store: %w", err)
	}
	s := &Server{cfg: cfg, ln: ln, store: st, log: log, leases: leasesOf(st)}
	s.mail = mail.NewSender(st, transport, log)
	hasher := password.NewHasher(password.Config{Params: cfg.Hash, MaxConcurrent: cfg.MaxConcurrentHashes})
	s.engine, err = runtime.New(ctx, runtime.Config{
		Max:      scripts.RuntimeLimits(cfg.MaxLimits), // the engine fills zero fields from runtime.DefaultMaxLimits
		CacheDir: filepath.Join(cfg.DataDir, "compile-cache"),
		Loader:   scripts.Loader(st),
		Logger:   log,
	})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("starting the wasm engine: %w", err)
	}
	s.scripts = scripts.New(s.engine, st, cfg.SQLiteRoot, cfg.LegacyNetworks, log)
	limiter, err := s.openLimiter(ctx, ratelimit.New(auth.LimitRules(auth.LimitBudgets{
		LoginFailures:      cfg.LoginFailures,
		LoginWindow:        cfg.LoginWindow,
		Registrations:      cfg.Registrations,
		RegistrationWindow: cfg.RegistrationWindow,
	}), 1_000_000))
	if err != nil {
		s.Close()
		return nil, err
	}
	obs := metrics.New()
	obs.WatchPool(s.engine.Stats)
	obs.WatchHasher(hasher)
	obs.OIDC() // the OpenID Provider's counters, at zero from the start
	s.svc = auth.NewService(auth.Config{
		BaseURL:           cfg.BaseURL,
		OperatorTokenHash: opHash,
		AccessTTL:         cfg.AccessTTL,
		SessionTTL:        cfg.SessionTTL,
		SigningAlgorithm:  cfg.SigningAlgorithm,
		ScriptQuota:       cfg.ScriptQuota,
		AuditRetention:    cfg.AuditRetention,
		LogRetention:      cfg.LogRetention,
		Presets:           examples.Presets(),
	}, auth.Deps{
		Store:    st,
		Hasher:   hasher,
		Limiter:  limiter,
		Leases:   s.leases,
		Scripts:  s.scripts,
		Observer: obs,
		Log:      log,

		LegacyCeiling: legacyCeiling,
		MailQueued:    s.mail.Wake,
	})
	if err := s.svc.RestoreLimits(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("loading the rate limits: %w", err)
	}
	go legacyCeiling() // measured now, so that the first rejection need not wait
	// Reopen the tenants' legacy databases in the background: with many
	// tenants, or some of their databases down, waiting here would delay the
	// start by seconds each. A call that comes first opens its own.
	bg, stop := context.WithCancel(context.Background())
	s.stopBackground = stop
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		s.svc.RestoreConnections(bg)
	}()
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		s.pruneEvents(bg)
	}()
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		s.watchTenants(bg)
	}()
	// The outbox's sender: one per cluster, on the node holding its lease;
	// another node takes over within mailLeaseRetry when that node stops.
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		cluster.Every(bg, s.leases, "mail-outbox", mailLeaseRetry, func(ctx context.Context) error {
			s.mail.Run(ctx)
			return nil
		}, func(err error) { log.Warn("mail sender: no lease", "err", err) })
	}()
	// Resume the migration drains that were running when the process
	// stopped; each runs in the background, below the request path. With
	// several nodes, look again now and then: a drain whose node died is
	// taken over.
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		s.resumeDrains(bg)
	}()
	s.http = httpapi.New(httpapi.Config{
		Ready:          st.Ping,
		Metrics:        adaptor.HTTPHandler(obs.Handler(log)),
		MetricsPublic:  cfg.MetricsPublic,
		Observe:        obs.ObserveHTTP,
		TrustedProxies: cfg.TrustedProxies,
		TLS:            tlsConfig,
		ReadTimeout:    cfg.ReadTimeout,
		WriteTimeout:   cfg.WriteTimeout,
		IdleTimeout:    cfg.IdleTimeout,
		OIDC:           oidc.New(s.svc, st, log, httpapi.StatusOf, obs),
	}, s.svc, log)
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// BaseURL returns the server's public URL.
func (s *Server) BaseURL() string { return s.cfg.BaseURL }

// Store returns the server's store, for tests that check what was written.
func (s *Server) Store() auth.Store { return s.store }

// Service returns the auth service, for the demo set-up and tests.
func (s *Server) Service() *auth.Service { return s.svc }

// Serve answers requests until ctx ends, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish (up to ShutdownTimeout) and
// closes everything.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	s.log.Info("wasmauth listening", "addr", s.Addr(), "base_url", s.cfg.BaseURL, "data", s.cfg.DataDir)
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		s.log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		if err := s.http.Shutdown(sctx); err != nil {
			s.log.Warn("shutdown did not finish in time", "err", err)
		}
		cancel()
	}
	return errors.Join(serveErr, s.Close())
}

// mailLeaseRetry is how often a node without the mail sender's lease tries
// to take it.
const mailLeaseRetry = 5 * time.Second

// Close releases everything Start opened; the store last, after the
// service's queued audit events are written.
func (s *Server) Close() error {
	var errs []error
	if s.stopBackground != nil {
		s.stopBackground()
		s.background.Wait()
	}
	if s.svc != nil {
		errs = append(errs, s.svc.Close())
	}
	if s.closeLimiter != nil {
		s.closeLimiter()
		s.closeLimiter = nil
	}
	if s.scripts != nil {
		s.scripts.Close()
	}
	if s.engine != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, s.engine.Close(ctx))
		cancel()
	}
	if s.store != nil {
		errs = append(errs, s.store.Close())
		s.store = nil
	}
	if s.ln != nil {
		s.ln.Close()
	}
	return errors.Join(errs...)
}

// mailTransport is the transport cfg.SMTP names: SMTP, or the log.
func mailTransport(cfg Config, log *slog.Logger) (mail.Transport, error) {
	if cfg.SMTP == "" {
		log.Info("no SMTP server (--smtp): mails are written to the log, not sent")
		return mail.Log{Log: log}, nil
	}
	srv, err := mail.ParseURL(cfg.SMTP)
	if err != nil {
		return nil, fmt.Errorf("--smtp: %w", err)
	}
	from := cfg.MailFrom
	if from == "" {
		from = mail.DefaultFrom
	}
	return &mail.SMTP{Server: srv, From: from, TLS: cfg.SMTPTLS}, nil
}

// MinAdminTokenLen is the fewest characters an operator-chosen token may
// have.
const MinAdminTokenLen = 32

// loadTLS returns the TLS settings of a certificate and key (PEM files), or
// nil when both are empty.
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("TLS needs both a certificate (--tls-cert) and a key (--tls-key)")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the TLS certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}, nil
}

// operatorTokenFile holds the SHA-256 (hex) of the generated operator token.
const operatorTokenFile = "operator-token.sha256"

// operatorTokenHash returns the hash of the operator token: of the given one,
// or of the one generated on first start, which is printed once to stderr.
func operatorTokenHash(dataDir, token string, stderr io.Writer) ([]byte, error) {
	if token != "" {
		return auth.HashSecret(token), nil
	}
	path := filepath.Join(dataDir, operatorTokenFile)
	if b, err := os.ReadFile(path); err == nil {
		h, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(h) != 32 {
			return nil, fmt.Errorf("%s is corrupt; delete it to generate a new operator token", path)
		}
		return h, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	token = "wao_" + base64.RawURLEncoding.EncodeToString(raw)
	h := auth.HashSecret(token)
	if err := os.WriteFile(path, []byte(hex.EncodeToString(h)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("storing the operator token hash: %w", err)
	}
	fmt.Fprintf(stderr, "wasmauth: generated the operator token; it is shown only this once, only its hash is stored:\n\n    WASMAUTH_ADMIN_TOKEN=%s\n\n", token)
	return h, nil
}
