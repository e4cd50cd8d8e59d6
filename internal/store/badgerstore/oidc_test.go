package badgerstore_test

import (
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/store/storetest"
)

func TestOIDCConformance(t *testing.T) {
	t.Run("InMemory", func(t *testing.T) {
		storetest.RunOIDC(t, func(t *testing.T) auth.Store { return openInMemory(t) })
	})
	t.Run("OnDisk", func(t *testing.T) {
		storetest.RunOIDC(t, func(t *testing.T) auth.Store { return openOnDisk(t, t.TempDir(), testOptions()) })
	})
}
