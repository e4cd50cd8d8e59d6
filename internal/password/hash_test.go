package password

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

// fastParams keep the tests quick; the benchmarks use DefaultParams.
var fastParams = Params{Memory: 256, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

func newFast(t testing.TB, cfg Config) *Hasher {
	t.Helper()
	if cfg.Params == (Params{}) {
		cfg.Params = fastParams
	}
	return NewHasher(cfg)
}

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashDefaultParamsFormat(t *testing.T) {
	h := NewHasher(Config{})
	if h.Params() != DefaultParams {
		t.Fatalf("Params() = %+v, want %+v", h.Params(), DefaultParams)
	}
	enc, err := h.Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !phcRE.MatchString(enc) {
		t.Fatalf("hash %q does not match %s", enc, phcRE)
	}
	ok, rehash, err := h.Verify(context.Background(), enc, "correct horse battery staple")
	if err != nil || !ok || rehash {
		t.Fatalf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := newFast(t, Config{})
	enc, err := h.Hash(ctx, "s3cret-pässword")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"same", "s3cret-pässword", true},
		{"different", "s3cret-password", false},
		{"prefix", "s3cret-pässwor", false},
		{"empty", "", false},
		{"case", "S3cret-pässword", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, enc, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.want || rehash {
				t.Fatalf("Verify = %v, %v; want %v, false", ok, rehash, tt.want)
			}
		})
	}
}

func TestHashUsesFreshSalt(t *testing.T) {
	h := newFast(t, Config{})
	a, err := h.Hash(context.Background(), "same password")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Hash(context.Background(), "same password")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two hashes of one password are equal: %s", a)
	}
}

// TestVerifyReferenceVector checks a hash produced by the reference argon2
// CLI (vector from golang.org/x/crypto/argon2's tests), with parameters
// other than the current ones.
func TestVerifyReferenceVector(t *testing.T) {
	key, _ := hex.DecodeString("350ac37222f436ccb5c0972f1ebd3bf6b958bf2071841362")
	salt := base64.RawStdEncoding.EncodeToString([]byte("somesalt"))
	enc := "$argon2id$v=19$m=64,t=2,p=2$" + salt + "$" + base64.RawStdEncoding.EncodeToString(key)
	h := newFast(t, Config{})
	ok, rehash, err := h.Verify(context.Background(), enc, "password")
	if err != nil || !ok || !rehash {
		t.Fatalf("Verify = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
	ok, rehash, err = h.Verify(context.Background(), enc, "passwore")
	if err != nil || ok || rehash {
		t.Fatalf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, rehash, err)
	}
}

func TestVerifyNeedsRehash(t *testing.T) {
	ctx := context.Background()
	current := newFast(t, Config{})
	tests := []struct {
		name   string
		params Params
		want   bool
	}{
		{"same", fastParams, false},
		{"memory", Params{Memory: 512, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, true},
		{"iterations", Params{Memory: 256, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}, true},
		{"parallelism", Params{Memory: 256, Iterations: 1, Parallelism: 2, SaltLen: 16, KeyLen: 32}, true},
		{"salt", Params{Memory: 256, Iterations: 1, Parallelism: 1, SaltLen: 8, KeyLen: 32}, true},
		{"key", Params{Memory: 256, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 16}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := NewHasher(Config{Params: tt.params}).Hash(ctx, "pw")
			if err != nil {
				t.Fatal(err)
			}
			ok, rehash, err := current.Verify(ctx, enc, "pw")
			if err != nil || !ok || rehash != tt.want {
				t.Fatalf("Verify = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.want)
			}
		})
	}
}

func TestVerifyInvalidHash(t *testing.T) {
	salt := "c29tZXNhbHQxMjM0NTY3OA"                     // 16 bytes
	key := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" // 32 bytes
	tests := []struct{ name, enc string }{
		{"empty", ""},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=256,t=1,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=256,t=1,p=1$" + salt + "$" + key},
		{"old version", "$argon2id$v=16$m=256,t=1,p=1$" + salt + "$" + key},
		{"no version", "$argon2id$m=256,t=1,p=1$" + salt + "$" + key},
		{"missing p", "$argon2id$v=19$m=256,t=1$" + salt + "$" + key},
		{"reordered", "$argon2id$v=19$t=1,m=256,p=1$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=0256,t=1,p=1$" + salt + "$" + key},
		{"sign", "$argon2id$v=19$m=+256,t=1,p=1$" + salt + "$" + key},
		{"memory overflow", "$argon2id$v=19$m=4294967296,t=1,p=1$" + salt + "$" + key},
		{"memory too big", "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key},
		{"memory too small", "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key},
		{"zero iterations", "$argon2id$v=19$m=256,t=0,p=1$" + salt + "$" + key},
		{"too many iterations", "$argon2id$v=19$m=256,t=1000,p=1$" + salt + "$" + key},
		{"zero parallelism", "$argon2id$v=19$m=256,t=1,p=0$" + salt + "$" + key},
		{"parallelism overflow", "$argon2id$v=19$m=256,t=1,p=256$" + salt + "$" + key},
		{"short salt", "$argon2id$v=19$m=256,t=1,p=1$c2FsdA$" + key},
		{"short key", "$argon2id$v=19$m=256,t=1,p=1$" + salt + "$AAAA"},
		{"long key", "$argon2id$v=19$m=256,t=1,p=1$" + salt + "$" + strings.Repeat("A", 1000)},
		{"padded salt", "$argon2id$v=19$m=256,t=1,p=1$" + salt + "==$" + key},
		{"url alphabet", "$argon2id$v=19$m=256,t=1,p=1$" + salt + "$" + key[:42] + "_"},
		{"extra field", "$argon2id$v=19$m=256,t=1,p=1$" + salt + "$" + key + "$"},
		{"no leading dollar", "argon2id$v=19$m=256,t=1,p=1$" + salt + "$" + key},
	}
	h := newFast(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), tt.enc, "pw")
			if !errors.Is(err, ErrInvalidHash) || ok || rehash {
				t.Fatalf("Verify = %v, %v, %v; want false, false, ErrInvalidHash", ok, rehash, err)
			}
		})
	}
}

func TestBusy(t *testing.T) {
	h := newFast(t, Config{MaxConcurrent: 1, MaxWait: time.Millisecond})
	release, err := h.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := h.InFlight(); got != 1 {
		t.Fatalf("InFlight = %d, want 1", got)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name    string
		ctx     context.Context
		call    func(context.Context) error
		wantCtx bool
	}{
		{"Hash", context.Background(), func(ctx context.Context) error { _, err := h.Hash(ctx, "pw"); return err }, false},
		{"Verify", context.Background(), func(ctx context.Context) error {
			_, _, err := h.Verify(ctx, encode(fastParams, make([]byte, 16), make([]byte, 32)), "pw")
			return err
		}, false},
		{"VerifyDummy", context.Background(), func(ctx context.Context) error { return h.VerifyDummy(ctx, "pw") }, false},
		{"Acquire", context.Background(), func(ctx context.Context) error { _, err := h.Acquire(ctx); return err }, false},
		{"canceled", canceled, func(ctx context.Context) error { _, err := h.Hash(ctx, "pw"); return err }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(tt.ctx)
			if !errors.Is(err, ErrBusy) {
				t.Fatalf("err = %v, want ErrBusy", err)
			}
			if got := errors.Is(err, context.Canceled); got != tt.wantCtx {
				t.Fatalf("errors.Is(err, context.Canceled) = %v, want %v", got, tt.wantCtx)
			}
		})
	}

	release()
	release() // a second call must not free a slot someone else holds
	if got := h.InFlight(); got != 0 {
		t.Fatalf("InFlight after release = %d, want 0", got)
	}
	if _, err := h.Hash(context.Background(), "pw"); err != nil {
		t.Fatalf("Hash after release: %v", err)
	}
}

func TestCanceledContextFailsEvenWithFreeSlot(t *testing.T) {
	h := newFast(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, ErrBusy) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash = %v, want ErrBusy and context.Canceled", err)
	}
}

func TestQueueDepth(t *testing.T) {
	h := newFast(t, Config{MaxConcurrent: 1, MaxWait: time.Hour})
	release, err := h.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := h.Hash(context.Background(), "pw")
			done <- err
		}()
	}
	// Wait until both are queued; this waits for a state, it asserts no time.
	for h.QueueDepth() != 2 {
		time.Sleep(time.Millisecond)
	}
	if got := h.InFlight(); got != 1 {
		t.Fatalf("InFlight = %d, want 1", got)
	}
	release()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatalf("queued Hash: %v", err)
		}
	}
	if q, f := h.QueueDepth(), h.InFlight(); q != 0 || f != 0 {
		t.Fatalf("QueueDepth, InFlight = %d, %d; want 0, 0", q, f)
	}
}

func TestVerifyDummy(t *testing.T) {
	h := newFast(t, Config{})
	if err := h.VerifyDummy(context.Background(), "anything"); err != nil {
		t.Fatal(err)
	}
	if h.InFlight() != 0 {
		t.Fatal("VerifyDummy leaked a slot")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"zero", Config{}, false},
		{"fast", Config{Params: fastParams, MaxConcurrent: 3, MaxWait: time.Second}, false},
		{"negative concurrency", Config{MaxConcurrent: -1}, true},
		{"negative wait", Config{MaxWait: -time.Second}, true},
		{"partial params", Config{Params: Params{Memory: 1024}}, true},
		{"memory too big", Config{Params: Params{Memory: MaxMemory + 1, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}}, true},
		{"short salt", Config{Params: Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 4, KeyLen: 32}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				defer func() {
					if recover() == nil {
						t.Fatal("NewHasher did not panic")
					}
				}()
				NewHasher(tt.cfg)
			}
		})
	}
}

// FuzzDecode checks that decode never panics and that whatever it accepts is
// the canonical encoding of its result.
func FuzzDecode(f *testing.F) {
	f.Add(encode(DefaultParams, make([]byte, 16), make([]byte, 32)))
	f.Add("$argon2id$v=19$m=64,t=2,p=2$c29tZXNhbHQ$NQrDciL0NsyVwJcfHr079rlYvyBxhBNi")
	f.Add("$argon2id$v=19$m=0,t=0,p=0$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := decode(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("decode error %v does not wrap ErrInvalidHash", err)
			}
			return
		}
		if err := d.params.Validate(); err != nil {
			t.Fatalf("decode accepted out-of-bounds params: %v", err)
		}
		if got := encode(d.params, d.salt, d.key); got != s {
			t.Fatalf("encode(decode(%q)) = %q", s, got)
		}
	})
}

const benchPassword = "correct horse battery staple"

func BenchmarkHash(b *testing.B) {
	h := NewHasher(Config{})
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, benchPassword); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h := NewHasher(Config{})
	ctx := context.Background()
	enc, err := h.Hash(ctx, benchPassword)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, enc, benchPassword); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkIDKey is the raw cost of argon2id with DefaultParams, to compare
// with BenchmarkHash and BenchmarkVerify.
func BenchmarkIDKey(b *testing.B) {
	p := DefaultParams
	salt := make([]byte, p.SaltLen)
	for b.Loop() {
		argon2.IDKey([]byte(benchPassword), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
	}
}
