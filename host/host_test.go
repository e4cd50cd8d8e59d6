package host_test

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmauth/wasmauth/host"
	"github.com/wasmauth/wasmauth/host/legacydb"
)

// probeWasm forwards its parameters to each host function.
// Built with: wat2wasm testdata/probe.wat -o testdata/probe.wasm
//
//go:embed testdata/probe.wasm
var probeWasm []byte

// memSize is the probe's memory: two pages.
const memSize = 2 << 16

// probe is an instance of probeWasm bound to one host.Call.
type probe struct {
	t    testing.TB
	ctx  context.Context
	mod  api.Module
	call *host.Call
}

func newProbe(t testing.TB, db host.Database, lim host.Limits, cfg host.Config, input string) *probe {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	if err := host.Instantiate(ctx, r, cfg); err != nil {
		t.Fatal(err)
	}
	b := &host.Binding{}
	mod, err := r.InstantiateWithConfig(ctx, probeWasm, b.ModuleConfig())
	if err != nil {
		t.Fatal(err)
	}
	c := host.NewCall([]byte(input), db, lim)
	cctx := host.WithCall(ctx, c)
	b.Bind(cctx, c)
	return &probe{t: t, ctx: cctx, mod: mod, call: c}
}

// invoke calls an export and returns its i32 result (0 without one).
func (p *probe) invoke(name string, params ...uint64) int32 {
	p.t.Helper()
	res, err := p.try(name, params...)
	if err != nil {
		p.t.Fatalf("%s%v: %v", name, params, err)
	}
	return res
}

func (p *probe) try(name string, params ...uint64) (int32, error) {
	res, err := p.mod.ExportedFunction(name).Call(p.ctx, params...)
	if err != nil || len(res) == 0 {
		return 0, err
	}
	return int32(res[0]), nil
}

func (p *probe) write(off uint32, b []byte) {
	p.t.Helper()
	if !p.mod.Memory().Write(off, b) {
		p.t.Fatalf("write %d bytes at %d: out of range", len(b), off)
	}
}

func (p *probe) read(off, n uint32) []byte {
	p.t.Helper()
	b, ok := p.mod.Memory().Read(off, n)
	if !ok {
		p.t.Fatalf("read %d bytes at %d: out of range", n, off)
	}
	return append([]byte(nil), b...)
}

// hostile are (pointer, length) pairs that are never a valid range of the
// probe's memory, with why.
var hostile = []struct {
	name     string
	ptr, len uint64
}{
	{"pointer past end", memSize + 1, 0},
	{"range past end", memSize - 4, 5},
	{"wrapping range", 0xFFFFFFFF, 2},
	{"negative length", 16, 0xFFFFFFFF},
	{"length with top bit", 16, 0x80000000},
	{"huge pointer and length", 0x7FFFFFFF, 0x7FFFFFFF},
	{"length over memory", 0, memSize + 1},
}

func TestInputRead(t *testing.T) {
	input := `{"identifier":"alice@example.com"}`
	p := newProbe(t, nil, host.Limits{}, host.Config{}, input)
	if got := p.invoke("input_len"); got != int32(len(input)) {
		t.Fatalf("input_len = %d, want %d", got, len(input))
	}
	tests := []struct {
		name     string
		ptr, len uint64
		want     int32
	}{
		{"whole input", 100, 1000, int32(len(input))},
		{"shorter buffer", 100, 5, 5},
		{"empty buffer at end of memory", memSize, 0, 0},
		{"buffer ending at end of memory", memSize - 40, 40, int32(len(input))},
	}
	for _, h := range hostile {
		tests = append(tests, struct {
			name     string
			ptr, len uint64
			want     int32
		}{h.name, h.ptr, h.len, host.StatusBadMemory})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.write(0, make([]byte, memSize)) // clear
			got := p.invoke("input_read", tt.ptr, tt.len)
			if got != tt.want {
				t.Fatalf("input_read(%d, %d) = %d, want %d", tt.ptr, tt.len, got, tt.want)
			}
			if got > 0 {
				if b := p.read(uint32(tt.ptr), uint32(got)); string(b) != input[:got] {
					t.Fatalf("copied %q, want %q", b, input[:got])
				}
			}
		})
	}
	t.Run("nothing written on refusal", func(t *testing.T) {
		p.write(memSize-4, []byte{1, 2, 3, 4})
		if got := p.invoke("input_read", memSize-4, 5); got != host.StatusBadMemory {
			t.Fatalf("got %d", got)
		}
		if b := p.read(memSize-4, 4); string(b) != "\x01\x02\x03\x04" {
			t.Fatalf("memory changed to %q", b)
		}
	})
}

func TestOutputSet(t *testing.T) {
	p := newProbe(t, nil, host.Limits{MaxOutput: 100}, host.Config{}, "")
	if _, ok := p.call.Output(); ok {
		t.Fatal("output set before output_set")
	}
	first := `{"user":null}`
	p.write(0, []byte(first))
	if got := p.invoke("output_set", 0, uint64(len(first))); got != 0 {
		t.Fatalf("output_set = %d", got)
	}
	// The output is copied at once: changing memory afterwards changes nothing.
	p.write(0, []byte("XXXXXXXXXXXXX"))
	if out, ok := p.call.Output(); !ok || string(out) != first {
		t.Fatalf("output = %q, %v", out, ok)
	}
	refused := []struct {
		name     string
		ptr, len uint64
		want     int32
	}{
		{"over the limit", 0, 101, host.StatusTooLarge},
	}
	for _, h := range hostile {
		refused = append(refused, struct {
			name     string
			ptr, len uint64
			want     int32
		}{h.name, h.ptr, h.len, host.StatusBadMemory})
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.invoke("output_set", tt.ptr, tt.len); got != tt.want {
				t.Fatalf("output_set(%d, %d) = %d, want %d", tt.ptr, tt.len, got, tt.want)
			}
			if out, _ := p.call.Output(); string(out) != first {
				t.Fatalf("a refused call changed the output to %q", out)
			}
		})
	}
	t.Run("last accepted wins", func(t *testing.T) {
		second := `{"user":{"id":"1","email":"a@example.com"}}`
		p.write(200, []byte(second))
		if got := p.invoke("output_set", 200, uint64(len(second))); got != 0 {
			t.Fatalf("output_set = %d", got)
		}
		if out, _ := p.call.Output(); string(out) != second {
			t.Fatalf("output = %q", out)
		}
	})
	t.Run("default limit is 64 KiB", func(t *testing.T) {
		p := newProbe(t, nil, host.Limits{}, host.Config{}, "")
		if got := p.invoke("output_set", 0, 64<<10+1); got != host.StatusTooLarge {
			t.Fatalf("output_set(64 KiB + 1) = %d", got)
		}
		if got := p.invoke("output_set", 0, 64<<10); got != 0 {
			t.Fatalf("output_set(64 KiB) = %d", got)
		}
	})
}

func TestLog(t *testing.T) {
	p := newProbe(t, nil, host.Limits{}, host.Config{}, "")
	long := strings.Repeat("é", 1000) // 2000 bytes
	p.write(0, []byte("hello"))
	p.write(100, []byte(long))
	p.invoke("log", 1, 0, 5)
	p.invoke("log", 4, 0, 5)                   // bad level: dropped
	p.invoke("log", 0xFFFFFFFF, 0, 5)          // negative level: dropped
	p.invoke("log", 2, 100, uint64(len(long))) // cut at 1 KiB
	for _, h := range hostile {
		p.invoke("log", 3, h.ptr, h.len) // bad memory: dropped
	}
	logs, dropped := p.call.Logs()
	if len(logs) != 2 || dropped != 0 {
		t.Fatalf("logs = %v, dropped %d; want 2 lines", logs, dropped)
	}
	if logs[0] != (host.LogLine{Level: 1, Message: "hello"}) {
		t.Fatalf("first line = %+v", logs[0])
	}
	if got := logs[1].Message; len(got) > 1024 || len(got) < 1020 || !strings.HasPrefix(long, got) {
		t.Fatalf("long line cut to %d bytes, want 1 KiB at a rune boundary", len(got))
	}
	for i := 0; i < 60; i++ {
		p.invoke("log", 0, 0, 5)
	}
	logs, dropped = p.call.Logs()
	if len(logs) != 50 || dropped != 12 {
		t.Fatalf("after 62 lines: %d kept, %d dropped; want 50 and 12", len(logs), dropped)
	}
}

// fdWrite writes text to fd through an iovec at 0 and the text at 64.
func fdWrite(p *probe, fd uint64, text string) {
	p.t.Helper()
	iov := make([]byte, 8)
	binary.LittleEndian.PutUint32(iov, 64)
	binary.LittleEndian.PutUint32(iov[4:], uint32(len(text)))
	p.write(0, iov)
	p.write(64, []byte(text))
	if errno := p.invoke("fd_write", fd, 0, 1, 32); errno != 0 {
		p.t.Fatalf("fd_write errno %d", errno)
	}
}

func TestStdoutStderr(t *testing.T) {
	p := newProbe(t, nil, host.Limits{}, host.Config{}, "")
	fdWrite(p, 1, "one\ntw")
	fdWrite(p, 1, "o\n")
	fdWrite(p, 2, "oops\n")
	fdWrite(p, 1, strings.Repeat("x", 1500)+"\nafter\n")
	fdWrite(p, 1, strings.Repeat("y", 1000))
	fdWrite(p, 1, strings.Repeat("y", 1000)+"\n")
	fdWrite(p, 2, "no newline")
	logs, _ := p.call.Logs()
	want := []host.LogLine{
		{Level: 1, Message: "one"},
		{Level: 1, Message: "two"},
		{Level: 3, Message: "oops"},
		{Level: 1, Message: strings.Repeat("x", 1024)},
		{Level: 1, Message: "after"},
		{Level: 1, Message: strings.Repeat("y", 1024)},
		{Level: 3, Message: "no newline"},
	}
	if len(logs) != len(want) {
		t.Fatalf("logs = %d lines %v, want %d", len(logs), logs, len(want))
	}
	for i := range want {
		if logs[i] != want[i] {
			t.Errorf("line %d = %.40q (level %d), want %.40q (level %d)", i, logs[i].Message, logs[i].Level, want[i].Message, want[i].Level)
		}
	}
}

func TestStdoutWithoutCallIsDiscarded(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	if err := host.Instantiate(ctx, r, host.Config{}); err != nil {
		t.Fatal(err)
	}
	b := &host.Binding{}
	mod, err := r.InstantiateWithConfig(ctx, probeWasm, b.ModuleConfig())
	if err != nil {
		t.Fatal(err)
	}
	c := host.NewCall(nil, nil, host.Limits{})
	unbind := b.Bind(ctx, c)
	unbind()
	mod.Memory().Write(0, []byte{64, 0, 0, 0, 3, 0, 0, 0})
	mod.Memory().Write(64, []byte("hi\n"))
	if _, err := mod.ExportedFunction("fd_write").Call(ctx, 1, 0, 1, 32); err != nil {
		t.Fatal(err)
	}
	if logs, _ := c.Logs(); len(logs) != 0 {
		t.Fatalf("an unbound instance logged %v", logs)
	}
}

func TestHostFunctionWithoutCallTraps(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	if err := host.Instantiate(ctx, r, host.Config{}); err != nil {
		t.Fatal(err)
	}
	mod, err := r.InstantiateWithConfig(ctx, probeWasm, (&host.Binding{}).ModuleConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mod.ExportedFunction("input_len").Call(ctx); err == nil || !strings.Contains(err.Error(), "no call state") {
		t.Fatalf("err = %v, want a trap naming the missing call state", err)
	}
}

// knownBcrypt is bcrypt("correct horse") at cost 4.
const knownBcrypt = "$2a$04$G9fIdXZvyaP60rE6qFzbT.qYTgAR18bipbUbIvBzRuZuWkgI9V1Xi"

func TestVerifyPassword(t *testing.T) {
	p := newProbe(t, nil, host.Limits{}, host.Config{LegacyHashes: 1}, "")
	p.write(0, []byte(knownBcrypt))
	p.write(1000, []byte("correct horse"))
	p.write(2000, []byte("wrong horse"))
	p.write(3000, []byte("$zz$not-a-hash"))
	tests := []struct {
		name           string
		hp, hl, pp, pl uint64
		want           int32
	}{
		{"match", 0, uint64(len(knownBcrypt)), 1000, 13, 1},
		{"no match", 0, uint64(len(knownBcrypt)), 2000, 11, 0},
		{"unknown format", 3000, 14, 1000, 13, host.StatusUnknownHash},
		{"hash too large", 0, 4097, 1000, 13, host.StatusTooLarge},
		{"password too large", 0, uint64(len(knownBcrypt)), 1000, 4097, host.StatusTooLarge},
	}
	for _, h := range hostile {
		tests = append(tests,
			struct {
				name           string
				hp, hl, pp, pl uint64
				want           int32
			}{"hash " + h.name, h.ptr, h.len, 1000, 13, host.StatusBadMemory},
			struct {
				name           string
				hp, hl, pp, pl uint64
				want           int32
			}{"password " + h.name, 0, uint64(len(knownBcrypt)), h.ptr, h.len, host.StatusBadMemory})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.invoke("verify_password", tt.hp, tt.hl, tt.pp, tt.pl); got != tt.want {
				t.Fatalf("verify_password = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestVerifyPasswordSlotDeadline(t *testing.T) {
	p := newProbe(t, nil, host.Limits{}, host.Config{}, "")
	ctx, cancel := context.WithCancel(p.ctx)
	cancel()
	p.ctx = ctx
	p.write(0, []byte(knownBcrypt))
	_, err := p.try("verify_password", 0, uint64(len(knownBcrypt)), 0, 4)
	var de *host.DeadlineError
	if !errors.As(err, &de) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a DeadlineError wrapping context.Canceled", err)
	}
}

func TestDigest(t *testing.T) {
	p := newProbe(t, nil, host.Limits{}, host.Config{}, "")
	p.write(0, []byte("abc"))
	tests := []struct {
		algo string
		want string
	}{
		{"md5", "900150983cd24fb0d6963f7d28e17f72"},
		{"sha1", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"sha512", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
		{"sha384", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
		{"hmac-sha384:wp-sha384", "9a1ea8ab57f53158db16f145f390d46022ad73ef02c2eb7bd88b656d7a29633eeb07c13cc22174618036ac7db2599e4e"},
		// An HMAC key of 1000 bytes makes a name far longer than a hash's.
		{"hmac-sha256:" + strings.Repeat("k", 1000), "33806e0bfe17c133aedcf42b77685088252949e41732fcb3ca5c043704330444"},
	}
	for _, tt := range tests {
		t.Run(tt.algo[:min(len(tt.algo), 24)], func(t *testing.T) {
			p.write(100, []byte(tt.algo))
			n := p.invoke("digest", 100, uint64(len(tt.algo)), 0, 3)
			if n != int32(len(tt.want)/2) {
				t.Fatalf("digest = %d, want %d", n, len(tt.want)/2)
			}
			if got := p.invoke("result_read", 1000, 1000); got != n {
				t.Fatalf("result_read = %d, want %d", got, n)
			}
			if got := hex.EncodeToString(p.read(1000, uint32(n))); got != tt.want {
				t.Fatalf("digest = %s, want %s", got, tt.want)
			}
		})
	}
	p.write(100, []byte("sha3-256"))
	p.write(2000, []byte("hmac-sha256:"+strings.Repeat("k", 1025)))
	refused := []struct {
		name           string
		ap, al, dp, dl uint64
		want           int32
	}{
		{"unknown algorithm", 100, 8, 0, 3, host.StatusUnknownHash},
		{"long algorithm name", 0, 1000, 0, 3, host.StatusUnknownHash},
		{"HMAC key over 1 KiB", 2000, uint64(len("hmac-sha256:")) + 1025, 0, 3, host.StatusUnknownHash},
		{"data too large", 100, 6, 0, 64<<10 + 1, host.StatusTooLarge},
	}
	for _, h := range hostile {
		refused = append(refused, struct {
			name           string
			ap, al, dp, dl uint64
			want           int32
		}{"algo " + h.name, h.ptr, h.len, 0, 3, host.StatusBadMemory}, struct {
			name           string
			ap, al, dp, dl uint64
			want           int32
		}{"data " + h.name, 100, 6, h.ptr, h.len, host.StatusBadMemory})
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.invoke("digest", tt.ap, tt.al, tt.dp, tt.dl); got != tt.want {
				t.Fatalf("digest = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestResultReadHostile(t *testing.T) {
	p := newProbe(t, nil, host.Limits{}, host.Config{}, "")
	if got := p.invoke("result_read", 0, 100); got != 0 {
		t.Fatalf("result_read without a result = %d, want 0", got)
	}
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			if got := p.invoke("result_read", h.ptr, h.len); got != host.StatusBadMemory {
				t.Fatalf("result_read(%d, %d) = %d, want -1", h.ptr, h.len, got)
			}
		})
	}
}

func TestAbort(t *testing.T) {
	p := newProbe(t, nil, host.Limits{}, host.Config{}, "")
	// AssemblyScript strings: UTF-16LE, byte length in the uint32 before.
	asString := func(at uint32, s string) {
		b := make([]byte, 4, 4+2*len(s))
		binary.LittleEndian.PutUint32(b, uint32(2*len(s)))
		for _, r := range s {
			b = binary.LittleEndian.AppendUint16(b, uint16(r))
		}
		p.write(at-4, b)
	}
	asString(104, "boom")
	asString(204, "legacy.ts")
	tests := []struct {
		name      string
		msg, file uint64
		want      string
	}{
		{"message and file", 104, 204, "boom at legacy.ts:12:3"},
		{"null message", 0, 204, " at legacy.ts:12:3"},
		{"message out of range", memSize + 8, 0, ""},
		{"length out of range", 2, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.try("abort", tt.msg, tt.file, 12, 3)
			var ae *host.AbortError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want an AbortError", err)
			}
			if ae.Message != tt.want {
				t.Fatalf("message = %q, want %q", ae.Message, tt.want)
			}
		})
	}
	logs, _ := p.call.Logs()
	if len(logs) == 0 || logs[0] != (host.LogLine{Level: 3, Message: "abort: boom at legacy.ts:12:3"}) {
		t.Fatalf("logs = %v", logs)
	}
	t.Run("long message is cut", func(t *testing.T) {
		asString(1004, strings.Repeat("a", 5000))
		_, err := p.try("abort", 1004, 0, 0, 0)
		var ae *host.AbortError
		if !errors.As(err, &ae) || len(ae.Message) != 512 {
			t.Fatalf("err = %v, want a message cut to 512 characters", err)
		}
	})
}

func TestProcExit(t *testing.T) {
	for _, code := range []uint32{0, 3} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			p := newProbe(t, nil, host.Limits{}, host.Config{}, "")
			_, err := p.try("proc_exit", uint64(code))
			var exit *sys.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != code {
				t.Fatalf("err = %v, want exit code %d", err, code)
			}
		})
	}
}

func TestSleepEndsAtDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	r := wazero.NewRuntime(ctx)
	defer r.Close(context.Background())
	if err := host.Instantiate(ctx, r, host.Config{}); err != nil {
		t.Fatal(err)
	}
	b := &host.Binding{}
	mod, err := r.InstantiateWithConfig(context.Background(), probeWasm, b.ModuleConfig())
	if err != nil {
		t.Fatal(err)
	}
	c := host.NewCall(nil, nil, host.Limits{})
	b.Bind(ctx, c)
	// One clock subscription of an hour: userdata, tag 0 (clock), clock id 1
	// (monotonic), timeout, precision, flags 0 (relative).
	sub := make([]byte, 48)
	binary.LittleEndian.PutUint64(sub[24:], uint64(time.Hour))
	mod.Memory().Write(0, sub)
	_, err = mod.ExportedFunction("poll_oneoff").Call(host.WithCall(ctx, c), 0, 100, 1, 200)
	var de *host.DeadlineError
	if !errors.As(err, &de) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a DeadlineError", err)
	}
}

func TestRandomAndClock(t *testing.T) {
	p := newProbe(t, nil, host.Limits{}, host.Config{}, "")
	if errno := p.invoke("random_get", 0, 64); errno != 0 {
		t.Fatalf("random_get errno %d", errno)
	}
	if b := p.read(0, 64); string(b) == string(make([]byte, 64)) {
		t.Fatal("random_get wrote zeros")
	}
	if errno := p.invoke("clock_time_get", 0, 1, 100); errno != 0 { // realtime
		t.Fatalf("clock_time_get errno %d", errno)
	}
	ns := int64(binary.LittleEndian.Uint64(p.read(100, 8)))
	if got := time.Unix(0, ns); got.Year() < 2024 {
		t.Fatalf("realtime clock says %v; clocks must be real", got)
	}
}

// sqliteDB creates a legacy SQLite database with two users and opens it as
// db_query does.
func sqliteDB(t testing.TB) *legacydb.DB {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "acme")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("sqlite", filepath.Join(dir, "legacy.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, stmt := range []string{
		`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, hash TEXT NOT NULL)`,
		`INSERT INTO users VALUES (1, 'alice@example.com', '` + knownBcrypt + `'), (2, 'bob@example.com', 'x')`,
	} {
		if _, err := admin.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db, err := legacydb.Open(context.Background(), legacydb.Config{Driver: "sqlite", DSN: "legacy.db", SQLiteRoot: root, Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// query runs a db_query request through the probe and returns the status and
// the response.
func query(p *probe, req string) (int32, string) {
	p.t.Helper()
	p.write(0, []byte(req))
	n := p.invoke("db_query", 0, uint64(len(req)))
	if n < 0 {
		return n, ""
	}
	if got := p.invoke("result_read", 4096, uint64(n)); got != n {
		p.t.Fatalf("result_read = %d, want %d", got, n)
	}
	return n, string(p.read(4096, uint32(n)))
}

func TestDBQuerySQLite(t *testing.T) {
	db := sqliteDB(t)
	p := newProbe(t, db, host.Limits{}, host.Config{}, "")
	n, resp := query(p, `{"sql": "SELECT id, email FROM users WHERE email = ?", "args": ["alice@example.com"]}`)
	if n <= 0 || resp != `{"columns":["id","email"],"rows":[[1,"alice@example.com"]]}` {
		t.Fatalf("db_query = %d, %s", n, resp)
	}
	n, resp = query(p, `{"sql": "INSERT INTO users VALUES (3, 'eve@example.com', 'x')"}`)
	if n <= 0 || !strings.HasPrefix(resp, `{"error":`) {
		t.Fatalf("a write gave %d, %s; want an {\"error\": ...} result", n, resp)
	}
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			if got := p.invoke("db_query", h.ptr, h.len); got != host.StatusBadMemory {
				t.Fatalf("db_query(%d, %d) = %d, want -1", h.ptr, h.len, got)
			}
		})
	}
	// Two queries ran; the limit is ten per call.
	for i := 3; i <= 10; i++ {
		if n, _ := query(p, `{"sql": "SELECT 1"}`); n <= 0 {
			t.Fatalf("query %d = %d", i, n)
		}
	}
	if n, _ := query(p, `{"sql": "SELECT 1"}`); n != host.StatusLimit {
		t.Fatalf("the 11th query = %d, want -4", n)
	}
	if got := p.call.Queries(); got != 10 {
		t.Fatalf("Queries() = %d, want 10", got)
	}
}

func TestDBQueryStatuses(t *testing.T) {
	t.Run("no connection", func(t *testing.T) {
		p := newProbe(t, nil, host.Limits{}, host.Config{}, "")
		if n, _ := query(p, `{"sql": "SELECT 1"}`); n != host.StatusNoConnection {
			t.Fatalf("db_query = %d, want -3", n)
		}
	})
	t.Run("response too large", func(t *testing.T) {
		p := newProbe(t, sqliteDB(t), host.Limits{MaxResponse: 20}, host.Config{}, "")
		if n, _ := query(p, `{"sql": "SELECT id, email FROM users"}`); n != host.StatusTooLarge {
			t.Fatalf("db_query = %d, want -2", n)
		}
	})
	t.Run("request too large", func(t *testing.T) {
		p := newProbe(t, sqliteDB(t), host.Limits{MaxRequest: 10}, host.Config{}, "")
		if n, _ := query(p, `{"sql": "SELECT 1"}`); n != host.StatusTooLarge {
			t.Fatalf("db_query = %d, want -2", n)
		}
	})
	t.Run("rows capped", func(t *testing.T) {
		p := newProbe(t, sqliteDB(t), host.Limits{MaxRows: 1}, host.Config{}, "")
		n, resp := query(p, `{"sql": "SELECT id FROM users ORDER BY id"}`)
		if n <= 0 || !strings.Contains(resp, `"rows":[[1]]`) {
			t.Fatalf("db_query = %d, %s; want one row", n, resp)
		}
	})
}

func TestDBQueryDeadline(t *testing.T) {
	p := newProbe(t, sqliteDB(t), host.Limits{}, host.Config{}, "")
	ctx, cancel := context.WithTimeout(p.ctx, 100*time.Millisecond)
	defer cancel()
	p.ctx = ctx
	slow := `{"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"}`
	p.write(0, []byte(slow))
	_, err := p.try("db_query", 0, uint64(len(slow)))
	var de *host.DeadlineError
	if !errors.As(err, &de) || de.Func != "db_query" {
		t.Fatalf("err = %v, want a DeadlineError in db_query", err)
	}
}
