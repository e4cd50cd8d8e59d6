package badgerstore

import (
	"context"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// kindLoginTiming is the one record of a tenant's login timing.
const kindLoginTiming = "lt"

// loginTimingRecord is the stored form of auth.LoginTiming.
type loginTimingRecord struct {
	Local  []timingBinRecord `json:"local,omitempty"`
	Legacy []timingBinRecord `json:"legacy,omitempty"`
}

type timingBinRecord struct {
	UpperNS int64     `json:"upper_ns"`
	Hits    int       `json:"hits"`
	Last    time.Time `json:"last"`
}

func fromTimingBins(bins []auth.TimingBin) []timingBinRecord {
	out := make([]timingBinRecord, len(bins))
	for i, b := range bins {
		out[i] = timingBinRecord{UpperNS: int64(b.Upper), Hits: b.Hits, Last: b.Last.UTC()}
	}
	return out
}

func toTimingBins(recs []timingBinRecord) []auth.TimingBin {
	out := make([]auth.TimingBin, len(recs))
	for i, r := range recs {
		out[i] = auth.TimingBin{Upper: time.Duration(r.UpperNS), Hits: r.Hits, Last: r.Last}
	}
	return out
}

// GetLoginTiming returns the tenant's login timing. Returns auth.ErrNotFound
// when none is stored or the tenant is unknown.
func (s *Store) GetLoginTiming(ctx context.Context, tenant string) (*auth.LoginTiming, error) {
	var rec loginTimingRecord
	err := s.view(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, tenant); err != nil {
			return err
		}
		return getJSON(txn, key(tenant, kindLoginTiming), &rec)
	})
	if err != nil {
		return nil, err
	}
	return &auth.LoginTiming{Local: toTimingBins(rec.Local), Legacy: toTimingBins(rec.Legacy)}, nil
}

// PutLoginTiming replaces the tenant's login timing. Returns
// auth.ErrNotFound for an unknown tenant.
func (s *Store) PutLoginTiming(ctx context.Context, tenant string, lt *auth.LoginTiming) error {
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, tenant); err != nil {
			return err
		}
		return setJSON(txn, key(tenant, kindLoginTiming), &loginTimingRecord{
			Local: fromTimingBins(lt.Local), Legacy: fromTimingBins(lt.Legacy),
		}, time.Time{})
	})
}
