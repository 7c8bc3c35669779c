package syncer

import (
	"context"
	"errors"
	"time"

	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/store"
)

// The steps of a run. Each does one job, hands what it made on through
// the runner, and says how the run goes on: the next step, planning
// again, or an end (nothing to publish, or done). A step that fails
// returns why, and the run records it once (runner.reconcile).

// next is how a step says the run goes on.
type next int

const (
	// proceed: the next step runs.
	proceed next = iota
	// replan: the commit lost a claim to another source; plan again.
	replan
	// unchanged: nothing to publish; the run ends as unchanged.
	unchanged
	// done: the commit is durable and memory follows it.
	done
)

// failure is why a step failed the run: a reason code, the reason in
// words, and whether it is transient (retried with backoff) or needs a
// human (retried on the normal schedule).
type failure struct {
	code      store.ReasonCode
	reason    string
	transient bool
}

// step is one step of a run.
type step func() (next, *failure)

// chain runs steps in order until one fails or does not proceed.
func (r *runner) chain(steps ...step) (next, *failure) {
	for _, s := range steps {
		if n, f := s(); f != nil || n != proceed {
			return n, f
		}
	}
	return proceed, nil
}

// causeOf is the reason code of a step that failed: the run's timeout or
// the engine stopping when either ended the run's context (whatever the
// step made of that), else the step's own code. The run's context says
// so, not the step's error: a network or HTTP client timeout inside the
// step (a git server, GitHub's token API) is also
// context.DeadlineExceeded, and is the step's failure.
func causeOf(ctx context.Context, code store.ReasonCode) store.ReasonCode {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return store.ReasonTimeout
	case errors.Is(ctx.Err(), context.Canceled):
		return store.ReasonCanceled
	}
	return code
}

// fetch reads the source once per run, so the run's revision is that of
// the entities it maps. A process that has not mapped the source yet (or
// must map it whole, see remap) asks for the whole snapshot even at the
// published revision, to rebuild what lives only in memory (the reuse
// cache, the Kafka topology); it writes nothing if nothing differs. A
// file refused for an entity another source publishes is looked at again
// at every run, changed or not: the other source may drop it.
func (r *runner) fetch() (next, *failure) {
	st := r.st
	since := r.status.Revision
	if st.previous.Load() == nil || r.remap || st.conflicted {
		since = ""
	}
	snap, err := st.cfg.Source.Fetch(r.ctx, since)
	r.mark("fetch")
	if err != nil {
		return 0, &failure{code: causeOf(r.ctx, store.ReasonFetchFailed), reason: "fetch failed: " + err.Error(), transient: true}
	}
	r.snap = snap
	r.run.Revision = snap.Revision
	links := snap.Links
	st.links.Store(&links)
	size := 0
	for _, f := range snap.Files {
		size += len(f.Content)
	}
	r.s.opts.Metrics.fetched(st.cfg.Source.ID(), size)
	r.log.Debug("source fetched", "revision", snap.Revision, "unchanged", snap.Unchanged, "files", len(snap.Files), "bytes", size)
	if snap.Unchanged {
		r.run.Outcome = store.Unchanged
		entities, locations := st.counts()
		r.run.Counts = store.Counts{Entities: entities, Locations: locations, Unchanged: len(st.entities), Files: len(st.files)}
		return unchanged, nil
	}
	return proceed, nil
}

// mapSnapshot maps the snapshot to entities. Their JSON waits for the
// commit in a file, not the heap; if no file can be made or written, it
// waits in memory.
func (r *runner) mapSnapshot() (next, *failure) {
	if spool, err := mapping.NewSpool(""); err == nil {
		r.spool = spool
	} else {
		r.spoolFellBack(err)
	}
	r.res = mapping.Map(r.snap, r.mappingOptions(r.snap))
	if r.spool != nil {
		if err := r.spool.Broken(); err != nil {
			r.spoolFellBack(err)
		}
	}
	r.mark("map")
	r.log.Debug("snapshot mapped", "revision", r.snap.Revision, "files", len(r.res.Files), "problems", len(r.res.Diagnostics))
	return proceed, nil
}

// closeSpool removes the run's spool file, if it made one.
func (r *runner) closeSpool() {
	if r.spool != nil {
		_ = r.spool.Close()
	}
}

// plan plans the run against what the source publishes, after looking up
// which entities other sources publish first, and records the counts, the
// diagnostics and the outcome on the run. A plan that changes nothing at
// the published revision ends the run as unchanged.
func (r *runner) plan() (next, *failure) {
	owners, err := r.owners(r.res)
	if err != nil {
		return 0, r.storeFailure("store unavailable", err)
	}
	p := r.st.Plan(r.st.cfg.Source.ID(), r.snap, r.res, owners)
	r.p = p
	r.run.Counts, r.run.Errors = p.Counts, nil
	for _, d := range p.Diagnostics {
		r.run.Errors = append(r.run.Errors, store.FileError{File: d.File, Line: d.Line, Column: d.Column,
			Severity: string(d.Severity), Code: d.Code, Message: d.Message})
	}
	r.run.Outcome = store.Succeeded
	if p.Diagnostics.HasErrors() {
		r.run.Outcome = store.Degraded
	}
	r.st.conflicted = p.Conflicted
	r.mark("diff")
	if r.snap.Revision == r.status.Revision && len(p.Upserts)+len(p.Removals) == 0 && r.run.Outcome == store.Succeeded {
		releasePublished(r.res, p)
		r.st.previous.Store(r.res)
		r.run.Outcome = store.Unchanged
		return unchanged, nil
	}
	return proceed, nil
}

// guard refuses a run that removes more than the allowed share of the
// source's entities: a deleted folder or a wrong branch must not empty
// the catalog. The refusal needs a human, not a retry.
func (r *runner) guard() (next, *failure) {
	g := Guard{MaxDeletionRatio: r.s.opts.MaxDeletionRatio, AllowMassDeletion: r.s.opts.AllowMassDeletion}
	if reason := g.Refusal(len(r.p.Removals), r.st.Len()); reason != "" {
		return 0, &failure{code: store.ReasonGuardRefused, reason: reason}
	}
	return proceed, nil
}

// maxCommits bounds the commits of one run that lose a claim to another
// source before the run fails.
const maxCommits = 3

// commit writes the run in one transaction. The status it writes is
// adopted only once the commit is durable: a failed commit leaves the
// revision, the last success and the failure count as they were (memory
// too), so the run is recorded as failed and the next one retries the
// revision. Another source may publish an entity this run claims between
// the plan and the commit; the commit refuses it in its transaction, and
// the run plans again with the new owner.
func (r *runner) commit() (next, *failure) {
	id := r.st.cfg.Source.ID()
	r.commits++
	r.run.FinishedAt = r.now()
	wait := r.s.nextWait(r.st, 0)
	status := r.status
	status.Revision = r.run.Revision
	status.LastSuccessAt = r.run.FinishedAt
	status.LastSuccessRevision = r.run.Revision
	status.ConsecutiveFailures = 0
	status.EntityCount = r.run.Counts.Entities
	status.LocationCount = r.run.Counts.Locations
	status.LastRunID = r.run.ID
	status.NextDueAt = r.run.FinishedAt.Add(wait)
	p := r.p
	// The store reads each body as it writes it (from the spool), and
	// the run's end once everything is written.
	var end time.Time
	c := store.Commit{SourceID: id, Files: p.Files, Run: r.run, Status: status, Removals: p.Removals,
		Body: func(i int) ([]byte, error) { return p.Upserts[i].Entity.ReadJSON() },
		Now:  func() time.Time { end = r.now(); return end }}
	for _, e := range p.Upserts {
		c.Upserts = append(c.Upserts, store.Entity{SourceID: id, Key: e.Key, Ref: e.Ref, File: e.File, Hash: e.Hash})
		if _, ours := r.st.entities[e.Key]; !ours {
			c.Claims = append(c.Claims, e.Key)
		}
	}
	gen, err := r.s.opts.Store.Commit(r.ctx, c)
	r.mark("commit")
	var conflict *store.ConflictError
	if errors.As(err, &conflict) && r.commits < maxCommits {
		r.log.Debug("another source published an entity this run claims; planning again", "entities", len(conflict.Owners))
		return replan, nil
	}
	if err != nil {
		return 0, r.storeFailure("store commit failed", err)
	}
	if !end.IsZero() {
		r.run, status = store.Finished(r.run, status, end)
	}
	r.status, r.wait = status, wait
	r.run.Generation = gen
	return proceed, nil
}

// publish makes the committed plan what this process keeps in memory,
// tells consumers of a new generation, and prunes history.
func (r *runner) publish() (next, *failure) {
	st := r.st
	if len(r.p.Upserts)+len(r.p.Removals) > 0 && r.s.opts.Published != nil {
		r.s.opts.Published(r.run)
	}
	st.Apply(r.p)
	st.revision = r.run.Revision
	releasePublished(r.res, r.p)
	st.previous.Store(r.res)
	r.prune()
	return done, nil
}
