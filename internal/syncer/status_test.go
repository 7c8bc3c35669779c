package syncer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/store"
)

// faultyStore is a real store whose Commit fails while commitFails is
// set, as a commit that times out or loses its connection does.
type faultyStore struct {
	store.Store
	commitFails atomic.Bool
}

var errInjected = errors.New("injected: connection lost during commit")

func (f *faultyStore) Commit(ctx context.Context, c store.Commit) (int64, error) {
	if f.commitFails.Load() {
		return 0, errInjected
	}
	return f.Store.Commit(ctx, c)
}

// TestAFailedCommitLeavesTheStatusAtTheLastPublishedRevision: commits
// that fail are failed runs that count as failures and move neither the
// published revision nor the last success; the next run retries the
// revision and publishes it, instead of calling it unchanged.
func TestAFailedCommitLeavesTheStatusAtTheLastPublishedRevision(t *testing.T) {
	e := newEngine(t, nil)
	faulty := &faultyStore{Store: e.store}
	e.sy = newSyncer(t, faulty, e.repo.URL, t.TempDir(), nil)
	first := e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a")})
	e.sync(store.Succeeded)
	good, err := e.store.Status(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}

	second := e.repo.Commit("main", map[string]string{"svc.yaml": services("a", "b")})
	faulty.commitFails.Store(true)
	for i := 1; i <= 2; i++ {
		run := e.sync(store.Failed)
		status, err := e.store.Status(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		if status.Revision != first || status.LastSuccessRevision != first || !status.LastSuccessAt.Equal(good.LastSuccessAt) ||
			status.ConsecutiveFailures != i || status.EntityCount != good.EntityCount || status.LastRunID != run.ID {
			t.Fatalf("after %d failed commits the status must stay at %s with %d failures: %+v", i, first[:7], i, status)
		}
		if run.Revision != second || run.Generation != 0 {
			t.Fatalf("the failed run names the revision it tried and published nothing: %+v", run)
		}
	}
	faulty.commitFails.Store(false)
	run := e.sync(store.Succeeded)
	if run.Revision != second || run.Counts.Added != 1 {
		t.Fatalf("the next run retries the revision and publishes b: %+v", run)
	}
	status, _ := e.store.Status(ctx, "main")
	if status.Revision != second || status.ConsecutiveFailures != 0 || !status.LastSuccessAt.After(good.LastSuccessAt) {
		t.Fatalf("status after the retry: %+v", status)
	}
	if got := publishedEntities(t, e.store); got["component:default/b"] == nil {
		t.Fatalf("b is published: %v", keys(got))
	}
}

// TestTheNextDueTimeIsTheTimerOfTheLoop: the next run time the status
// serves is the one the loop waits for, drawn once with its jitter, after
// a publishing run, an unchanged one and a failed one alike.
func TestTheNextDueTimeIsTheTimerOfTheLoop(t *testing.T) {
	e := newEngine(t, nil)
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a")})
	st := e.sy.sources["main"]
	check := func(what string) {
		t.Helper()
		run, wait := e.sy.sync(ctx, st, request{trigger: store.TriggerSchedule})
		status, err := e.store.Status(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		// The store keeps microseconds.
		if due := run.FinishedAt.Add(wait); status.NextDueAt.Sub(due).Abs() >= time.Microsecond {
			t.Fatalf("%s: status says next run at %s, the loop waits until %s (%s off)", what,
				status.NextDueAt.Format(time.RFC3339Nano), due.Format(time.RFC3339Nano), status.NextDueAt.Sub(due))
		}
	}
	check("publishing run")
	check("unchanged run")
	e.server.SetDown(true)
	check("failed run")
}

// commitAfterFetch is a source that, after its first fetch, has a commit
// land in the repository, as a push during a run does.
type commitAfterFetch struct {
	source.Source
	once   sync.Once
	commit func()
}

func (c *commitAfterFetch) Fetch(ctx context.Context, since string) (*source.Snapshot, error) {
	snap, err := c.Source.Fetch(ctx, since)
	c.once.Do(c.commit)
	return snap, err
}

// TestARunIsRecordedUnderTheRevisionItPublished: a process's first run at
// the published revision, with a commit landing mid-run, records the
// revision whose entities it holds, not an older one.
func TestARunIsRecordedUnderTheRevisionItPublished(t *testing.T) {
	e := newEngine(t, nil)
	first := e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a")})
	e.sync(store.Succeeded)

	var second string
	restarted := newSyncer(t, e.store, e.repo.URL, t.TempDir(), func(o *Options) {
		o.Sources[0].Source = &commitAfterFetch{Source: o.Sources[0].Source, commit: func() {
			second = e.repo.Commit("main", map[string]string{"svc.yaml": services("a", "b")})
		}}
	})
	run, err := restarted.SyncOnce(ctx, "main", store.TriggerStartup)
	if err != nil {
		t.Fatal(err)
	}
	status, _ := e.store.Status(ctx, "main")
	hasB := publishedEntities(t, e.store)["component:default/b"] != nil
	switch run.Revision {
	case first:
		if hasB || status.Revision != first {
			t.Fatalf("the run is recorded at %s but published b of %s (status at %s)", first[:7], second[:7], status.Revision[:7])
		}
	case second:
		if !hasB || status.Revision != second {
			t.Fatalf("the run is recorded at %s without its entity b (status at %s)", second[:7], status.Revision[:7])
		}
	default:
		t.Fatalf("run revision %q is neither commit", run.Revision)
	}
	if run.Revision != status.Revision {
		t.Fatalf("run at %s, status at %s", run.Revision, status.Revision)
	}
}

// TestARunLeftRunningByAnEndedProcessIsClosed: a run row a killed process
// left running is closed as abandoned, with the reason, by the next run
// of the source after a restart; a run of this process is not.
func TestARunLeftRunningByAnEndedProcessIsClosed(t *testing.T) {
	e := newEngine(t, nil)
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a")})
	dead, err := e.store.StartRun(ctx, store.Run{SourceID: "main", Trigger: store.TriggerManual, StartedAt: time.Now().Add(-time.Second), Outcome: store.Running})
	if err != nil {
		t.Fatal(err)
	}
	restarted := newSyncer(t, e.store, e.repo.URL, t.TempDir(), nil)
	pending, err := restarted.TriggerRun(ctx, "main", store.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := restarted.SyncOnce(ctx, "main", store.TriggerStartup); err != nil {
		t.Fatal(err)
	}
	run, err := e.store.Run(ctx, dead)
	if err != nil {
		t.Fatal(err)
	}
	if run.Outcome != store.Abandoned || run.FinishedAt.IsZero() || !strings.Contains(run.Reason, "ended") {
		t.Fatalf("the dead process's run: %+v", run)
	}
	if run, _ := e.store.Run(ctx, pending); run.Outcome != store.Running {
		t.Fatalf("this process's requested run is not abandoned: %+v", run)
	}
}
