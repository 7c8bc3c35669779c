package syncer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/store"
)

// ErrLocked is returned when another engine replica holds the source's
// sync lock; that replica syncs, this one serves reads.
var ErrLocked = errors.New("another engine replica is syncing this source")

// SyncOnce runs one sync of a source now and returns the recorded run.
func (s *Syncer) SyncOnce(ctx context.Context, id string, trigger store.Trigger) (store.Run, error) {
	st, ok := s.sources[id]
	if !ok {
		return store.Run{}, fmt.Errorf("%w %q", source.ErrUnknownSource, id)
	}
	run, _ := s.sync(ctx, st, request{trigger: trigger})
	// A run that could not be recorded (the store is unavailable, or
	// another replica syncs) has no id.
	if run.ID == 0 && run.ReasonCode != "" {
		if run.ReasonCode == store.ReasonLocked {
			return run, ErrLocked
		}
		return run, errors.New(run.Reason)
	}
	return run, nil
}

// sync runs one sync and returns the run and the delay until the next.
func (s *Syncer) sync(ctx context.Context, st *sourceState, req request) (store.Run, time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	id := st.cfg.Source.ID()
	// Every line logged about a run carries the source and the run id.
	log := s.opts.Log.With("source", id)
	started := s.opts.Now()

	unlock, ok, err := s.opts.Store.TryLock(ctx, id)
	if err != nil {
		return s.outage(st, req, started, err, log)
	}
	if !ok {
		return s.locked(ctx, st, req, log)
	}
	defer unlock()

	ctx, cancel := context.WithTimeout(ctx, st.cfg.Timeout)
	defer cancel()
	r := &runner{s: s, st: st, ctx: ctx, now: s.opts.Now, base: log}
	run, wait := r.do(req, started)
	log = r.log
	steps := r.steps
	s.opts.Metrics.observe(run)
	attrs := []any{"outcome", run.Outcome, "revision", run.Revision, "trigger", run.Trigger,
		"duration_ms", run.Duration().Milliseconds(), "entities", run.Counts.Entities, "locations", run.Counts.Locations, "added", run.Counts.Added,
		"changed", run.Counts.Changed, "removed", run.Counts.Removed, "file_errors", len(run.Errors)}
	attrs = append(attrs, steps...)
	switch run.Outcome {
	case store.Failed:
		log.Warn("sync failed", append(attrs, "reason", run.Reason, "reason_code", run.ReasonCode, "retry_in", wait.Round(time.Second).String())...)
	case store.Unchanged:
		log.Debug("sync unchanged", attrs...)
	default:
		log.Info("sync finished", attrs...)
	}
	return run, wait
}

// locked answers a run that finds another replica holding the source's
// lock: that replica syncs, this one serves reads. A run requested here is
// closed, not left running.
func (s *Syncer) locked(ctx context.Context, st *sourceState, req request, log *slog.Logger) (store.Run, time.Duration) {
	id := st.cfg.Source.ID()
	wait := jitter(st.cfg.Interval)
	if st.previous.Load() == nil || req.runID != 0 {
		// This process has not read the source yet (it has just started
		// next to a replica that is syncing), or the run was asked for (a
		// webhook's push may have come after the other replica fetched):
		// look again soon, not an interval later, so this one also takes
		// over within seconds if the holder dies.
		wait = s.nextWait(st, 1)
	}
	if req.runID != 0 {
		log = log.With("run", req.runID)
	}
	log.Debug("another engine replica is syncing this source; this one serves reads", "retry_in", wait.Round(time.Second).String())
	st.setPending(0)
	run := store.Run{ID: req.runID, SourceID: id, Trigger: req.trigger, StartedAt: s.opts.Now(), Outcome: store.Failed,
		Reason: ErrLocked.Error(), ReasonCode: store.ReasonLocked}
	if req.runID == 0 {
		return run, wait
	}
	run.FinishedAt = run.StartedAt
	status, err := s.opts.Store.Status(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		status, err = store.SourceStatus{SourceID: id}, nil
	}
	if err == nil {
		err = s.opts.Store.FinishRun(ctx, run, status)
	}
	if err != nil {
		s.unrecorded(st, run, err, log)
	}
	return run, wait
}

// runner holds one run's state through its steps.
type runner struct {
	s   *Syncer
	st  *sourceState
	ctx context.Context
	now func() time.Time

	run    store.Run
	status store.SourceStatus
	// wait is the delay until the next scheduled run, drawn once per run
	// (with its jitter) and both stored as the status's NextDueAt and used
	// for the timer.
	wait time.Duration

	// base logs with the source; log adds the run id, once per run, so
	// every line of the run carries both.
	base, log *slog.Logger
	// remap is set when another replica published since this process
	// last read the source: the snapshot is mapped whole, without
	// reusing the last mapping, which belongs to an older revision.
	remap bool
	// spool holds the JSON of the entities this run maps until the
	// commit; nil keeps it in memory.
	spool *mapping.Spool
	// bodies holds the published entities by file as load read them, for
	// a run whose mapping has no previous result to take the last good
	// entities of failing files from; nil otherwise.
	bodies map[string][]store.Entity

	// What the steps hand on: the snapshot fetched, its mapping, the plan
	// against what is published, and how many commits were tried.
	snap    *source.Snapshot
	res     *mapping.Result
	p       Plan
	commits int

	// steps times the run's steps for the log line (fetch_ms, map_ms...).
	steps []any
	last  time.Time
}

// mark records the time since the previous mark under name.
func (r *runner) mark(name string) {
	now := time.Now()
	if !r.last.IsZero() {
		r.steps = append(r.steps, name+"_ms", now.Sub(r.last).Milliseconds())
	}
	r.last = now
}

// abandonedReason is recorded on runs whose process ended mid-run.
const abandonedReason = "the engine process running it ended (crash, kill or shutdown) before it finished; it changed nothing"

// do prepares the run, starts it and runs its steps; it returns the run
// and the delay until the next.
func (r *runner) do(req request, started time.Time) (store.Run, time.Duration) {
	r.log = r.base.With("run", req.runID)
	if req.runID != 0 {
		// The requested run has started: a request from now on queues
		// another (also when this one fails before it gets going).
		r.st.setPending(0)
	}
	stale, err := r.prepare()
	if err != nil {
		return r.s.outage(r.st, req, started, err, r.log)
	}
	r.start(req, stale)
	defer r.st.setRunning(0)
	return r.reconcile()
}

// prepare reads the source's status and what it publishes, after
// recording the runs that ended while the store was unavailable. stale
// says another replica published since this process last read the store.
// An error means the store is unavailable: the run cannot start.
func (r *runner) prepare() (stale bool, err error) {
	st := r.st
	id := st.cfg.Source.ID()
	r.status, err = r.s.opts.Store.Status(r.ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		r.status, err = store.SourceStatus{SourceID: id}, nil
	}
	if err == nil {
		err = r.recordOutage()
	}
	if err != nil {
		return false, err
	}
	stale = st.loaded && (st.revision != r.status.Revision || len(st.entities) != r.status.EntityCount+r.status.LocationCount)
	if stale {
		// Another replica published since this process last synced the
		// source: what it keeps in memory is out of date. Read what is
		// published again, and map the snapshot whole, so the diff, the
		// guard and the Kafka topology start from the store's state.
		st.loaded = false
		r.remap = true
	}
	return stale, r.load()
}

// start closes the runs an ended process left running, and records this
// one as running (req.runID's row when it was created ahead).
func (r *runner) start(req request, stale bool) {
	r.closeAbandoned()
	r.run = store.Run{ID: req.runID, SourceID: r.st.cfg.Source.ID(), Trigger: req.trigger, StartedAt: r.now(),
		Outcome: store.Running, PreviousRevision: r.status.Revision}
	r.status.LastAttemptAt = r.run.StartedAt
	if r.run.ID == 0 {
		if runID, err := r.s.opts.Store.StartRun(r.ctx, r.run); err == nil {
			r.run.ID = runID
			r.log = r.base.With("run", runID)
		}
	}
	r.st.setRunning(r.run.ID)
	r.log.Debug("sync started", "trigger", req.trigger, "previous_revision", r.status.Revision)
	if stale {
		r.log.Debug("another engine replica published this source since this one last read it; reading the published state again",
			"published_revision", r.status.Revision)
	}
}

// closeAbandoned closes the runs left running by a process that died:
// under the lock no other process runs this source, and no run lasts
// longer than the timeout.
func (r *runner) closeAbandoned() {
	cutoff := r.now().Add(-r.st.cfg.Timeout - time.Minute)
	if r.s.started.After(cutoff) {
		cutoff = r.s.started
	}
	if n, err := r.s.opts.Store.AbandonRuns(r.ctx, r.st.cfg.Source.ID(), cutoff, abandonedReason); err != nil {
		r.log.Warn("cannot close runs left running by an ended process", "error", err)
	} else if n > 0 {
		r.log.Warn("closed runs left running by an engine process that ended", "runs", n)
	}
}

// reconcile runs the steps of a started run in order (fetch, map, plan,
// guard, commit, publish), each doing one job and saying how the run
// goes on, and records the run's outcome once. A commit that lost a claim
// to another source plans again.
func (r *runner) reconcile() (store.Run, time.Duration) {
	defer r.closeSpool()
	r.mark("start")
	next, fail := r.chain(r.fetch, r.mapSnapshot)
	for fail == nil && (next == proceed || next == replan) {
		next, fail = r.chain(r.plan, r.guard, r.commit, r.publish)
	}
	switch {
	case fail != nil:
		return r.fail(fail)
	case next == unchanged:
		return r.finish()
	}
	return r.run, r.wait
}

// spoolFellBack reports that this run's entities wait for the commit in
// memory: in the metric each time, at Warn once per process (a TMPDIR
// that cannot be written stays so), then at Debug.
func (r *runner) spoolFellBack(err error) {
	r.s.opts.Metrics.spoolFellBack(r.st.cfg.Source.ID())
	msg := "cannot spool the entities to a temporary file (TMPDIR); they wait for the commit in memory"
	if r.s.spoolWarned.CompareAndSwap(false, true) {
		r.log.Warn(msg, "error", err)
		return
	}
	r.log.Debug(msg, "error", err)
}

// releasePublished readies a mapping whose plan is now what is published for reuse
// by the next run: the JSON of the entities of the files the plan
// publishes as they are is dropped (the store holds it), so the engine
// keeps their keys, hashes and refs only.
func releasePublished(res *mapping.Result, p Plan) {
	good := make(map[string]bool, len(p.Files))
	for _, f := range p.Files {
		good[f.Path] = !f.Failed
	}
	res.Release(func(path string) bool { return good[path] })
}

// load reads the source's published entities and files from the store
// once per process, so later runs diff in memory.
func (r *runner) load() error {
	st := r.st
	// Without a previous mapping (the first run of the process, or after
	// a commit that failed) the run reads the store again: the mapping
	// needs the published entities of failing files.
	if st.loaded && st.previous.Load() != nil {
		return nil
	}
	id := st.cfg.Source.ID()
	entities, err := r.s.opts.Store.SourceEntities(r.ctx, id)
	if err != nil {
		return err
	}
	files, err := r.s.opts.Store.Files(r.ctx, id)
	if err != nil {
		return err
	}
	st.entities = make(map[string]published, len(entities))
	st.byFile = map[string][]string{}
	st.locations, st.oddHashes = 0, nil
	r.bodies = map[string][]store.Entity{}
	for _, e := range entities {
		if _, dup := st.entities[e.Key]; !dup && isLocationKey(e.Key) {
			st.locations++
		}
		// The entities of a file share one copy of its path.
		file := e.File
		if keys, ok := st.byFile[file]; ok && len(keys) > 0 {
			file = st.entities[keys[0]].file
		}
		st.set(e.Key, e.Ref, file, e.Hash)
		st.byFile[file] = append(st.byFile[file], e.Key)
		r.bodies[e.File] = append(r.bodies[e.File], e)
	}
	st.files = make(map[string]store.File, len(files))
	for _, f := range files {
		st.files[f.Path] = f
	}
	st.loaded = true
	st.revision = r.status.Revision
	return nil
}

// mappingOptions keeps each unchanged file's revision, so its entities'
// annotations (and hashes) stay the same across commits that do not touch
// it.
func (r *runner) mappingOptions(snap *source.Snapshot) mapping.Options {
	opts := r.s.opts.Mapping
	opts.SourceID = r.st.cfg.Source.ID()
	if k := r.st.cfg.Kinds; k.Allow != nil || k.Keys != nil {
		opts.Kinds = k
	}
	if !r.remap {
		opts.Previous = r.st.previous.Load()
	}
	opts.Compact = true
	opts.Spool = r.spool
	if opts.Previous == nil && r.bodies != nil {
		opts.LastGood = func(path string) []*mapping.Entity {
			var out []*mapping.Entity
			for _, e := range r.bodies[path] {
				if me, err := mapping.PublishedEntity(path, e.Body, true); err == nil {
					out = append(out, me)
				}
			}
			return out
		}
	}
	opts.FileRevision = r.st.FileRevision(snap)
	return opts
}

// fail records a run that changed nothing, with its reason. Transient
// failures (fetch, store) count toward backoff; one that needs a human (a
// guard refusal) is retried on the normal schedule.
func (r *runner) fail(f *failure) (store.Run, time.Duration) {
	r.run.Outcome = store.Failed
	r.run.Reason, r.run.ReasonCode = f.reason, f.code
	r.run.Generation = 0
	r.status.ConsecutiveFailures++
	failures := 0
	if f.transient {
		failures = r.status.ConsecutiveFailures
	}
	return r.finishWith(failures)
}

func (r *runner) finish() (store.Run, time.Duration) {
	r.status.LastSuccessAt = r.now()
	r.status.LastSuccessRevision = r.run.Revision
	r.status.ConsecutiveFailures = 0
	r.status.EntityCount, r.status.LocationCount = r.st.counts()
	return r.finishWith(0)
}

// finishWith records a run that published nothing, with the next run due
// after failures (0 for the normal interval).
func (r *runner) finishWith(failures int) (store.Run, time.Duration) {
	r.run.FinishedAt = r.now()
	r.wait = r.s.nextWait(r.st, failures)
	r.status.LastRunID = r.run.ID
	r.status.NextDueAt = r.run.FinishedAt.Add(r.wait)
	// A context already cancelled (shutdown, timeout) must not stop the
	// run from being recorded.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 10*time.Second)
	defer cancel()
	if err := r.s.opts.Store.FinishRun(ctx, r.run, r.status); err != nil {
		if n := r.s.unrecorded(r.st, r.run, err, r.log); failures > 0 {
			r.wait = r.s.nextWait(r.st, failures+n)
		}
	}
	return r.run, r.wait
}

func (r *runner) prune() {
	if err := r.s.opts.Store.Prune(r.ctx, r.s.opts.KeepRuns, r.s.opts.KeepGenerations); err != nil {
		r.log.Warn("pruning history failed", "error", err)
	}
}

func contentHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}
