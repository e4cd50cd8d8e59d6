package auth

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// UploadPreset stores one of the server's ready modules (Config.Presets) as
// the tenant's next script version, as UploadScript does. Returns
// CodeInvalidRequest for an unknown name.
func (s *Service) UploadPreset(ctx context.Context, tenant, name string, activate bool, m Meta) (*Script, error) {
	module, ok := s.cfg.Presets[name]
	if !ok {
		names := slices.Sorted(maps.Keys(s.cfg.Presets))
		return nil, Errorf(CodeInvalidRequest, "no preset %q; the presets are %s", name, strings.Join(names, ", "))
	}
	return s.UploadScript(ctx, tenant, slices.Clone(module), activate, m)
}

// UploadScript validates a module and stores it as the tenant's next version,
// active unless activate is false. Returns CodeInvalidModule,
// CodeModuleTooLarge, CodeTenantNotFound, and CodeQuotaExceeded when the
// tenant would hold more modules than Config.ScriptQuota allows.
func (s *Service) UploadScript(ctx context.Context, tenant string, module []byte, activate bool, m Meta) (*Script, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, err
	}
	if s.scripts == nil {
		return nil, Errorf(CodeServiceUnavailable, "scripts are disabled on this server")
	}
	info, err := s.scripts.Validate(ctx, module)
	if err != nil {
		return nil, err
	}
	sc := &Script{
		Tenant:     tenant,
		SHA256:     info.SHA256,
		Size:       info.Size,
		Exports:    info.Exports,
		UploadedAt: s.now().UTC(),
	}
	q := s.cfg.ScriptQuota
	if err := s.store.AddScript(ctx, sc, module, activate, q); err != nil {
		if errors.Is(err, ErrQuotaExceeded) {
			return nil, Wrap(err, CodeQuotaExceeded, fmt.Sprintf(
				"a tenant may store %d module versions and %s of modules; delete unused versions first (DELETE /script/versions/{v})",
				q.Versions, byteSize(q.Bytes)))
		}
		return nil, s.tenantErr(tenant, err)
	}
	s.audit(tenant, EventScriptUploaded, m, fmt.Sprint(sc.Version), map[string]any{"sha256": sc.SHA256, "size": sc.Size, "active": activate})
	return sc, nil
}

// byteSize formats n as MiB when it is a whole number of them, else as bytes.
func byteSize(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// tenantErr maps ErrNotFound to CodeTenantNotFound.
func (s *Service) tenantErr(tenant string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return Errorf(CodeTenantNotFound, "tenant %q does not exist", tenant)
	}
	return err
}

// Scripts returns the tenant's script versions and the active one.
func (s *Service) Scripts(ctx context.Context, tenant string) ([]*Script, int, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, 0, err
	}
	list, err := s.store.ListScripts(ctx, tenant)
	return list, t.ActiveScript, err
}

// ActivateScript makes version the active script. Calls in flight finish on
// the version they started with. Returns CodeNotFound.
func (s *Service) ActivateScript(ctx context.Context, tenant string, version int, m Meta) (*Script, error) {
	sc, _, err := s.store.GetScript(ctx, tenant, version)
	if err == nil {
		// The store checks again that the version exists, in the update:
		// it may have been deleted since.
		_, err = s.store.UpdateTenant(ctx, tenant, func(t *Tenant) error {
			t.ActiveScript = version
			return nil
		})
	}
	if errors.Is(err, ErrNotFound) {
		return nil, s.scriptNotFound(ctx, tenant, version)
	}
	if err != nil {
		return nil, err
	}
	s.audit(tenant, EventScriptActivated, m, fmt.Sprint(version), nil)
	return sc, nil
}

// scriptNotFound is the error for a version the store did not find:
// CodeTenantNotFound when the tenant is missing, else CodeNotFound.
func (s *Service) scriptNotFound(ctx context.Context, tenant string, version int) error {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return err
	}
	return Errorf(CodeNotFound, "script version %d does not exist", version)
}

// DeleteScript removes an inactive script version, and what the runtime
// holds for it. Its number is not given out again. Returns CodeNotFound,
// CodeTenantNotFound, and CodeScriptActive for the active version.
func (s *Service) DeleteScript(ctx context.Context, tenant string, version int, m Meta) error {
	err := s.store.DeleteScript(ctx, tenant, version)
	switch {
	case errors.Is(err, ErrNotFound):
		return s.scriptNotFound(ctx, tenant, version)
	case errors.Is(err, ErrScriptActive):
		return Errorf(CodeScriptActive, "version %d is the active script; activate another version before deleting it", version)
	case err != nil:
		return err
	}
	if s.scripts != nil {
		s.scripts.ForgetVersion(tenant, version)
	}
	s.audit(tenant, EventScriptDeleted, m, fmt.Sprint(version), nil)
	return nil
}

// ScriptTest is a dry run of a tenant's module.
type ScriptTest struct {
	Op         string
	Identifier string
	Password   string
	// Version is the version to run; 0 means the newest uploaded one.
	Version int
}

// TestScript runs the tenant's module once without migrating anything. A
// failed call is not an error: it is in the result's error. Returns
// CodeInvalidRequest, CodeNotFound (no script).
func (s *Service) TestScript(ctx context.Context, tenant string, in ScriptTest) (*ScriptResult, *ScriptError, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, nil, err
	}
	if in.Op != OpLogin && in.Op != OpGetUser {
		return nil, nil, Errorf(CodeInvalidRequest, `op must be "login" or "get_user"`)
	}
	if TrimNFC(in.Identifier) == "" {
		return nil, nil, Errorf(CodeInvalidRequest, "identifier is required")
	}
	if s.scripts == nil {
		return nil, nil, Errorf(CodeServiceUnavailable, "scripts are disabled on this server")
	}
	version := in.Version
	if version == 0 {
		list, err := s.store.ListScripts(ctx, tenant)
		if err != nil {
			return nil, nil, err
		}
		if len(list) == 0 {
			return nil, nil, Errorf(CodeNotFound, "the tenant has no script")
		}
		version = list[len(list)-1].Version
	} else if _, _, err := s.store.GetScript(ctx, tenant, version); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, nil, Errorf(CodeNotFound, "script version %d does not exist", version)
		}
		return nil, nil, err
	}
	call := ScriptCall{Tenant: t, Version: version, Op: in.Op, Identifier: TrimNFC(in.Identifier), DryRun: true}
	if in.Op == OpLogin {
		call.Password = in.Password
	}
	res, err := s.scripts.Call(ctx, call)
	if res == nil {
		res = &ScriptResult{}
	}
	for i := range res.Logs {
		res.Logs[i].Op = "test"
	}
	s.events.Logs(tenant, res.Logs)
	var se *ScriptError
	if err != nil && !errors.As(err, &se) {
		return nil, nil, err
	}
	return res, se, nil
}

// SetConnection opens and pings the tenant's legacy database, then stores
// the connection. Returns CodeInvalidRequest, CodeInvalidLimits,
// CodeConnectionFailed.
func (s *Service) SetConnection(ctx context.Context, tenant string, c *Connection, m Meta) error {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return err
	}
	switch c.Driver {
	case "postgres", "mysql", "sqlite":
	default:
		return Errorf(CodeInvalidRequest, `driver must be "postgres", "mysql" or "sqlite"`)
	}
	if c.DSN == "" {
		return Errorf(CodeInvalidRequest, "dsn is required")
	}
	if s.scripts == nil {
		return Errorf(CodeServiceUnavailable, "scripts are disabled on this server")
	}
	if err := s.scripts.CheckLimits(c.Limits); err != nil {
		return err
	}
	if err := s.scripts.Connect(ctx, tenant, c); err != nil {
		return err
	}
	if _, err := s.store.UpdateTenant(ctx, tenant, func(t *Tenant) error {
		t.Connection = c
		return nil
	}); err != nil {
		s.scripts.Disconnect(tenant)
		return s.tenantErr(tenant, err)
	}
	s.audit(tenant, EventConnectionSet, m, c.Driver, nil)
	return nil
}

// Connection returns the tenant's connection, or nil.
func (s *Service) Connection(ctx context.Context, tenant string) (*Connection, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return t.Connection, nil
}

// DeleteConnection closes the tenant's legacy database, forgets its DSN and
// switches migration off.
func (s *Service) DeleteConnection(ctx context.Context, tenant string, m Meta) error {
	if _, err := s.store.UpdateTenant(ctx, tenant, func(t *Tenant) error {
		t.Connection = nil
		t.MigrationEnabled = false
		return nil
	}); err != nil {
		return s.tenantErr(tenant, err)
	}
	if s.scripts != nil {
		s.scripts.Disconnect(tenant)
	}
	s.audit(tenant, EventConnectionClosed, m, tenant, nil)
	return nil
}

// MigrationStatus is a tenant's migration switch and counts.
type MigrationStatus struct {
	Enabled bool
	Stats   MigrationStats
	// Drain is the tenant's drain job; nil when it never had one.
	Drain *DrainJob
	// LegacyUsers is how many users the legacy database holds, as the active
	// module's count_users (ABI v1.1) says; nil when it does not export it,
	// there is no connection or the call failed.
	LegacyUsers *int64
	// WeakLegacyPasswords is the tenant's setting, WeakAllow or WeakFlag.
	WeakLegacyPasswords string
}

// SetMigration switches lazy migration on or off. Returns
// CodeMigrationNotReady when switching on without an active script and a
// connection.
func (s *Service) SetMigration(ctx context.Context, tenant string, enabled bool, m Meta) (*MigrationStatus, error) {
	_, err := s.store.UpdateTenant(ctx, tenant, func(t *Tenant) error {
		if enabled && (t.ActiveScript == 0 || t.Connection == nil) {
			return Errorf(CodeMigrationNotReady, "migration needs an active script and a connection")
		}
		t.MigrationEnabled = enabled
		return nil
	})
	if err != nil {
		return nil, s.tenantErr(tenant, err)
	}
	typ := EventMigrationDisabled
	if enabled {
		typ = EventMigrationEnabled
	}
	s.audit(tenant, typ, m, tenant, nil)
	return s.MigrationStatus(ctx, tenant)
}

// SetWeakLegacyPasswords sets what migration does with a legacy password
// that fails the password policy: WeakAllow or WeakFlag. Returns
// CodeInvalidRequest for another value.
func (s *Service) SetWeakLegacyPasswords(ctx context.Context, tenant, mode string, m Meta) (*MigrationStatus, error) {
	if mode != WeakAllow && mode != WeakFlag {
		return nil, Errorf(CodeInvalidRequest, `weak_legacy_passwords must be "allow" or "flag"`)
	}
	if _, err := s.store.UpdateTenant(ctx, tenant, func(t *Tenant) error {
		t.WeakLegacyPasswords = mode
		if mode == WeakAllow {
			t.WeakLegacyPasswords = ""
		}
		return nil
	}); err != nil {
		return nil, s.tenantErr(tenant, err)
	}
	s.audit(tenant, EventMigrationSettings, m, tenant, map[string]any{"weak_legacy_passwords": mode})
	return s.MigrationStatus(ctx, tenant)
}

// MigrationStatus returns the tenant's migration switch and counts.
func (s *Service) MigrationStatus(ctx context.Context, tenant string) (*MigrationStatus, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	st, err := s.store.MigrationStats(ctx, tenant)
	if err != nil {
		return nil, err
	}
	job, err := s.store.GetDrain(ctx, tenant)
	if errors.Is(err, ErrNotFound) {
		job, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	weak := t.WeakLegacyPasswords
	if weak == "" {
		weak = WeakAllow
	}
	return &MigrationStatus{Enabled: t.MigrationEnabled, Stats: st, Drain: job, LegacyUsers: s.countLegacyUsers(ctx, t), WeakLegacyPasswords: weak}, nil
}

// countLegacyUsers asks the active module's count_users, when it has one,
// how many users the legacy database holds; nil when it cannot say.
func (s *Service) countLegacyUsers(ctx context.Context, t *Tenant) *int64 {
	if s.scripts == nil || t.Connection == nil {
		return nil
	}
	if ok, err := s.exports(ctx, t, OpCountUsers); err != nil || !ok {
		return nil
	}
	res, err := s.callScript(ctx, ScriptCall{Tenant: t, Version: t.ActiveScript, Op: OpCountUsers})
	if err != nil {
		return nil
	}
	return &res.Count
}

// ListUsers returns a page of the tenant's users.
func (s *Service) ListUsers(ctx context.Context, tenant string, q UserQuery) ([]*User, string, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, "", err
	}
	if q.Source != "" && q.Source != SourceLocal && q.Source != SourceLegacy {
		return nil, "", Errorf(CodeInvalidRequest, `source must be "local" or "legacy"`)
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 1000)
	return s.store.ListUsers(ctx, tenant, q)
}

// GetUser returns one user. Returns CodeNotFound.
func (s *Service) GetUser(ctx context.Context, tenant, id string) (*User, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, tenant, id)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeNotFound, "user %q does not exist", id)
	}
	return u, err
}

// DeleteUser removes a user and its sessions. Returns CodeNotFound.
func (s *Service) DeleteUser(ctx context.Context, tenant, id string, m Meta) error {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return err
	}
	if err := s.store.DeleteUser(ctx, tenant, id); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeNotFound, "user %q does not exist", id)
		}
		return err
	}
	s.audit(tenant, EventUserDeleted, m, id, nil)
	return nil
}

// Audit returns a page of the tenant's audit trail, newest first.
func (s *Service) Audit(ctx context.Context, tenant string, limit int, cursor string) ([]*AuditEvent, string, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, "", err
	}
	s.events.Flush()
	if limit <= 0 {
		limit = 100
	}
	return s.store.ListAudit(ctx, tenant, min(limit, 1000), cursor)
}

// Logs returns the tenant's newest script log lines.
func (s *Service) Logs(ctx context.Context, tenant string, limit int) ([]LogEntry, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, err
	}
	s.events.Flush()
	if limit <= 0 {
		limit = 100
	}
	return s.store.ListLogs(ctx, tenant, min(limit, 1000))
}

// RestoreConnections reopens the legacy connections of every tenant that has
// one, after a restart. Failures are logged: the database may come back later.
func (s *Service) RestoreConnections(ctx context.Context) {
	if s.scripts == nil {
		return
	}
	tenants, err := s.store.ListTenants(ctx)
	if err != nil {
		s.log.Error("listing tenants to reconnect", "err", err)
		return
	}
	for _, t := range tenants {
		if t.Connection == nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := s.scripts.Connect(cctx, t.ID, t.Connection); err != nil {
			s.log.Warn("reconnecting legacy database", "tenant", t.ID, "err", err)
		}
		cancel()
	}
}
