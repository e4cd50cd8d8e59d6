package auth

import (
	"context"
	"net/url"
	"regexp"
	"strings"
)

// EventBrandingSet is the audit event of a branding change.
const EventBrandingSet = "branding_set"

var accentColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// SetBranding replaces how the tenant's hosted pages look; empty fields
// return to the defaults. The logo must be an absolute https URL (the
// pages' Content-Security-Policy allows images from its origin only), the
// colour "#rrggbb". Returns CodeTenantNotFound and CodeInvalidRequest.
func (s *Service) SetBranding(ctx context.Context, tenant string, b Branding, m Meta) (*Branding, error) {
	b.DisplayName = strings.TrimSpace(b.DisplayName)
	if len(b.DisplayName) > 200 {
		return nil, Errorf(CodeInvalidRequest, "display_name must be at most 200 bytes")
	}
	if b.LogoURL != "" {
		u, err := url.Parse(b.LogoURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(b.LogoURL) > 2000 || strings.ContainsAny(b.LogoURL, " '\\\";") {
			return nil, Errorf(CodeInvalidRequest, "logo_url must be an absolute https URL")
		}
	}
	if b.AccentColor != "" && !accentColor.MatchString(b.AccentColor) {
		return nil, Errorf(CodeInvalidRequest, `accent_color must be a colour such as "#2f6fde"`)
	}
	_, err := s.store.UpdateTenant(ctx, tenant, func(t *Tenant) error {
		nb := b
		t.Branding = &nb
		if b == (Branding{}) {
			t.Branding = nil
		}
		return nil
	})
	if err != nil {
		return nil, s.tenantErr(tenant, err)
	}
	s.audit(tenant, EventBrandingSet, m, tenant, nil)
	return &b, nil
}
