package pgstore_test

import (
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/store/storetest"
)

func TestOIDCConformance(t *testing.T) {
	s := &schemas{base: scratch(t)}
	storetest.RunOIDC(t, func(t *testing.T) auth.Store { return s.open(t) })
}
