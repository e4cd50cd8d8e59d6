package badgerstore_test

import (
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/store/storetest"
)

func TestMigrationHistory(t *testing.T) {
	storetest.RunMigrationHistory(t, func(t *testing.T) auth.Store { return openInMemory(t) })
}
