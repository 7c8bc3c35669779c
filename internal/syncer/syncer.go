// Package syncer runs the sync loop: for each source, on its schedule, on
// start-up, on demand and on webhooks, it fetches the source, maps the
// snapshot, keeps the last good entities of files that fail, diffs against
// what is published, applies the mass-deletion guard and commits the result
// to the store in one transaction. A run is a chain of small steps (fetch,
// map, plan, guard, commit, publish; steps.go), each of which says how the
// run goes on or why it failed (a store.ReasonCode and the reason in
// words); its outcome is recorded once, in the commit's transaction for a
// run that publishes, else when the chain ends (runner.reconcile).
package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/store"
)

// Source is one configured source with its schedule.
type Source struct {
	Source source.Source
	// Interval between scheduled runs.
	Interval time.Duration
	// Timeout bounds one run.
	Timeout time.Duration
	// InitialDelay waits before the start-up run.
	InitialDelay time.Duration
	// Repo and Branch identify the repository for webhooks
	// ("owner/repo" for GitHub; empty disables webhook triggers).
	Repo, Branch string
	// Kinds is the source's allow list of entity kinds; the zero value
	// leaves Options.Mapping's.
	Kinds mapping.KindRules
}

// Store is what the syncer asks of the store: what a run reads to plan
// and writes, the sync lock, and pruning the history after a run.
type Store interface {
	store.Writer
	store.Locker
	store.Pruner
}

// Options configure a Syncer.
type Options struct {
	Store   Store
	Sources []Source
	Mapping mapping.Options
	// MaxDeletionRatio is the share of a source's entities one run may
	// remove; past it the run fails. AllowMassDeletion disables the guard.
	MaxDeletionRatio  float64
	AllowMassDeletion bool
	// KeepRuns and KeepGenerations bound history (store.Prune).
	KeepRuns        int
	KeepGenerations int64
	// BackoffBase and BackoffMax bound the retry delay after failures.
	BackoffBase, BackoffMax time.Duration
	Log                     *slog.Logger
	Metrics                 *Metrics
	// Published is called after a run that published a new generation,
	// to tell consumers (the Backstage provider) right away.
	Published func(store.Run)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Syncer syncs sources into the store.
type Syncer struct {
	opts    Options
	sources map[string]*sourceState
	order   []string
	// started is when this process's syncer was made: a run of a source
	// still running from before then belongs to a process that ended.
	started time.Time
	// spoolWarned is set once a run logged that its entity spool fell
	// back to memory.
	spoolWarned atomic.Bool
}

// sourceState is what the syncer keeps in memory for one source: the
// published entities' hashes and files, rebuilt from the store after a
// restart, so an unchanged entity costs no database read.
type sourceState struct {
	cfg Source

	// mu serialises runs of this source within the process.
	mu sync.Mutex
	// loaded is true once entities and files were read from the store.
	loaded bool
	// revision is the source's published revision that entities, byFile
	// and files (and previous) reflect: the status revision when they
	// were loaded, then that of each commit. Another replica that
	// publishes moves the store on; a status revision that differs tells
	// this process to read the store again.
	revision string
	Published
	// conflicted is true when the last run refused a file for an entity
	// that another source publishes.
	conflicted bool
	// previous is the last mapping result, so unchanged files are not
	// decoded again.
	previous atomic.Pointer[mapping.Result]
	// links are the Links of the last snapshot fetched (nil inside when
	// the source has no web view), for the status API; nil before the
	// first fetch of this process.
	links atomic.Pointer[source.Links]

	// trigger wakes the loop for an out-of-schedule run.
	trigger chan request
	// running is the id of the run in progress, pending that of a
	// requested run not started yet; 0 when none.
	runMu            sync.Mutex
	running, pending int64
	// unrecorded are runs that ended while the store was unavailable,
	// oldest first (at most maxUnrecorded): served from memory and
	// written once the store is back. Guarded by runMu.
	unrecorded []store.Run
}

// setRunning records the id of the run in progress, 0 when none.
func (st *sourceState) setRunning(id int64) {
	st.runMu.Lock()
	st.running = id
	st.runMu.Unlock()
}

// setPending records the id of a requested run not started yet, 0 when
// none.
func (st *sourceState) setPending(id int64) {
	st.runMu.Lock()
	st.pending = id
	st.runMu.Unlock()
}

// maxUnrecorded bounds the runs kept in memory during a store outage;
// older ones are dropped (a very long outage under-counts its failures).
const maxUnrecorded = 100

// request is an out-of-schedule run, with the id of its run row when it
// was created ahead (so the caller can follow it).
type request struct {
	trigger store.Trigger
	runID   int64
}

// New checks options and returns a Syncer; Run starts it.
func New(opts Options) (*Syncer, error) {
	if opts.Store == nil {
		return nil, errors.New("syncer: a store is required")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxDeletionRatio == 0 {
		opts.MaxDeletionRatio = DefaultMaxDeletionRatio
	}
	if opts.BackoffBase == 0 {
		opts.BackoffBase = 5 * time.Second
	}
	if opts.BackoffMax == 0 {
		opts.BackoffMax = 5 * time.Minute
	}
	if opts.KeepRuns == 0 {
		opts.KeepRuns = 500
	}
	if opts.KeepGenerations == 0 {
		opts.KeepGenerations = 1000
	}
	s := &Syncer{opts: opts, sources: map[string]*sourceState{}, started: opts.Now()}
	for _, src := range opts.Sources {
		id := src.Source.ID()
		if _, dup := s.sources[id]; dup {
			return nil, fmt.Errorf("syncer: source %q configured twice", id)
		}
		if src.Interval <= 0 {
			src.Interval = 5 * time.Minute
		}
		if src.Timeout <= 0 {
			src.Timeout = min(src.Interval, 10*time.Minute)
		}
		s.sources[id] = &sourceState{cfg: src, trigger: make(chan request, 1)}
		s.order = append(s.order, id)
	}
	return s, nil
}

// Topology returns the Kafka topology of every source's last published
// mapping, merged, and which system each service belongs to (for the
// topology's system filter). It is rebuilt from the source at each
// process's first run, so replicas that never sync have an empty one.
func (s *Syncer) Topology(context.Context) (*kafka.Topology, map[string]string, error) {
	var fragments []*kafka.Topology
	systems := map[string]string{}
	for _, id := range s.order {
		st := s.sources[id]
		prev := st.previous.Load()
		if prev == nil {
			continue
		}
		if prev.Topology != nil {
			fragments = append(fragments, prev.Topology)
		}
		for _, e := range prev.Entities() {
			if !strings.EqualFold(e.Ref.Kind, "component") {
				continue
			}
			if system := e.System(); system != "" {
				systems[e.Ref.Name] = system
			}
		}
	}
	topo, _ := kafka.Merge(fragments...)
	return topo, systems, nil
}

// Unread lists the sources (in config order) whose files this process
// has not mapped yet, so whose part of Topology is still missing: before
// their first successful run, and forever on a replica that never holds
// their sync lock.
func (s *Syncer) Unread() []string {
	var out []string
	for _, id := range s.order {
		if s.sources[id].previous.Load() == nil {
			out = append(out, id)
		}
	}
	return out
}

// SourceIDs lists the configured sources in config order.
func (s *Syncer) SourceIDs() []string { return s.order }

// Interval returns a source's schedule interval.
func (s *Syncer) Interval(id string) time.Duration {
	if st, ok := s.sources[id]; ok {
		return st.cfg.Interval
	}
	return 0
}

// Links returns the browser links of the last snapshot fetched from a
// source, or nil when the source is unknown, has not been fetched by this
// process yet, or has no web view. It is safe for concurrent use.
func (s *Syncer) Links(id string) source.Links {
	st, ok := s.sources[id]
	if !ok {
		return nil
	}
	if l := st.links.Load(); l != nil {
		return *l
	}
	return nil
}

// Running returns the id of a source's run in progress, or 0.
func (s *Syncer) Running(id string) int64 {
	st, ok := s.sources[id]
	if !ok {
		return 0
	}
	st.runMu.Lock()
	defer st.runMu.Unlock()
	return st.running
}

// Unrecorded returns a copy of the runs of a source that ended while the
// store was unavailable and are not recorded yet, oldest first; none when
// the store is healthy. The status API serves them during an outage.
func (s *Syncer) Unrecorded(id string) []store.Run {
	st, ok := s.sources[id]
	if !ok {
		return nil
	}
	st.runMu.Lock()
	defer st.runMu.Unlock()
	return slices.Clone(st.unrecorded)
}

// TriggerRun asks for a run of a source now and returns the id of the run
// that will do it, without waiting for it. Runs of a source never overlap;
// a request while one is already waiting returns the waiting run's id. A
// request during a run queues one more run, because that run may have
// fetched before the change that prompted the request.
func (s *Syncer) TriggerRun(ctx context.Context, id string, t store.Trigger) (int64, error) {
	st, ok := s.sources[id]
	if !ok {
		return 0, fmt.Errorf("%w %q", source.ErrUnknownSource, id)
	}
	st.runMu.Lock()
	defer st.runMu.Unlock()
	if st.pending != 0 {
		return st.pending, nil
	}
	runID, err := s.opts.Store.StartRun(ctx, store.Run{SourceID: id, Trigger: t, StartedAt: s.opts.Now(), Outcome: store.Running})
	if err != nil {
		return 0, err
	}
	st.pending = runID
	st.trigger <- request{trigger: t, runID: runID}
	return runID, nil
}

// SourcesForPush returns the sources that track a repository's branch,
// for webhook triggers.
func (s *Syncer) SourcesForPush(repo, branch string) []string {
	var ids []string
	for _, id := range s.order {
		c := s.sources[id].cfg
		if c.Repo != "" && strings.EqualFold(c.Repo, repo) && c.Branch == branch {
			ids = append(ids, id)
		}
	}
	return ids
}

// Run runs every source's loop until ctx ends, then waits for running
// syncs to finish or be cancelled.
func (s *Syncer) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, id := range s.order {
		st := s.sources[id]
		wg.Go(func() { s.loop(ctx, st) })
	}
	wg.Wait()
}

// loop runs one source: at start-up (after InitialDelay), then every
// Interval with ±10% jitter, sooner after a trigger, and after failures
// with exponential backoff.
func (s *Syncer) loop(ctx context.Context, st *sourceState) {
	req := request{trigger: store.TriggerStartup}
	wait := st.cfg.InitialDelay
	for {
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case req = <-st.trigger:
			timer.Stop()
		case <-timer.C:
		}
		_, wait = s.sync(ctx, st, req)
		req = request{trigger: store.TriggerSchedule}
	}
}

// nextWait is the delay until the next scheduled run: the interval after
// a good run, exponential backoff (never longer than the interval) after
// consecutive failures.
func (s *Syncer) nextWait(st *sourceState, failures int) time.Duration {
	if failures == 0 {
		return jitter(st.cfg.Interval)
	}
	return min(jitter(Backoff(s.opts.BackoffBase, s.opts.BackoffMax, failures)), st.cfg.Interval)
}

// Backoff is the delay after n consecutive failures: base doubling per
// failure, capped at max.
func Backoff(base, maxDelay time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < maxDelay; i++ {
		d *= 2
	}
	return min(d, maxDelay)
}

// jitter spreads d by ±10% so replicas and sources do not run in lockstep.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}
