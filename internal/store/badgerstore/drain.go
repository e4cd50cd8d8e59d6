package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// kindDrain is the key kind of a tenant's drain job: one record.
const kindDrain = "dr"

// drainRecord is the stored form of auth.DrainJob.
type drainRecord struct {
	State             string    `json:"state"`
	Imported          int64     `json:"imported,omitempty"`
	AlreadyLocal      int64     `json:"already_local,omitempty"`
	Conflicts         int64     `json:"conflicts,omitempty"`
	WithoutPassword   int64     `json:"without_password,omitempty"`
	UnsupportedHash   int64     `json:"unsupported_hash,omitempty"`
	Errors            int64     `json:"errors,omitempty"`
	Pages             int64     `json:"pages,omitempty"`
	Cursor            *string   `json:"cursor,omitempty"`
	PageSize          int       `json:"page_size,omitempty"`
	MaxUsersPerSecond int       `json:"max_users_per_second,omitempty"`
	DryRun            bool      `json:"dry_run,omitempty"`
	StartedAt         time.Time `json:"started_at,omitzero"`
	FinishedAt        time.Time `json:"finished_at,omitzero"`
	LastError         string    `json:"last_error,omitempty"`
}

func fromDrain(j *auth.DrainJob) *drainRecord {
	c := j.Counts
	return &drainRecord{
		State: j.State, Imported: c.Imported, AlreadyLocal: c.AlreadyLocal, Conflicts: c.Conflicts,
		WithoutPassword: c.WithoutPassword, UnsupportedHash: c.UnsupportedHash, Errors: c.Errors,
		Pages: j.Pages, Cursor: j.Cursor, PageSize: j.PageSize, MaxUsersPerSecond: j.MaxUsersPerSecond,
		DryRun: j.DryRun, StartedAt: j.StartedAt.UTC(), FinishedAt: j.FinishedAt.UTC(), LastError: j.LastError,
	}
}

func (r *drainRecord) job() *auth.DrainJob {
	return &auth.DrainJob{
		State: r.State,
		Counts: auth.ImportCounts{
			Imported: r.Imported, AlreadyLocal: r.AlreadyLocal, Conflicts: r.Conflicts,
			WithoutPassword: r.WithoutPassword, UnsupportedHash: r.UnsupportedHash, Errors: r.Errors,
		},
		Pages: r.Pages, Cursor: r.Cursor, PageSize: r.PageSize, MaxUsersPerSecond: r.MaxUsersPerSecond,
		DryRun: r.DryRun, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, LastError: r.LastError,
	}
}

// GetDrain returns the tenant's drain job. Returns auth.ErrNotFound.
func (s *Store) GetDrain(ctx context.Context, tenant string) (*auth.DrainJob, error) {
	if !validID(tenant) {
		return nil, auth.ErrNotFound
	}
	var rec drainRecord
	err := s.view(ctx, func(txn *badger.Txn) error {
		return getJSON(txn, key(tenant, kindDrain), &rec)
	})
	if err != nil {
		return nil, err
	}
	return rec.job(), nil
}

// SaveDrain stores the tenant's drain job. Returns auth.ErrNotFound for an
// unknown tenant.
func (s *Store) SaveDrain(ctx context.Context, tenant string, job *auth.DrainJob) error {
	rec := fromDrain(job)
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := requireTenant(txn, tenant); err != nil {
			return err
		}
		return setJSON(txn, key(tenant, kindDrain), rec, time.Time{})
	})
}

// ImportUsers stores a drain page or an import batch in one transaction,
// with the drain job job returns for the outcomes when job is not nil. A
// user whose legacy id a local user holds is already local; one whose email
// or username a local user holds is a conflict; the others are stored and
// counted (as migrated and as imported). Users earlier in users count as
// local for the later ones. With dryRun only the job is written.
func (s *Store) ImportUsers(ctx context.Context, tenant string, users []*auth.User, dryRun bool, job func([]auth.ImportOutcome) *auth.DrainJob) ([]auth.ImportOutcome, error) {
	recs := make([]*userRecord, len(users))
	for i, u := range users {
		if u.Tenant != tenant || u.Source != auth.SourceLegacy || u.LegacyID == "" {
			return nil, errors.New("badgerstore: an imported user must be a legacy user of the tenant")
		}
		if err := checkUser(u); err != nil {
			return nil, err
		}
		recs[i] = fromUser(u)
	}
	var out []auth.ImportOutcome
	err := s.update(ctx, func(txn *badger.Txn) error {
		out = make([]auth.ImportOutcome, len(recs))
		if err := requireTenant(txn, tenant); err != nil {
			return err
		}
		var stored []*userRecord
		for i, rec := range recs {
			o, err := importOutcome(txn, tenant, rec)
			if err != nil {
				return err
			}
			out[i] = o
			if o.Status != auth.ImportStored || dryRun {
				continue
			}
			if ok, err := exists(txn, key(tenant, kindUser, rec.ID)); err != nil {
				return err
			} else if ok {
				return fmt.Errorf("badgerstore: user id %q exists in tenant %q", rec.ID, tenant)
			}
			if err := claimIndexes(txn, tenant, rec.ID, nil, rec); err != nil {
				return err
			}
			if err := setJSON(txn, key(tenant, kindUser, rec.ID), rec, time.Time{}); err != nil {
				return err
			}
			if err := setOrder(txn, tenant, rec); err != nil {
				return err
			}
			stored = append(stored, rec)
		}
		if len(stored) > 0 {
			err := addStats(txn, tenant, func(st *statsRecord) {
				for _, rec := range stored {
					countUser(st, rec, 1)
				}
			})
			if err != nil {
				return err
			}
		}
		if job != nil {
			return setJSON(txn, key(tenant, kindDrain), fromDrain(job(out)), time.Time{})
		}
		return nil
	})
	return out, err
}

// importOutcome decides what ImportUsers does with rec, by the indexes as
// the transaction sees them.
func importOutcome(txn *badger.Txn, tenant string, rec *userRecord) (auth.ImportOutcome, error) {
	for _, ix := range indexes(rec) {
		if ix.value == "" {
			continue
		}
		holder, err := getString(txn, key(tenant, ix.kind, ix.value))
		switch {
		case errors.Is(err, auth.ErrNotFound):
			continue
		case err != nil:
			return auth.ImportOutcome{}, err
		case ix.kind == kindLegacyID:
			return auth.ImportOutcome{Status: auth.ImportAlreadyLocal, Holder: holder}, nil
		case ix.kind == kindEmail:
			return auth.ImportOutcome{Status: auth.ImportConflict, Holder: holder, Field: "email"}, nil
		default:
			return auth.ImportOutcome{Status: auth.ImportConflict, Holder: holder, Field: "username"}, nil
		}
	}
	return auth.ImportOutcome{Status: auth.ImportStored}, nil
}
