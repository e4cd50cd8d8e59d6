package cluster_test

import (
	"context"
	"testing"

	"github.com/wasmauth/wasmauth/internal/cluster"
)

func TestLocal(t *testing.T) {
	l := cluster.NewLocal()
	a, err := l.TryAcquire(t.Context(), "job")
	if err != nil || a == nil {
		t.Fatalf("first acquire: %v, %v", a, err)
	}
	if b, _ := l.TryAcquire(t.Context(), "job"); b != nil {
		t.Fatal("a held lease was handed out again")
	}
	if c, _ := l.TryAcquire(t.Context(), "other"); c == nil {
		t.Fatal("another name's lease was refused")
	}
	a.Release()
	if a.Context().Err() == nil {
		t.Fatal("a released lease's context goes on")
	}
	ran, err := cluster.Once(t.Context(), l, "job", func(ctx context.Context) error {
		if again, _ := cluster.Once(ctx, l, "job", func(context.Context) error { return nil }); again {
			t.Error("a job ran inside itself")
		}
		return nil
	})
	if !ran || err != nil {
		t.Fatalf("Once after the release: %v, %v", ran, err)
	}
}
