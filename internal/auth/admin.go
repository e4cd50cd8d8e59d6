package auth

import "errors"

// tenantErr maps ErrNotFound to CodeTenantNotFound.
func (s *Service) tenantErr(tenant string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return Errorf(CodeTenantNotFound, "tenant %q does not exist", tenant)
	}
	return err
}
