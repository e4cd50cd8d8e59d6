package auth

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/wasmauth/wasmauth/internal/cluster"
	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/internal/token"
)

// Config holds the Service's settings. Zero fields take the defaults.
type Config struct {
	// BaseURL is the public URL of the server, without a trailing slash; a
	// tenant's issuer is BaseURL + "/t/" + tenant.
	BaseURL string
	// AccessTTL is the lifetime of access tokens (DefaultAccessTTL).
	AccessTTL time.Duration
	// SessionTTL is the absolute lifetime of a session and its refresh
	// tokens (DefaultSessionTTL).
	SessionTTL time.Duration
	// SigningAlgorithm is the algorithm of new tenants' access token keys:
	// token.ES256 (DefaultSigningAlgorithm) or token.EdDSA.
	SigningAlgorithm string
	// OperatorTokenHash is the SHA-256 of the operator token.
	OperatorTokenHash []byte
	// ScriptQuota bounds each tenant's stored modules; zero fields take
	// DefaultScriptQuota's.
	ScriptQuota ScriptQuota
	// AuditRetention and LogRetention are how long audit events and module
	// log lines are kept (DefaultAuditRetention, DefaultLogRetention); see
	// PruneEvents.
	AuditRetention, LogRetention time.Duration
	// Presets are the ready modules a tenant may pick by name instead of
	// uploading one (UploadPreset), keyed by name.
	Presets map[string][]byte
}

// Service implements wasmauth's use cases: tenant administration, local
// accounts, lazy migration through tenant scripts, sessions and tokens.
type Service struct {
	cfg     Config
	store   Store
	hasher  *password.Hasher
	keys    *token.KeyCache
	limiter Limiter
	saver   *limitSaver // writes the limiter's state; nil without a limiter
	scripts Scripts
	events  *eventWriter
	observe Observer
	timing  *equalizer
	log     *slog.Logger
	now     func() time.Time

	drains *drains
	// legacyCounts keeps count_users answers for MigrationStatus.
	legacyCounts *legacyCounts
	// forgot looks up reset requests after their answer; mailQueued wakes
	// the mail sender.
	forgot     *forgotQueue
	mailQueued func()
	leases     cluster.Leases

	migratingMu sync.Mutex
	migrating   map[string]*keyLock // tenant+"\x00"+legacy id; see migrateUser

	admitted admissions // logins admitted, not yet at their hash; see admit
}

// Deps are the Service's collaborators.
type Deps struct {
	Store  Store
	Hasher *password.Hasher
	Keys   *token.KeyCache
	// Limiter counts failures; a *ratelimit.Limiter (one process, its
	// state saved in the store now and then) or a shared one.
	Limiter Limiter
	// Scripts runs tenant modules; nil disables migration entirely.
	Scripts Scripts
	// Leases make background jobs (the migration drain) run on one node of
	// a cluster; nil means cluster.NewLocal(), right for a single process.
	Leases cluster.Leases
	// Observer receives metrics; nil means none.
	Observer Observer
	Log      *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// LegacyCeiling returns how long a migrating tenant's rejections take
	// before its module has verified a legacy password; nil means
	// DefaultLegacyCeiling. It is called on the first such rejection.
	LegacyCeiling func() time.Duration
	// MailQueued is called after a mail was put into the outbox, to wake
	// the sender; nil means none.
	MailQueued func()
}

// NewService returns a Service. Call Close to flush its background writes.
func NewService(cfg Config, d Deps) *Service {
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = DefaultAccessTTL
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.SigningAlgorithm == "" {
		cfg.SigningAlgorithm = DefaultSigningAlgorithm
	}
	if cfg.ScriptQuota.Versions <= 0 {
		cfg.ScriptQuota.Versions = DefaultScriptQuota.Versions
	}
	if cfg.ScriptQuota.Bytes <= 0 {
		cfg.ScriptQuota.Bytes = DefaultScriptQuota.Bytes
	}
	if cfg.AuditRetention <= 0 {
		cfg.AuditRetention = DefaultAuditRetention
	}
	if cfg.LogRetention <= 0 {
		cfg.LogRetention = DefaultLogRetention
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Leases == nil {
		d.Leases = cluster.NewLocal()
	}
	if d.Observer == nil {
		d.Observer = nopObserver{}
	}
	if d.Keys == nil {
		d.Keys = token.NewKeyCache()
	}
	s := &Service{
		cfg:     cfg,
		store:   d.Store,
		hasher:  d.Hasher,
		keys:    d.Keys,
		limiter: d.Limiter,
		scripts: d.Scripts,
		log:     d.Log,
		now:     d.Now,
		observe: d.Observer,
		timing:  newEqualizer(d.Store, d.Log, d.Now, d.Hasher, d.LegacyCeiling),
		drains:  newDrains(),
		leases:  d.Leases,

		legacyCounts: newLegacyCounts(),

		mailQueued: d.MailQueued,

		migrating: map[string]*keyLock{},
		admitted:  admissions{n: map[string]int{}},
	}
	s.events = newEventWriter(d.Store, d.Log)
	s.startForgotQueue()
	if _, ok := s.limiter.(persistentLimiter); ok {
		s.startLimitSaver()
	}
	return s
}

// Close flushes pending audit events, log lines, rate limit changes and
// login timings.
func (s *Service) Close() error {
	s.drains.close()
	s.stopForgotQueue()
	s.timing.close()
	s.events.Close()
	s.stopLimitSaver()
	return nil
}

// Issuer returns the token issuer of a tenant.
func (s *Service) Issuer(tenant string) string {
	return s.cfg.BaseURL + "/t/" + tenant
}

// Tenant returns a tenant. Returns CodeTenantNotFound.
func (s *Service) Tenant(ctx context.Context, id string) (*Tenant, error) {
	t, err := memoized(ctx, memoTenants, id, func() (*Tenant, error) { return s.store.GetTenant(ctx, id) })
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeTenantNotFound, "tenant %q does not exist", id)
	}
	return t, err
}

// Meta describes the request behind a use case, for audit and rate limits.
type Meta struct {
	IP        string
	RequestID string
	// Actor names who acts: "operator", "tenant_key", or a user id.
	Actor string
}
