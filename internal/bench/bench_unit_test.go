package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	for _, tc := range []struct {
		name string
		d    []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of odd", ms(5, 1, 3), 50, 3 * time.Millisecond},
		{"median of even is the lower", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p99 of 100", ms(func() []int {
			v := make([]int, 100)
			for i := range v {
				v[i] = 100 - i
			}
			return v
		}()...), 99, 99 * time.Millisecond},
		{"p100 is the max", ms(1, 9, 5), 100, 9 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := append([]time.Duration(nil), tc.d...)
			if got := Percentile(tc.d, tc.p); got != tc.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tc.d, tc.p, got, tc.want)
			}
			for i := range orig {
				if orig[i] != tc.d[i] {
					t.Fatalf("Percentile reordered its input: %v", tc.d)
				}
			}
		})
	}
}

func TestParseLoadAverage(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    [3]float64
		wantErr bool
	}{
		{in: "9.58 10.51 7.99 10/216 4433\n", want: [3]float64{9.58, 10.51, 7.99}},
		{in: "0.00 0.01 0.05", want: [3]float64{0, 0.01, 0.05}},
		{in: "1.0 2.0", wantErr: true},
		{in: "a b c", wantErr: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseLoadAverage(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if err == nil && got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseCPUModel(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"x86", "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nmodel name\t: other\n", "AMD EPYC 7B13"},
		{"none", "processor\t: 0\nHardware\t: BCM2835\n", ""},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseCPUModel([]byte(tc.in)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseStatusMemory(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		rss, hwm int64
		wantErr  bool
	}{
		{name: "both", in: "Name:\tx\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nThreads:\t3\n", rss: 1 << 20, hwm: 2 << 20},
		{name: "missing", in: "VmRSS:\t 1 kB\n", wantErr: true},
		{name: "not kB", in: "VmHWM:\t 1 MB\nVmRSS:\t 1 kB\n", wantErr: true},
		{name: "not a number", in: "VmHWM:\t x kB\nVmRSS:\t 1 kB\n", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rss, hwm, err := parseStatusMemory([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if err == nil && (rss != tc.rss || hwm != tc.hwm) {
				t.Errorf("got %d, %d; want %d, %d", rss, hwm, tc.rss, tc.hwm)
			}
		})
	}
}

func TestMemoryOfThisProcess(t *testing.T) {
	rss, hwm, err := Memory()
	if err != nil {
		t.Skipf("no /proc/self/status here: %v", err)
	}
	if rss <= 0 || hwm < rss {
		t.Errorf("VmRSS %d, VmHWM %d: want 0 < RSS <= HWM", rss, hwm)
	}
}

func TestNewClientRefusesAllButLoopback(t *testing.T) {
	for _, tc := range []struct {
		base string
		ok   bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.0.0.2:1", true},
		{"http://[::1]:8080", true},
		{"http://localhost:8080", false}, // a name could resolve anywhere
		{"http://10.0.0.1:8080", false},
		{"http://example.com", false},
		{"https://127.0.0.1:8080", false},
		{"127.0.0.1:8080", false},
	} {
		t.Run(tc.base, func(t *testing.T) {
			c, err := NewClient(tc.base, 1)
			if (err == nil) != tc.ok {
				t.Errorf("NewClient(%q) error %v, want ok=%v", tc.base, err, tc.ok)
			}
			if c != nil {
				c.Close()
			}
		})
	}
}

func TestLoad(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/busy" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	get := func(path string) Request {
		return func(ctx context.Context, _, _ int) (int, error) {
			a, err := c.Do(ctx, "GET", path, "", nil)
			if err != nil {
				return 0, err
			}
			return a.Status, nil
		}
	}
	ctx := context.Background()

	t.Run("count", func(t *testing.T) {
		res, err := Load{Clients: 4, Requests: 25}.Run(ctx, get("/"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Count() != 25 || res.Statuses[200] != 25 || res.Unexpected(200) != 0 {
			t.Errorf("count %d, statuses %v", res.Count(), res.Statuses)
		}
	})
	t.Run("duration", func(t *testing.T) {
		var calls atomic.Int64
		res, err := Load{Clients: 2, Duration: 50 * time.Millisecond}.Run(ctx, func(ctx context.Context, w, seq int) (int, error) {
			calls.Add(1)
			time.Sleep(time.Millisecond)
			return 200, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Count() == 0 || int64(res.Count()) != calls.Load() {
			t.Errorf("%d answers for %d calls", res.Count(), calls.Load())
		}
	})
	t.Run("together", func(t *testing.T) {
		res, err := Load{Clients: 8, Requests: 8, Together: true}.Run(ctx, get("/busy"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Statuses[503] != 8 || res.Unexpected(200) != 8 || res.Unexpected(200, 503) != 0 {
			t.Errorf("statuses %v", res.Statuses)
		}
	})
	t.Run("failures", func(t *testing.T) {
		boom := errors.New("boom")
		res, err := Load{Clients: 2, Requests: 4}.Run(ctx, func(context.Context, int, int) (int, error) { return 0, boom })
		if !errors.Is(err, boom) || res.Failed != 4 || res.Unexpected(200) != 4 {
			t.Errorf("error %v, result %+v", err, res)
		}
	})
	t.Run("unbounded is refused", func(t *testing.T) {
		if _, err := (Load{Clients: 1}).Run(ctx, get("/")); err == nil {
			t.Error("a load without a count or a duration ran")
		}
		if _, err := (Load{Requests: 1}).Run(ctx, get("/")); err == nil {
			t.Error("a load without clients ran")
		}
	})
	t.Run("context ends it", func(t *testing.T) {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		defer cancel()
		t0 := time.Now()
		if _, err := (Load{Clients: 2, Duration: time.Minute}).Run(cctx, get("/")); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(t0); d > 20*time.Second {
			t.Errorf("the load went on for %v after its context ended", d)
		}
	})
}

func TestReportTable(t *testing.T) {
	rep := &Report{Rows: []Row{
		{Name: "a|b", Measures: "m", Result: "r\nx", Target: "t", Verdict: Met},
		{Name: "c", Verdict: Missed},
		{Name: "d", Verdict: Failed},
		{Name: "e", Verdict: Reported},
	}}
	tab := rep.Table()
	for _, want := range []string{`| a\|b | m | r x | t | yes |`, "| c |  |  |  | **no** |", "**failed**", "| e |  |  |  | — |"} {
		if !strings.Contains(tab, want) {
			t.Errorf("table lacks %q:\n%s", want, tab)
		}
	}
	if got := strings.Count(tab, "\n"); got != 6 {
		t.Errorf("%d lines, want 6:\n%s", got, tab)
	}
	if rep.OK() {
		t.Error("a report with a missed and a failed row is OK")
	}
	if !(&Report{Rows: []Row{{Verdict: Met}, {Verdict: Reported}}}).OK() {
		t.Error("a report with only met and reported rows is not OK")
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtCount(0), "0"},
		{fmtCount(999), "999"},
		{fmtCount(1000), "1,000"},
		{fmtCount(-1234567), "-1,234,567"},
		{fmtDur(0), "—"},
		{fmtDur(5190 * time.Nanosecond), "5.19 µs"},
		{fmtDur(11300 * time.Microsecond), "11.3 ms"},
		{fmtDur(3450 * time.Millisecond), "3.45 s"},
		{fmtBytes(512), "512 B"},
		{fmtBytes(5 << 10), "5.0 KiB"},
		{fmtBytes(3 << 20), "3.0 MiB"},
		{fmtBytes(-9 << 20), "-9.0 MiB"},
		{signedBytes(-9 << 20), "-9.0 MiB"},
		{signedBytes(5 << 10), "+5.0 KiB"},
		{fmtRate(26.34), "26.3/s"},
		{fmtRate(552.4), "552/s"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestRowIndexKeepsTheIssueOrder(t *testing.T) {
	order := []string{"x", "concurrent logins", "y"}
	for _, tc := range []struct {
		name string
		want int
	}{{"x", 0}, {"1,000 concurrent logins", 1}, {"y", 2}, {"z", 3}} {
		if got := rowIndex(order, tc.name); got != tc.want {
			t.Errorf("rowIndex(%q) = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestPauseWatchSeesACollection(t *testing.T) {
	w := watchPauses()
	goruntime.GC()
	if d := w.Longest(); d <= 0 {
		t.Errorf("after a collection the longest stop-the-world wait is %v, want > 0", d)
	}
}

// TestPresetRow runs the presets' row with a small budget (go test -run TestPresetRow -v
// ./internal/bench/ prints it).
func TestPresetRow(t *testing.T) {
	row, err := measurePresets(t.Context(), t.TempDir(), t.TempDir(), 200, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"django", "laravel", "wordpress", "table"} {
		if !strings.Contains(row.Result, p+" ") {
			t.Errorf("row %q lacks %s", row.Result, p)
		}
	}
	t.Logf("%s: %s", row.Name, row.Result)
}

// TestParseBucket reads the login series' bucket out of a /metrics text,
// and not another route's.
func TestParseBucket(t *testing.T) {
	text := []byte(`# TYPE wasmauth_http_request_duration_seconds histogram
wasmauth_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.001"} 7
wasmauth_http_request_duration_seconds_bucket{method="POST",route="/t/:tenant/login",le="0.001"} 981
wasmauth_http_request_duration_seconds_bucket{method="POST",route="/t/:tenant/login",le="0.0025"} 990
`)
	for le, want := range map[string]int64{"0.001": 981, "0.0025": 990, "0.005": 0} {
		if n, err := parseBucket(text, le); err != nil || n != want {
			t.Errorf("bucket %s = %d, %v; want %d", le, n, err, want)
		}
	}
}

// TestSchedLatencyWatch: goroutines started after the watch add samples,
// so a percentile of them is found.
func TestSchedLatencyWatch(t *testing.T) {
	w := watchSchedLatency()
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {})
	}
	wg.Wait()
	if p := w.Percentile(99); p <= 0 {
		t.Fatalf("p99 of the wait for a core = %v after 100 goroutines ran, want > 0", p)
	}
}
