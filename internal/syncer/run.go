package syncer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
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
		return store.Run{}, fmt.Errorf("%w %q", ErrUnknownSource, id)
	}
	run, _ := s.sync(ctx, st, request{trigger: trigger})
	if run.ID == 0 && run.Reason != "" {
		if run.Reason == ErrLocked.Error() {
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
	log := s.opts.Log.With("source", id)

	unlock, ok, err := s.opts.Store.TryLock(ctx, id)
	if err != nil || !ok {
		reason := ErrLocked.Error()
		wait := jitter(st.cfg.Interval)
		if err != nil {
			reason, wait = "store unavailable: "+err.Error(), s.nextWait(st, 1)
			log.Error("sync lock unavailable", "error", err)
		}
		// Another replica syncs; look again after a normal interval, so
		// this one takes over within an interval if the holder dies. A run
		// requested here is closed, not left running.
		st.runMu.Lock()
		st.pending = 0
		st.runMu.Unlock()
		if status, serr := s.opts.Store.Status(ctx, id); req.runID != 0 && serr == nil {
			now := s.opts.Now()
			_ = s.opts.Store.FinishRun(ctx, store.Run{ID: req.runID, SourceID: id, Trigger: req.trigger, StartedAt: now, FinishedAt: now,
				Outcome: store.Failed, Reason: reason}, status)
		}
		return store.Run{Reason: reason}, wait
	}
	defer unlock()

	ctx, cancel := context.WithTimeout(ctx, st.cfg.Timeout)
	defer cancel()
	r := &runner{s: s, st: st, ctx: ctx, now: s.opts.Now}
	run, failures := r.do(req)
	wait := s.nextWait(st, failures)
	s.opts.Metrics.observe(run)
	attrs := []any{"run", run.ID, "outcome", run.Outcome, "revision", run.Revision, "trigger", run.Trigger,
		"duration_ms", run.Duration().Milliseconds(), "entities", run.Counts.Entities, "added", run.Counts.Added,
		"changed", run.Counts.Changed, "removed", run.Counts.Removed, "file_errors", len(run.Errors)}
	switch run.Outcome {
	case store.Failed:
		log.Warn("sync failed", append(attrs, "reason", run.Reason, "retry_in", wait.Round(time.Second).String())...)
	case store.Unchanged:
		log.Debug("sync unchanged", attrs...)
	default:
		log.Info("sync finished", attrs...)
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
}

// do runs the steps and records the outcome once; it returns the run and
// the consecutive failures after it.
func (r *runner) do(req request) (store.Run, int) {
	id := r.st.cfg.Source.ID()
	trigger := req.trigger
	st := r.st
	var err error
	r.status, err = r.s.opts.Store.Status(r.ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		r.status, err = store.SourceStatus{SourceID: id}, nil
	}
	if err != nil {
		return store.Run{SourceID: id, Trigger: trigger, Outcome: store.Failed, Reason: "store unavailable: " + err.Error()}, 1
	}
	if err := r.load(); err != nil {
		return store.Run{SourceID: id, Trigger: trigger, Outcome: store.Failed, Reason: "store unavailable: " + err.Error()}, r.status.ConsecutiveFailures + 1
	}
	r.run = store.Run{ID: req.runID, SourceID: id, Trigger: trigger, StartedAt: r.now(), Outcome: store.Running, PreviousRevision: r.status.Revision}
	r.status.LastAttemptAt = r.run.StartedAt
	if r.run.ID == 0 {
		if runID, err := r.s.opts.Store.StartRun(r.ctx, r.run); err == nil {
			r.run.ID = runID
		}
	}
	st.runMu.Lock()
	st.running = r.run.ID
	if req.runID != 0 {
		st.pending = 0
	}
	st.runMu.Unlock()
	defer func() {
		st.runMu.Lock()
		st.running = 0
		st.runMu.Unlock()
	}()

	snap, err := st.cfg.Source.Fetch(r.ctx, r.status.Revision)
	if err != nil {
		return r.fail("fetch failed: "+err.Error(), true)
	}
	r.run.Revision = snap.Revision
	size := 0
	for _, f := range snap.Files {
		size += len(f.Content)
	}
	r.s.opts.Metrics.fetched(id, size)
	if snap.Unchanged {
		r.run.Outcome = store.Unchanged
		r.run.Counts = store.Counts{Entities: len(st.entities), Unchanged: len(st.entities), Files: len(st.files)}
		return r.finish()
	}
	res := mapping.Map(snap, r.mappingOptions(snap))
	st.previous = res
	next := r.merge(snap, res)
	upserts, removals := r.diff(next)
	if reason := r.guard(len(removals)); reason != "" {
		return r.fail(reason, false)
	}
	return r.commit(next, upserts, removals)
}

// load reads the source's published entities and files from the store
// once per process, so later runs diff in memory.
func (r *runner) load() error {
	st := r.st
	if st.loaded {
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
	for _, e := range entities {
		st.entities[e.Key] = published{ref: e.Ref, file: e.File, hash: e.Hash}
	}
	st.files = make(map[string]store.File, len(files))
	for _, f := range files {
		st.files[f.Path] = f
	}
	st.loaded = true
	return nil
}

// mappingOptions keeps each unchanged file's revision, so its entities'
// annotations (and hashes) stay the same across commits that do not touch
// it.
func (r *runner) mappingOptions(snap *source.Snapshot) mapping.Options {
	opts := r.s.opts.Mapping
	opts.SourceID = r.st.cfg.Source.ID()
	opts.Previous = r.st.previous
	opts.Compact = true
	hashes := make(map[string]string, len(snap.Files))
	for _, f := range snap.Files {
		hashes[f.Path] = contentHash(f.Content)
	}
	files := r.st.files
	opts.FileRevision = func(p string) string {
		if old, ok := files[p]; ok && !old.Failed && old.Hash == hashes[p] {
			return old.Revision
		}
		return snap.Revision
	}
	return opts
}

// candidate is an entity of the next published set.
type candidate struct {
	key, ref, file, hash string
	entity               *mapping.Entity
}

// next is the entity set and file states a run would publish.
type next struct {
	entities map[string]candidate
	// kept lists the entities of failed files kept from their last good
	// revision; they are neither upserted nor removed.
	kept  map[string]published
	files []store.File
}

// merge builds the next published set: entities of good files, and for a
// file with errors the entities of its last good revision.
func (r *runner) merge(snap *source.Snapshot, res *mapping.Result) next {
	n := next{entities: map[string]candidate{}, kept: map[string]published{}}
	content := make(map[string][]byte, len(snap.Files))
	for _, f := range snap.Files {
		content[f.Path] = f.Content
	}
	failed := map[string]bool{}
	for _, p := range snap.Problems {
		failed[p.Path] = true
	}
	byFile := map[string][]string{}
	for key, e := range r.st.entities {
		byFile[e.file] = append(byFile[e.file], key)
	}
	keep := func(p string) {
		old, ok := r.st.files[p]
		if !ok || old.Revision == "" {
			n.files = append(n.files, store.File{Path: p, Failed: true})
			return
		}
		n.files = append(n.files, store.File{Path: p, Hash: old.Hash, Revision: old.Revision, Failed: true})
		for _, key := range byFile[p] {
			n.kept[key] = r.st.entities[key]
		}
	}
	for _, f := range res.Files {
		if f.Failed {
			keep(f.Path)
			continue
		}
		hash := contentHash(content[f.Path])
		rev := snap.Revision
		if old, ok := r.st.files[f.Path]; ok && !old.Failed && old.Hash == hash {
			rev = old.Revision
		}
		n.files = append(n.files, store.File{Path: f.Path, Hash: hash, Revision: rev})
		for _, e := range f.Entities {
			key := e.Ref.Key()
			n.entities[key] = candidate{key: key, ref: e.Ref.String(), file: f.Path, hash: e.Hash(), entity: e}
		}
	}
	for p := range failed {
		keep(p)
	}
	slices.SortFunc(n.files, func(a, b store.File) int { return strings.Compare(a.Path, b.Path) })
	r.run.Counts.Files = len(n.files)
	for _, d := range res.Diagnostics {
		r.run.Errors = append(r.run.Errors, store.FileError{File: d.File, Line: d.Line, Column: d.Column,
			Severity: string(d.Severity), Code: d.Code, Message: d.Message})
	}
	if res.Diagnostics.HasErrors() {
		r.run.Outcome = store.Degraded
	} else {
		r.run.Outcome = store.Succeeded
	}
	return n
}

// diff compares the next set with what is published.
func (r *runner) diff(n next) ([]candidate, []store.Removal) {
	var upserts []candidate
	var removals []store.Removal
	c := &r.run.Counts
	for key, e := range n.entities {
		old, ok := r.st.entities[key]
		switch {
		case !ok:
			c.Added++
			upserts = append(upserts, e)
		case old.hash != e.hash || old.file != e.file:
			c.Changed++
			upserts = append(upserts, e)
		default:
			c.Unchanged++
		}
	}
	for key, old := range r.st.entities {
		if _, ok := n.entities[key]; ok {
			continue
		}
		if _, ok := n.kept[key]; ok {
			c.Unchanged++
			continue
		}
		c.Removed++
		removals = append(removals, store.Removal{SourceID: r.st.cfg.Source.ID(), Key: key, Ref: old.ref})
	}
	c.Entities = len(n.entities) + len(n.kept)
	slices.SortFunc(upserts, func(a, b candidate) int { return strings.Compare(a.key, b.key) })
	slices.SortFunc(removals, func(a, b store.Removal) int { return strings.Compare(a.Key, b.Key) })
	return upserts, removals
}

// guard refuses a run that removes more than the allowed share of the
// source's entities: a deleted folder or a wrong branch must not empty the
// catalog. It returns the reason, or "".
func (r *runner) guard(removed int) string {
	total := len(r.st.entities)
	if r.s.opts.AllowMassDeletion || total == 0 || removed == 0 {
		return ""
	}
	ratio := float64(removed) / float64(total)
	if ratio <= r.s.opts.MaxDeletionRatio {
		return ""
	}
	return fmt.Sprintf("refused: this revision would remove %d of %d entities (%.0f%%), more than the allowed %.0f%% "+
		"(centralConfig.guard.maxDeletionRatio); a deleted folder or a wrong branch? Set centralConfig.guard.allowMassDeletion "+
		"to accept it, or push a revision that brings them back", removed, total, ratio*100, r.s.opts.MaxDeletionRatio*100)
}

// commit writes the run in one transaction and updates memory.
func (r *runner) commit(n next, upserts []candidate, removals []store.Removal) (store.Run, int) {
	id := r.st.cfg.Source.ID()
	r.run.FinishedAt = r.now()
	r.status.Revision = r.run.Revision
	r.status.LastSuccessAt = r.run.FinishedAt
	r.status.LastSuccessRevision = r.run.Revision
	r.status.ConsecutiveFailures = 0
	r.status.EntityCount = r.run.Counts.Entities
	r.status.LastRunID = r.run.ID
	r.status.NextDueAt = r.run.FinishedAt.Add(r.s.nextWait(r.st, 0))
	c := store.Commit{SourceID: id, Files: n.files, Run: r.run, Status: r.status, Removals: removals}
	for _, e := range upserts {
		c.Upserts = append(c.Upserts, store.Entity{SourceID: id, Key: e.key, Ref: e.ref, File: e.file, Hash: e.hash, Body: e.entity.JSON()})
	}
	gen, err := r.s.opts.Store.Commit(r.ctx, c)
	if err != nil {
		// Memory is untouched: the next run diffs against what the store
		// really holds.
		return r.fail("store commit failed: "+err.Error(), true)
	}
	r.run.Generation = gen
	if len(upserts)+len(removals) > 0 && r.s.opts.Published != nil {
		r.s.opts.Published(r.run)
	}
	st := r.st
	for _, e := range upserts {
		st.entities[e.key] = published{ref: e.ref, file: e.file, hash: e.hash}
	}
	for _, rm := range removals {
		delete(st.entities, rm.Key)
	}
	st.files = make(map[string]store.File, len(n.files))
	for _, f := range n.files {
		st.files[f.Path] = f
	}
	r.prune()
	return r.run, 0
}

// fail records a run that changed nothing. Transient failures (fetch,
// store) count toward backoff; a guard refusal needs a human, so it is
// retried on the normal schedule.
func (r *runner) fail(reason string, transient bool) (store.Run, int) {
	r.run.Outcome = store.Failed
	r.run.Reason = reason
	r.run.Generation = 0
	r.status.ConsecutiveFailures++
	failures := 0
	if transient {
		failures = r.status.ConsecutiveFailures
	}
	return r.finishWith(failures)
}

func (r *runner) finish() (store.Run, int) {
	r.status.LastSuccessAt = r.now()
	r.status.LastSuccessRevision = r.run.Revision
	r.status.ConsecutiveFailures = 0
	r.status.EntityCount = len(r.st.entities)
	return r.finishWith(0)
}

func (r *runner) finishWith(failures int) (store.Run, int) {
	r.run.FinishedAt = r.now()
	r.status.LastRunID = r.run.ID
	r.status.NextDueAt = r.run.FinishedAt.Add(r.s.nextWait(r.st, failures))
	// A context already cancelled (shutdown, timeout) must not stop the
	// run from being recorded.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 10*time.Second)
	defer cancel()
	if err := r.s.opts.Store.FinishRun(ctx, r.run, r.status); err != nil {
		r.s.opts.Log.Error("cannot record sync run", "source", r.run.SourceID, "error", err)
	}
	return r.run, failures
}

func (r *runner) prune() {
	if err := r.s.opts.Store.Prune(r.ctx, r.s.opts.KeepRuns, r.s.opts.KeepGenerations); err != nil {
		r.s.opts.Log.Warn("pruning history failed", "error", err)
	}
}

func contentHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}
