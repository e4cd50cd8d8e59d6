package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"

	"github.com/KimMachineGun/automemlimit/memlimit"

	"github.com/wasmauth/wasmauth/host/legacydb"
	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/server"
)

// serverFlags binds the settings "serve" and "demo" share, flags over
// environment over defaults.
type serverFlags struct {
	addr, data, baseURL, sqliteRoot, logLevel, maxLimits, legacyNetworks string
	trustedProxies, tlsCert, tlsKey, metricsPublicEnv                    string
	metricsPublic                                                        bool
	// defaultNetworks replace an empty --legacy-networks (for the demo: loopback).
	defaultNetworks []netip.Prefix
	// store is "badger" or a postgres:// URL.
	store string
	// smtp and mailFrom are the outgoing mail's server and sender.
	smtp, mailFrom string
	// rateLimitStore is "", "memory", "postgres" or a redis:// URL.
	rateLimitStore string
	// Quotas and retention; see retentionConfig.
	maxScriptVersions, maxScriptBytes, auditRetention, logRetention string
	// Token settings; see tokenConfig.
	accessTTL, sessionTTL, signingAlg string
}

// demoNetworks are the networks the demo's tenants' databases may be on by default: the
// machine it runs on.
var demoNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

func bindServerFlags(sys IO, name, synopsis, description string) (*serverFlags, func(args []string) error) {
	f := &serverFlags{}
	networksDefault := "any address but loopback, link-local, unspecified and multicast ones"
	if name == "demo" {
		f.defaultNetworks = demoNetworks
		networksDefault = "loopback, 127.0.0.0/8,::1/128"
	}
	fs := newFlags(sys, name, synopsis, description)
	fs.StringVar(&f.addr, "addr", envOr(sys.Getenv, server.DefaultAddr, "WASMAUTH_ADDR"), "listen address (env WASMAUTH_ADDR)")
	fs.StringVar(&f.data, "data", envOr(sys.Getenv, server.DefaultDataDir, "WASMAUTH_DATA_DIR"), "data folder: Badger store and compile cache (env WASMAUTH_DATA_DIR)")
	fs.StringVar(&f.store, "store", envOr(sys.Getenv, server.StoreBadger, "WASMAUTH_STORE"), "where users, tenants and sessions live: badger (embedded, in --data) or a postgres:// URL that any number of servers may share (env WASMAUTH_STORE)")
	fs.StringVar(&f.rateLimitStore, "rate-limit-store", envOr(sys.Getenv, "", "WASMAUTH_RATE_LIMIT_STORE"), "where failed logins are counted: memory (this process), postgres (the PostgreSQL --store, shared by every node on it) or a redis:// URL (env WASMAUTH_RATE_LIMIT_STORE; default postgres on a PostgreSQL store, else memory)")
	fs.StringVar(&f.baseURL, "base-url", envOr(sys.Getenv, "", "WASMAUTH_BASE_URL"), "public base URL, the token issuer's prefix (env WASMAUTH_BASE_URL; default http://{addr})")
	fs.StringVar(&f.sqliteRoot, "sqlite-root", envOr(sys.Getenv, "", "WASMAUTH_SQLITE_ROOT"), "folder of tenants' legacy SQLite files (env WASMAUTH_SQLITE_ROOT; default {data}/legacy)")
	fs.StringVar(&f.maxLimits, "max-limits", envOr(sys.Getenv, "", "WASMAUTH_MAX_LIMITS"), `operator maxima of tenants' script limits as JSON, e.g. '{"timeout_ms": 30000, "memory_mb": 512}' (env WASMAUTH_MAX_LIMITS; default `+maxLimitsDefault()+`)`)
	fs.StringVar(&f.legacyNetworks, "legacy-networks", envOr(sys.Getenv, "", "WASMAUTH_LEGACY_NETWORKS"), "comma-separated CIDR prefixes, e.g. 10.0.0.0/8,192.168.1.0/24: the only networks tenants' postgres and mysql connections may reach, checked on the resolved address at every dial; Unix sockets are always refused (env WASMAUTH_LEGACY_NETWORKS; default "+networksDefault+")")
	fs.StringVar(&f.trustedProxies, "trusted-proxies", envOr(sys.Getenv, "", "WASMAUTH_TRUSTED_PROXIES"), "comma-separated CIDR prefixes of reverse proxies, e.g. 10.0.0.5/32: only requests from them may name the client address in X-Forwarded-For or Forwarded (env WASMAUTH_TRUSTED_PROXIES; default none)")
	fs.StringVar(&f.tlsCert, "tls-cert", envOr(sys.Getenv, "", "WASMAUTH_TLS_CERT"), "PEM certificate (chain) file: serve HTTPS, TLS 1.2 and later; needs --tls-key (env WASMAUTH_TLS_CERT)")
	fs.StringVar(&f.tlsKey, "tls-key", envOr(sys.Getenv, "", "WASMAUTH_TLS_KEY"), "PEM private key file of --tls-cert (env WASMAUTH_TLS_KEY)")
	fs.BoolVar(&f.metricsPublic, "metrics-public", false, "serve /metrics without the operator token (env WASMAUTH_METRICS_PUBLIC=true)")
	f.metricsPublicEnv = sys.Getenv("WASMAUTH_METRICS_PUBLIC")
	fs.StringVar(&f.maxScriptVersions, "max-script-versions", envOr(sys.Getenv, strconv.Itoa(auth.DefaultScriptQuota.Versions), "WASMAUTH_MAX_SCRIPT_VERSIONS"), "module versions a tenant may store; more uploads are 409 quota_exceeded (env WASMAUTH_MAX_SCRIPT_VERSIONS)")
	fs.StringVar(&f.maxScriptBytes, "max-script-bytes", envOr(sys.Getenv, formatSize(auth.DefaultScriptQuota.Bytes), "WASMAUTH_MAX_SCRIPT_BYTES"), "bytes of modules a tenant may store, e.g. 64MiB or 1GiB (env WASMAUTH_MAX_SCRIPT_BYTES)")
	fs.StringVar(&f.auditRetention, "audit-retention", envOr(sys.Getenv, formatDuration(auth.DefaultAuditRetention), "WASMAUTH_AUDIT_RETENTION"), "how long audit events are kept, e.g. 90d or 36h; older ones are deleted hourly (env WASMAUTH_AUDIT_RETENTION)")
	fs.StringVar(&f.logRetention, "log-retention", envOr(sys.Getenv, formatDuration(auth.DefaultLogRetention), "WASMAUTH_LOG_RETENTION"), "how long module log lines are kept, e.g. 7d or 12h (env WASMAUTH_LOG_RETENTION)")
	fs.StringVar(&f.accessTTL, "access-ttl", envOr(sys.Getenv, formatDuration(auth.DefaultAccessTTL), "WASMAUTH_ACCESS_TTL"), "lifetime of access tokens, e.g. 15m or 1h; at most --session-ttl (env WASMAUTH_ACCESS_TTL)")
	fs.StringVar(&f.sessionTTL, "session-ttl", envOr(sys.Getenv, formatDuration(auth.DefaultSessionTTL), "WASMAUTH_SESSION_TTL"), "absolute lifetime of a session and its refresh tokens, e.g. 30d or 12h (env WASMAUTH_SESSION_TTL)")
	fs.StringVar(&f.signingAlg, "signing-alg", envOr(sys.Getenv, auth.DefaultSigningAlgorithm, "WASMAUTH_SIGNING_ALG"), "algorithm of new tenants' access token keys: "+strings.Join(auth.SigningAlgorithms, " or ")+"; existing keys keep theirs until rotated (env WASMAUTH_SIGNING_ALG)")
	fs.StringVar(&f.smtp, "smtp", envOr(sys.Getenv, "", "WASMAUTH_SMTP_URL"), "SMTP server of outgoing mail (password reset links): smtp://user:pass@host:port (STARTTLS when offered; port 587 by default) or smtps:// for implicit TLS (port 465); without it mails are written to the log (env WASMAUTH_SMTP_URL)")
	fs.StringVar(&f.mailFrom, "mail-from", envOr(sys.Getenv, "wasmauth@localhost", "WASMAUTH_MAIL_FROM"), "sender address of mails; the tenant's name is the sender's name (env WASMAUTH_MAIL_FROM)")
	fs.StringVar(&f.logLevel, "log-level", envOr(sys.Getenv, "info", "WASMAUTH_LOG_LEVEL"), "log level: debug, info, warn or error (env WASMAUTH_LOG_LEVEL)")
	return f, func(args []string) error { return parse(sys, fs, args) }
}

func (f *serverFlags) config(sys IO) (server.Config, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return server.Config{}, fmt.Errorf("--log-level: %w", err)
	}
	var maxLimits auth.Limits
	if f.maxLimits != "" {
		dec := json.NewDecoder(strings.NewReader(f.maxLimits))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&maxLimits); err != nil {
			return server.Config{}, fmt.Errorf("--max-limits: %w", err)
		}
	}
	legacyNetworks, err := legacydb.ParseNetworks(f.legacyNetworks)
	if err != nil {
		return server.Config{}, fmt.Errorf("--legacy-networks: %w", err)
	}
	trustedProxies, err := legacydb.ParseNetworks(f.trustedProxies)
	if err != nil {
		return server.Config{}, fmt.Errorf("--trusted-proxies: %w", err)
	}
	metricsPublic := f.metricsPublic
	if !metricsPublic && f.metricsPublicEnv != "" {
		if metricsPublic, err = strconv.ParseBool(f.metricsPublicEnv); err != nil {
			return server.Config{}, fmt.Errorf("WASMAUTH_METRICS_PUBLIC: want true or false, got %q", f.metricsPublicEnv)
		}
	}
	if len(legacyNetworks) == 0 {
		legacyNetworks = f.defaultNetworks
	}
	log := slog.New(slog.NewJSONHandler(sys.Stderr, &slog.HandlerOptions{Level: level}))
	cfg := server.Config{
		Addr:           f.addr,
		DataDir:        f.data,
		Store:          f.store,
		RateLimitStore: f.rateLimitStore,
		BaseURL:        strings.TrimRight(f.baseURL, "/"),
		SQLiteRoot:     f.sqliteRoot,
		LegacyNetworks: legacyNetworks,
		AdminToken:     sys.Getenv("WASMAUTH_ADMIN_TOKEN"),
		TrustedProxies: trustedProxies,
		TLSCert:        f.tlsCert,
		TLSKey:         f.tlsKey,
		MetricsPublic:  metricsPublic,
		MaxLimits:      maxLimits,
		SMTP:           f.smtp,
		MailFrom:       f.mailFrom,
		Log:            log,
		Stderr:         sys.Stderr,
	}
	if err := f.retentionConfig(&cfg); err != nil {
		return server.Config{}, err
	}
	if err := f.tokenConfig(&cfg); err != nil {
		return server.Config{}, err
	}
	return cfg, nil
}

func runServe(ctx context.Context, sys IO, args []string) error {
	f, parseArgs := bindServerFlags(sys, "serve", "serve [flags]", `
Runs the wasmauth server until SIGINT or SIGTERM, then stops accepting
connections, lets in-flight requests finish (up to 10 s) and closes the store.
On first start it prints a generated operator token once, unless
WASMAUTH_ADMIN_TOKEN sets one.`)
	if err := parseArgs(args); err != nil {
		return err
	}
	cfg, err := f.config(sys)
	if err != nil {
		return err
	}
	setMemoryLimit(sys.Getenv, memlimit.FromCgroup, cfg.Log)
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		return err
	}
	return srv.Serve(ctx)
}
