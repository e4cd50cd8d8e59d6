package auth

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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
	s.legacyCounts.forget(tenant)
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
