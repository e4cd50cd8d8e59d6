package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// loginDurationMetric is the server's histogram of request durations (from
// the start of its handler chain to its end, once the request has been
// read), whose POST /t/:tenant/login series serverLoginsWithin reads.
const loginDurationMetric = `wasmauth_http_request_duration_seconds_bucket{method="POST",route="/t/:tenant/login",le="`

// serverLoginsWithin returns how many logins the server has answered within
// le seconds by its own clock, from its /metrics.
func serverLoginsWithin(ctx context.Context, s *benchServer, le string) (int64, error) {
	a, err := s.client.Must(ctx, 200, "GET", "/metrics", s.token, nil)
	if err != nil {
		return 0, err
	}
	return parseBucket(a.Body, le)
}

// parseBucket finds the cumulative count of loginDurationMetric's bucket
// le in a Prometheus text exposition; no series yet counts as zero.
func parseBucket(exposition []byte, le string) (int64, error) {
	prefix := loginDurationMetric + le + `"} `
	sc := bufio.NewScanner(bytes.NewReader(exposition))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return 0, fmt.Errorf("metrics: %s: %w", prefix, err)
			}
			return int64(n), nil
		}
	}
	return 0, sc.Err()
}
