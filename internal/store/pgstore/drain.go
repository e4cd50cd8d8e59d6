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

// drainRecord is the stored form of auth.DrainJob, the jsonb of drains.
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

func drainJSON(j *auth.DrainJob) ([]byte, error) {
	c := j.Counts
	b, err := json.Marshal(&drainRecord{
		State: j.State, Imported: c.Imported, AlreadyLocal: c.AlreadyLocal, Conflicts: c.Conflicts,
		WithoutPassword: c.WithoutPassword, UnsupportedHash: c.UnsupportedHash, Errors: c.Errors,
		Pages: j.Pages, Cursor: j.Cursor, PageSize: j.PageSize, MaxUsersPerSecond: j.MaxUsersPerSecond,
		DryRun: j.DryRun, StartedAt: j.StartedAt.UTC(), FinishedAt: j.FinishedAt.UTC(), LastError: j.LastError,
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: encode drain job: %w", err)
	}
	return b, nil
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

// saveDrain is the statement that stores a tenant's drain job: $1 tenant,
// $2 the job's json. A foreign key refuses an unknown tenant.
const saveDrain = `INSERT INTO drains (tenant_id, job) VALUES ($1, $2)
	ON CONFLICT (tenant_id) DO UPDATE SET job = EXCLUDED.job`

// GetDrain returns the tenant's drain job. Returns auth.ErrNotFound.
func (s *Store) GetDrain(ctx context.Context, tenant string) (*auth.DrainJob, error) {
	if !validID(tenant) {
		return nil, auth.ErrNotFound
	}
	var b []byte
	err := s.pool.QueryRow(ctx, "SELECT job FROM drains WHERE tenant_id = $1", tenant).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("drain of tenant %q: %w", tenant, auth.ErrNotFound)
	}
	if err != nil {
		return nil, mapErr(err)
	}
	var rec drainRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("pgstore: corrupt drain job of tenant %q: %w", tenant, err)
	}
	return rec.job(), nil
}

// SaveDrain stores the tenant's drain job. Returns auth.ErrNotFound for an
// unknown tenant.
func (s *Store) SaveDrain(ctx context.Context, tenant string, job *auth.DrainJob) error {
	if !validID(tenant) {
		return auth.ErrNotFound
	}
	b, err := drainJSON(job)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, saveDrain, tenant, b)
	return mapErr(err)
}

// ImportUsers stores a drain page or an import batch in one transaction,
// with the tenant's counters and, when job is not nil, the drain job it
// returns for the outcomes. A user whose legacy id a local user holds is
// already local; one whose email or username a local user holds is a
// conflict; the others are stored and counted (as migrated, and as
// imported when marked so). Users earlier in users count as local for the
// later ones. A user stored concurrently by another writer is judged
// again after the insert finds its value taken. With dryRun only the job
// is written. Returns auth.ErrNotFound for an unknown tenant.
func (s *Store) ImportUsers(ctx context.Context, tenant string, users []*auth.User, dryRun bool, job func([]auth.ImportOutcome) *auth.DrainJob) ([]auth.ImportOutcome, error) {
	args := make([][]any, len(users))
	for i, u := range users {
		if u.Tenant != tenant || u.Source != auth.SourceLegacy || u.LegacyID == "" {
			return nil, errors.New("pgstore: an imported user must be a legacy user of the tenant")
		}
		if err := checkUser(u); err != nil {
			return nil, err
		}
		a, err := userArgs(u)
		if err != nil {
			return nil, err
		}
		args[i] = a
	}
	if !validID(tenant) {
		return nil, auth.ErrNotFound
	}
	var out []auth.ImportOutcome
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		out = make([]auth.ImportOutcome, len(users))
		// The tenant row is locked against its deletion until the commit.
		var known bool
		err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1 FOR KEY SHARE)", tenant).Scan(&known)
		if err != nil {
			return err
		}
		if !known {
			return fnError{fmt.Errorf("tenant %q: %w", tenant, auth.ErrNotFound)}
		}
		var migrated, imported int
		var last time.Time
		for i, u := range users {
			o, err := importOutcome(ctx, tx, u)
			if err != nil {
				return err
			}
			if o.Status == auth.ImportStored && !dryRun {
				tag, err := tx.Exec(ctx, "INSERT INTO users (tenant_id, "+userColumns+") VALUES ("+userValues+") ON CONFLICT DO NOTHING", args[i]...)
				if err != nil {
					return err
				}
				if tag.RowsAffected() == 0 {
					// Another writer committed a holder since the lookup.
					if o, err = importOutcome(ctx, tx, u); err != nil {
						return err
					}
					if o.Status == auth.ImportStored {
						return fnError{fmt.Errorf("pgstore: user id %q exists in tenant %q", u.ID, tenant)}
					}
				} else {
					migrated++
					imported += countImported(u.Imported)
					if u.MigratedAt.After(last) {
						last = u.MigratedAt
					}
				}
			}
			out[i] = o
		}
		if migrated > 0 {
			_, err := tx.Exec(ctx, addStats(`VALUES ($1, $2, $3, 0, $4::bigint, 0, 0, 0, 0, 0, $5)`),
				tenant, shard(), migrated, nanos(last), imported)
			if err != nil {
				return err
			}
		}
		if job == nil {
			return nil
		}
		b, err := drainJSON(job(out))
		if err != nil {
			return fnError{err}
		}
		_, err = tx.Exec(ctx, saveDrain, tenant, b)
		return err
	})
	if err != nil {
		return nil, unwrapFn(err)
	}
	return out, nil
}

// importOutcome decides what ImportUsers does with u, by the users the
// transaction sees: the holder of its legacy id first, then of its email,
// then of its username.
func importOutcome(ctx context.Context, tx pgx.Tx, u *auth.User) (auth.ImportOutcome, error) {
	var (
		holder        string
		legacy, email bool
	)
	err := tx.QueryRow(ctx, `SELECT id, coalesce(legacy_id = $2, false) AS l, coalesce(email = $3, false) AS e FROM users
		WHERE tenant_id = $1 AND (legacy_id = $2 OR email = $3 OR username = $4)
		ORDER BY l DESC, e DESC LIMIT 1`,
		u.Tenant, nullText(u.LegacyID), nullText(u.Email), nullText(u.Username)).Scan(&holder, &legacy, &email)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return auth.ImportOutcome{Status: auth.ImportStored}, nil
	case err != nil:
		return auth.ImportOutcome{}, err
	case legacy:
		return auth.ImportOutcome{Status: auth.ImportAlreadyLocal, Holder: holder}, nil
	case email:
		return auth.ImportOutcome{Status: auth.ImportConflict, Holder: holder, Field: "email"}, nil
	}
	return auth.ImportOutcome{Status: auth.ImportConflict, Holder: holder, Field: "username"}, nil
}
