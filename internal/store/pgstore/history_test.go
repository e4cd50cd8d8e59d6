package pgstore_test

import (
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/store/storetest"
)

func TestMigrationHistory(t *testing.T) {
	s := &schemas{base: scratch(t)}
	storetest.RunMigrationHistory(t, func(t *testing.T) auth.Store { return s.open(t) })
}
