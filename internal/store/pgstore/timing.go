package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// loginTimingRec is the jsonb form of auth.LoginTiming in login_timing; its
// json names are the stored format.
type loginTimingRec struct {
	Local  []timingBinRec `json:"local,omitempty"`
	Legacy []timingBinRec `json:"legacy,omitempty"`
}

type timingBinRec struct {
	UpperNS int64     `json:"upper_ns"`
	Hits    int       `json:"hits"`
	Last    time.Time `json:"last"`
}

func fromTimingBins(bins []auth.TimingBin) []timingBinRec {
	out := make([]timingBinRec, len(bins))
	for i, b := range bins {
		out[i] = timingBinRec{UpperNS: int64(b.Upper), Hits: b.Hits, Last: b.Last.UTC()}
	}
	return out
}

func toTimingBins(recs []timingBinRec) []auth.TimingBin {
	out := make([]auth.TimingBin, len(recs))
	for i, r := range recs {
		out[i] = auth.TimingBin{Upper: time.Duration(r.UpperNS), Hits: r.Hits, Last: r.Last}
	}
	return out
}

// GetLoginTiming returns the tenant's login timing. Returns auth.ErrNotFound
// when none is stored or the tenant is unknown.
func (s *Store) GetLoginTiming(ctx context.Context, tenant string) (*auth.LoginTiming, error) {
	if !validID(tenant) {
		return nil, auth.ErrNotFound
	}
	var b []byte
	err := s.pool.QueryRow(ctx, "SELECT timing FROM login_timing WHERE tenant_id = $1", tenant).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("login timing of tenant %q: %w", tenant, auth.ErrNotFound)
	}
	if err != nil {
		return nil, mapErr(err)
	}
	var rec loginTimingRec
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("pgstore: corrupt login timing of tenant %q: %w", tenant, err)
	}
	return &auth.LoginTiming{Local: toTimingBins(rec.Local), Legacy: toTimingBins(rec.Legacy)}, nil
}

// PutLoginTiming replaces the tenant's login timing. Returns
// auth.ErrNotFound for an unknown tenant (the foreign key says so).
func (s *Store) PutLoginTiming(ctx context.Context, tenant string, lt *auth.LoginTiming) error {
	if !validID(tenant) {
		return auth.ErrNotFound
	}
	b, err := json.Marshal(loginTimingRec{Local: fromTimingBins(lt.Local), Legacy: fromTimingBins(lt.Legacy)})
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO login_timing (tenant_id, timing) VALUES ($1, $2)
		ON CONFLICT (tenant_id) DO UPDATE SET timing = EXCLUDED.timing`, tenant, b)
	return mapErr(err)
}
