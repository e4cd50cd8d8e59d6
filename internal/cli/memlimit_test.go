package cli

import (
	"bytes"
	"errors"
	"log/slog"
	"math"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

func TestSetMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	tests := []struct {
		name     string
		env      string
		limit    uint64
		err      error
		want     int64 // the Go memory limit after; 0 means unchanged
		wantLogs string
	}{
		{name: "from the container", limit: 1 << 30, want: 858993459, wantLogs: `"container_limit":1073741824`},
		{name: "GOMEMLIMIT set", env: "300MiB", limit: 1 << 30, wantLogs: `"go_memory_limit":"300MiB"`},
		{name: "no container limit", err: memlimit.ErrNoLimit, wantLogs: "no memory limit"},
		{name: "no cgroup", err: errors.New("process is not in cgroup"), wantLogs: "not in cgroup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			var logs bytes.Buffer
			called := false
			setMemoryLimit(func(k string) string {
				if k == "GOMEMLIMIT" {
					return tt.env
				}
				return ""
			}, func() (uint64, error) { called = true; return tt.limit, tt.err }, slog.New(slog.NewJSONHandler(&logs, nil)))
			want := tt.want
			if want == 0 {
				want = math.MaxInt64
			}
			if got := debug.SetMemoryLimit(-1); got != want {
				t.Errorf("Go memory limit %d, want %d", got, want)
			}
			if called == (tt.env != "") {
				t.Errorf("the container's limit read: %v, with GOMEMLIMIT %q", called, tt.env)
			}
			if !strings.Contains(logs.String(), tt.wantLogs) {
				t.Errorf("logs %q, want %q", logs.String(), tt.wantLogs)
			}
		})
	}
}
