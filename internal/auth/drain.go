package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/wasmauth/wasmauth/internal/cluster"
)

// The states of a drain job.
const (
	DrainRunning = "running"
	DrainDone    = "done"
	DrainStopped = "stopped"
	DrainFailed  = "failed"
)

// Drain defaults and bounds.
const (
	DefaultDrainPageSize = 100
	MaxDrainPageSize     = 1000
	DefaultDrainRate     = 200
	// drainAttempts is how many times a failing page is tried before the
	// job fails.
	drainAttempts = 3
)

// Audit events of the drain and the import.
const (
	EventDrainStarted  = "migration_drain_started"
	EventDrainStopped  = "migration_drain_stopped"
	EventUsersImported = "users_imported"
)

// ImportCounts counts what a drain or an import did with the users it was
// given. WithoutPassword and UnsupportedHash are parts of Imported;
// AlreadyLocal and Conflicts were not stored; Errors are users that broke
// the rules.
type ImportCounts struct {
	Imported        int64
	AlreadyLocal    int64
	Conflicts       int64
	WithoutPassword int64
	UnsupportedHash int64
	Errors          int64
}

func (c *ImportCounts) add(d ImportCounts) {
	c.Imported += d.Imported
	c.AlreadyLocal += d.AlreadyLocal
	c.Conflicts += d.Conflicts
	c.WithoutPassword += d.WithoutPassword
	c.UnsupportedHash += d.UnsupportedHash
	c.Errors += d.Errors
}

// DrainJob is a tenant's drain: its settings, progress and saved cursor.
type DrainJob struct {
	State  string
	Counts ImportCounts
	Pages  int64
	// Cursor is where the next page starts; nil for the first page.
	Cursor            *string
	PageSize          int
	MaxUsersPerSecond int // 0 is no limit
	DryRun            bool
	StartedAt         time.Time
	FinishedAt        time.Time
	LastError         string
}

// DrainOptions are a drain's settings; nil fields take the defaults
// (DefaultDrainPageSize, DefaultDrainRate, false).
type DrainOptions struct {
	PageSize          *int
	MaxUsersPerSecond *int
	DryRun            *bool
}

// ImportStatus is what the store did with one user of ImportUsers.
type ImportStatus int

// The statuses of ImportOutcome.
const (
	// ImportStored: the user was stored.
	ImportStored ImportStatus = iota + 1
	// ImportAlreadyLocal: a local user has the same legacy id; it was left as is.
	ImportAlreadyLocal
	// ImportConflict: its email or username belongs to a local user with
	// another or no legacy id; it was not stored.
	ImportConflict
)

// ImportOutcome is the store's answer for one user of ImportUsers.
type ImportOutcome struct {
	Status ImportStatus
	// Holder is the id of the local user that holds the email or username
	// of a conflict, and Field names which ("email" or "username").
	Holder, Field string
}

// DrainObserver is an Observer that also counts drain progress.
type DrainObserver interface {
	// Drained reports one committed page of a tenant's drain.
	Drained(tenant string, delta ImportCounts)
}

// drains tracks the drain jobs running in this process.
type drains struct {
	mu      sync.Mutex
	running map[string]*drainRun
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

type drainRun struct {
	stop  chan struct{} // closed by StopDrain: stop after the current page
	once  sync.Once
	lease *cluster.Lease // the job's lease: one node of a cluster runs it
}

// drainLease names the lease of a tenant's drain.
func drainLease(tenant string) string { return "drain:" + tenant }

func newDrains() *drains {
	ctx, cancel := context.WithCancel(context.Background())
	return &drains{running: map[string]*drainRun{}, ctx: ctx, cancel: cancel}
}

// close ends the running jobs where they are (their pages not yet
// committed are fetched again on resume) and waits for them.
func (d *drains) close() {
	d.cancel()
	d.wg.Wait()
}

// StartDrain starts or resumes the tenant's drain: a job that was stopped or
// failed resumes from its saved cursor, with the new settings. Returns
// CodeDrainRunning, CodeDrainUnsupported (no active module, or one without
// list_users) and CodeInvalidRequest.
func (s *Service) StartDrain(ctx context.Context, tenant string, o DrainOptions, m Meta) (*DrainJob, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	page, rate := DefaultDrainPageSize, DefaultDrainRate
	if o.PageSize != nil {
		page = *o.PageSize
	}
	if o.MaxUsersPerSecond != nil {
		rate = *o.MaxUsersPerSecond
	}
	if page < 1 || page > MaxDrainPageSize {
		return nil, Errorf(CodeInvalidRequest, "page_size must be 1..%d", MaxDrainPageSize)
	}
	if rate < 0 {
		return nil, Errorf(CodeInvalidRequest, "max_users_per_second must not be negative (0 is no limit)")
	}
	if ok, err := s.exports(ctx, t, OpListUsers); err != nil {
		return nil, err
	} else if !ok || s.scripts == nil {
		return nil, Errorf(CodeDrainUnsupported, "the active module does not export list_users")
	}
	s.drains.mu.Lock()
	defer s.drains.mu.Unlock()
	if _, ok := s.drains.running[tenant]; ok {
		return nil, Errorf(CodeDrainRunning, "a drain is running")
	}
	lease, err := s.leases.TryAcquire(ctx, drainLease(tenant))
	if err != nil {
		return nil, err
	}
	if lease == nil {
		return nil, Errorf(CodeDrainRunning, "a drain is running on another node")
	}
	started := false
	defer func() {
		if !started {
			lease.Release()
		}
	}()
	job, err := s.store.GetDrain(ctx, tenant)
	if errors.Is(err, ErrNotFound) || (err == nil && job.State == DrainDone) {
		job, err = &DrainJob{}, nil
	}
	if err != nil {
		return nil, err
	}
	job.State = DrainRunning
	job.PageSize, job.MaxUsersPerSecond = page, rate
	if o.DryRun != nil {
		job.DryRun = *o.DryRun
	}
	if job.StartedAt.IsZero() {
		job.StartedAt = s.now().UTC()
	}
	job.FinishedAt, job.LastError = time.Time{}, ""
	if err := s.store.SaveDrain(ctx, tenant, job); err != nil {
		return nil, err
	}
	s.audit(tenant, EventDrainStarted, m, tenant, map[string]any{"page_size": page, "max_users_per_second": rate, "dry_run": job.DryRun})
	s.startDrainLocked(tenant, lease)
	started = true
	return job, nil
}

// DrainStatus returns the tenant's drain job. Returns CodeNotFound when it
// never had one.
func (s *Service) DrainStatus(ctx context.Context, tenant string) (*DrainJob, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, err
	}
	job, err := s.store.GetDrain(ctx, tenant)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeNotFound, "tenant %q has no drain", tenant)
	}
	return job, err
}

// StopDrain asks the tenant's running drain to stop after its current
// page; a later StartDrain resumes it. Stopping no drain does nothing. A
// drain that another node runs is stopped through the store: its stored
// state becomes "stopped", which the runner reads before each page.
func (s *Service) StopDrain(ctx context.Context, tenant string, m Meta) error {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return err
	}
	s.drains.mu.Lock()
	run := s.drains.running[tenant]
	s.drains.mu.Unlock()
	if run != nil {
		run.once.Do(func() { close(run.stop) })
		s.audit(tenant, EventDrainStopped, m, tenant, nil)
		return nil
	}
	stopped, err := s.stopRemoteDrain(ctx, tenant)
	if stopped {
		s.audit(tenant, EventDrainStopped, m, tenant, nil)
	}
	return err
}

// remoteStopWait bounds how long StopDrain waits for another node's drain
// to stop.
const remoteStopWait = 10 * time.Second

// stopRemoteDrain marks a running job that this node does not run as
// stopped, and reports whether there was one. The node running it may
// overwrite the mark with the page it commits meanwhile, so the mark is
// written again until that node lets the job's lease go (or
// remoteStopWait passes).
func (s *Service) stopRemoteDrain(ctx context.Context, tenant string) (bool, error) {
	deadline := time.Now().Add(remoteStopWait)
	marked := false
	for {
		job, err := s.store.GetDrain(ctx, tenant)
		if errors.Is(err, ErrNotFound) {
			return marked, nil
		}
		if err != nil {
			return marked, err
		}
		if job.State != DrainRunning && !marked {
			return false, nil
		}
		lease, err := s.leases.TryAcquire(ctx, drainLease(tenant))
		if err != nil {
			return marked, err
		}
		if lease != nil || time.Now().After(deadline) {
			// Nobody runs it (any more): the mark is final.
			if job.State == DrainRunning {
				job.State, job.FinishedAt = DrainStopped, s.now().UTC()
				err = s.store.SaveDrain(ctx, tenant, job)
			}
			if lease != nil {
				lease.Release()
			}
			return true, err
		}
		if job.State == DrainRunning {
			job.State = DrainStopped
			if err := s.store.SaveDrain(ctx, tenant, job); err != nil {
				return marked, err
			}
			marked = true
		}
		select {
		case <-ctx.Done():
			return marked, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ResumeDrains restarts every drain that was running when the process
// last stopped, from its saved cursor, unless another node runs it. The
// server calls it at start and, with several nodes, now and then: a job
// whose node died is taken over.
func (s *Service) ResumeDrains(ctx context.Context) error {
	tenants, err := s.store.ListTenants(ctx)
	if err != nil {
		return err
	}
	s.drains.mu.Lock()
	defer s.drains.mu.Unlock()
	for _, t := range tenants {
		job, err := s.store.GetDrain(ctx, t.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if job.State != DrainRunning || s.drains.running[t.ID] != nil {
			continue
		}
		lease, err := s.leases.TryAcquire(ctx, drainLease(t.ID))
		if err != nil {
			return err
		}
		if lease == nil {
			continue // another node runs it
		}
		s.log.Info("resuming the migration drain", "tenant", t.ID, "pages", job.Pages)
		s.startDrainLocked(t.ID, lease)
	}
	return nil
}

// startDrainLocked runs the tenant's job in the background. The caller
// holds s.drains.mu.
func (s *Service) startDrainLocked(tenant string, lease *cluster.Lease) {
	run := &drainRun{stop: make(chan struct{}), lease: lease}
	s.drains.running[tenant] = run
	s.drains.wg.Add(1)
	go func() {
		defer s.drains.wg.Done()
		defer lease.Release()
		// The job ends where it is when the process closes or the lease is
		// lost (another node may take it over).
		ctx, cancel := context.WithCancel(s.drains.ctx)
		defer cancel()
		defer context.AfterFunc(lease.Context(), cancel)()
		s.runDrain(ctx, tenant, run)
		s.drains.mu.Lock()
		delete(s.drains.running, tenant)
		s.drains.mu.Unlock()
	}()
}

// runDrain pages through the tenant's list_users until the last page, a
// stop, a failure, or the process closing.
func (s *Service) runDrain(ctx context.Context, tenant string, run *drainRun) {
	start := time.Now()
	var users int64
	attempt := 0
	for {
		if ctx.Err() != nil {
			return // still "running": it resumes after a restart
		}
		job, t, err := s.drainState(ctx, tenant)
		if err != nil {
			if ctx.Err() == nil {
				s.endDrain(tenant, DrainFailed, err.Error())
			}
			return
		}
		if job.State != DrainRunning {
			return // done with its last page, which a stop does not undo
		}
		select {
		case <-run.stop:
			s.endDrain(tenant, DrainStopped, "")
			return
		default:
		}
		n, err := s.drainPage(ctx, t, job)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			attempt++
			if attempt >= drainAttempts {
				s.endDrain(tenant, DrainFailed, err.Error())
				return
			}
			s.log.Warn("a drain page failed; trying again", "tenant", tenant, "attempt", attempt, "err", err)
			if !sleepOrStop(ctx, run.stop, time.Duration(attempt)*time.Second) && ctx.Err() != nil {
				return
			}
			continue
		}
		attempt = 0
		users += int64(n)
		if job.MaxUsersPerSecond > 0 {
			due := time.Duration(float64(users) / float64(job.MaxUsersPerSecond) * float64(time.Second))
			sleepOrStop(ctx, run.stop, due-time.Since(start))
		}
	}
}

// sleepOrStop sleeps for d, or less when ctx ends or stop closes; it reports
// whether it slept the whole time.
func sleepOrStop(ctx context.Context, stop chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-stop:
	}
	return false
}

// drainState loads the job and its tenant.
func (s *Service) drainState(ctx context.Context, tenant string) (*DrainJob, *Tenant, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, nil, err
	}
	job, err := s.store.GetDrain(ctx, tenant)
	return job, t, err
}

// endDrain saves the job's final state.
func (s *Service) endDrain(tenant, state, lastError string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	job, err := s.store.GetDrain(ctx, tenant)
	if err != nil {
		s.log.Error("ending the migration drain", "tenant", tenant, "err", err)
		return
	}
	job.State, job.LastError = state, lastError
	job.FinishedAt = s.now().UTC()
	if err := s.store.SaveDrain(ctx, tenant, job); err != nil {
		s.log.Error("ending the migration drain", "tenant", tenant, "err", err)
	}
	if state == DrainFailed {
		s.events.Logs(tenant, []LogEntry{{Time: job.FinishedAt, Level: "error", Op: "host", Message: "the migration drain failed: " + lastError}})
	}
}

// drainPage fetches, stores and counts one page, and returns how many
// users it held.
func (s *Service) drainPage(ctx context.Context, t *Tenant, job *DrainJob) (int, error) {
	res, err := s.callScript(ctx, ScriptCall{
		Tenant: t, Version: t.ActiveScript, Op: OpListUsers,
		Cursor: job.Cursor, Limit: job.PageSize, Background: true,
	})
	if err != nil {
		return 0, err
	}
	var pre ImportCounts
	now := s.now().UTC()
	var logs []LogEntry
	for _, iu := range res.Invalid {
		pre.Errors++
		logs = append(logs, LogEntry{Time: now, Level: "warn", Op: "host", Message: fmt.Sprintf("drain: legacy user %q was not copied: %s", iu.ID, iu.Message)})
	}
	batch, err := s.importBatch(ctx, t, res.Users, now)
	if err != nil {
		return 0, err
	}
	next := res.NextCursor
	outcomes, err := s.store.ImportUsers(ctx, t.ID, batch.users, job.DryRun, func(out []ImportOutcome) *DrainJob {
		j := *job
		d := batch.count(out)
		d.add(pre)
		j.Counts.add(d)
		j.Pages++
		j.Cursor = next
		if next == nil {
			j.State = DrainDone
			j.FinishedAt = now
		}
		return &j
	})
	if err != nil {
		return 0, err
	}
	d := batch.count(outcomes)
	d.add(pre)
	logs = append(logs, batch.logs(outcomes, now, "drain")...)
	if len(logs) > 0 {
		s.events.Logs(t.ID, logs)
	}
	if o, ok := s.observe.(DrainObserver); ok {
		o.Drained(t.ID, d)
	}
	return len(res.Users) + len(res.Invalid), nil
}

// importBatch is a batch of legacy users made ready for ImportUsers.
type importBatch struct {
	users       []*User
	unsupported []bool // by index: its hash could not be verified
	hashes      []string
}

// importBatch turns legacy users into local users to store: copied as
// lazy migration copies them, each keeping a legacy hash the server or the
// active module's verify_hash can check.
func (s *Service) importBatch(ctx context.Context, t *Tenant, lus []*LegacyUser, now time.Time) (*importBatch, error) {
	b := &importBatch{}
	verifyHash := -1 // unknown yet
	for _, lu := range lus {
		hash := lu.PasswordHash
		unsupported := false
		if hash != "" && (s.scripts == nil || s.scripts.CheckLegacyHash(hash) != nil) {
			if verifyHash < 0 {
				verifyHash = 0
				if ok, err := s.exports(ctx, t, OpVerifyHash); err != nil {
					return nil, err
				} else if ok {
					verifyHash = 1
				}
			}
			unsupported = verifyHash == 0 || !s.moduleKnowsHash(ctx, t, hash)
		}
		u := &User{
			ID:            uuid.Must(uuid.NewV7()).String(),
			Tenant:        t.ID,
			Email:         NormalizeIdentifier(lu.Email),
			Username:      NormalizeIdentifier(lu.Username),
			EmailVerified: lu.EmailVerified,
			Name:          lu.Name,
			Profile:       lu.Profile,
			CreatedAt:     now,
			UpdatedAt:     now,
			Source:        SourceLegacy,
			LegacyID:      lu.ID,
			MigratedAt:    now,
			Imported:      true,
		}
		if !unsupported {
			u.LegacyHash = hash
		}
		b.users = append(b.users, u)
		b.unsupported = append(b.unsupported, unsupported)
		b.hashes = append(b.hashes, hash)
	}
	return b, nil
}

// moduleKnowsHash asks the active module's verify_hash whether it can check
// hash: a call that answers (with any "ok") knows the format, a failing one
// does not.
func (s *Service) moduleKnowsHash(ctx context.Context, t *Tenant, hash string) bool {
	_, err := s.callScript(ctx, ScriptCall{Tenant: t, Version: t.ActiveScript, Op: OpVerifyHash, PasswordHash: hash, Background: true})
	return err == nil
}

// count returns the counts of the batch's outcomes.
func (b *importBatch) count(out []ImportOutcome) ImportCounts {
	var c ImportCounts
	for i, o := range out {
		switch o.Status {
		case ImportStored:
			c.Imported++
			switch {
			case b.unsupported[i]:
				c.UnsupportedHash++
			case b.hashes[i] == "":
				c.WithoutPassword++
			}
		case ImportAlreadyLocal:
			c.AlreadyLocal++
		case ImportConflict:
			c.Conflicts++
		}
	}
	return c
}

// logs returns the tenant log lines of the batch's conflicts and
// unsupported hashes.
func (b *importBatch) logs(out []ImportOutcome, now time.Time, what string) []LogEntry {
	var logs []LogEntry
	for i, o := range out {
		u := b.users[i]
		switch {
		case o.Status == ImportConflict:
			logs = append(logs, LogEntry{Time: now, Level: "warn", Op: "host", Message: fmt.Sprintf(
				"%s: legacy user %q was not copied: its %s belongs to local user %q", what, u.LegacyID, o.Field, o.Holder)})
		case o.Status == ImportStored && b.unsupported[i]:
			logs = append(logs, LogEntry{Time: now, Level: "warn", Op: "host", Message: fmt.Sprintf(
				"%s: legacy user %q (local user %q) was copied without a password: neither the server nor the module verifies its hash", what, u.LegacyID, u.ID)})
		}
	}
	return logs
}

// exports reports whether the tenant's active module exports op.
func (s *Service) exports(ctx context.Context, t *Tenant, op string) (bool, error) {
	if t.ActiveScript == 0 {
		return false, nil
	}
	list, err := s.store.ListScripts(ctx, t.ID)
	if err != nil {
		return false, err
	}
	for _, sc := range list {
		if sc.Version == t.ActiveScript {
			return slices.Contains(sc.Exports, op), nil
		}
	}
	return false, nil
}
