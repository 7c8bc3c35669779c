package syncer

import (
	"testing"
	"time"

	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/store"
)

// TestAReplicaSeesWhatAnotherReplicaPublished: two engines on one
// database take turns at a source (each on its own schedule, the lock
// only keeps their runs apart). What one published must not be unknown
// to the other: a file the first added and the second's commit deletes
// takes its entities with it, and the second's topology follows the
// revision the first published.
func TestAReplicaSeesWhatAnotherReplicaPublished(t *testing.T) {
	e := newEngine(t, nil)
	other := newSyncer(t, e.store, e.repo.URL, t.TempDir(), nil)
	syncWith := func(sy *Syncer, want store.Outcome) store.Run {
		t.Helper()
		run, err := sy.SyncOnce(ctx, "main", store.TriggerSchedule)
		if err != nil || run.Outcome != want {
			t.Fatalf("run %+v, %v; want %s", run, err, want)
		}
		return run
	}
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a", "b", "c")})
	syncWith(e.sy, store.Succeeded)
	syncWith(other, store.Unchanged)
	// The first replica syncs a commit that adds a file.
	e.repo.Commit("main", map[string]string{"x.yaml": services("x")})
	syncWith(e.sy, store.Succeeded)
	// The other replica's next tick: nothing new in the store.
	syncWith(other, store.Unchanged)
	// A commit deletes that file; the other replica syncs it.
	e.repo.Commit("main", map[string]string{"x.yaml": gittest.Delete})
	run := syncWith(other, store.Succeeded)
	if got := publishedEntities(t, e.store); got["component:default/x"] != nil {
		t.Fatalf("the deleted file's entity is still published (run %+v): %v", run.Counts, keys(got))
	}
	if run.Counts.Removed != 1 || run.Counts.Added != 0 {
		t.Fatalf("counts = %+v, want x removed and nothing added", run.Counts)
	}
}

// TestAReplicaThatHasNotReadASourceRetriesSoonWhenItIsLocked: a replica
// that starts while another syncs must not wait a whole interval before
// it reads the source (its Kafka topology is empty until then); once it
// has read it, a held lock means the next interval.
func TestAReplicaThatHasNotReadASourceRetriesSoonWhenItIsLocked(t *testing.T) {
	e := newEngine(t, nil)
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile})
	other := newSyncer(t, e.store, e.repo.URL, t.TempDir(), nil)
	st := other.sources["main"]
	hold := func() func() {
		t.Helper()
		unlock, ok, err := e.store.TryLock(ctx, "main")
		if err != nil || !ok {
			t.Fatalf("lock: %v %v", ok, err)
		}
		return unlock
	}
	unlock := hold()
	run, wait := other.sync(ctx, st, request{trigger: store.TriggerStartup})
	unlock()
	if run.ReasonCode != store.ReasonLocked || run.Reason != ErrLocked.Error() || wait >= time.Minute {
		t.Fatalf("locked before the first read: %s %q, next try in %s; want soon", run.ReasonCode, run.Reason, wait)
	}
	if _, err := other.SyncOnce(ctx, "main", store.TriggerSchedule); err != nil {
		t.Fatal(err)
	}
	unlock = hold()
	_, wait = other.sync(ctx, st, request{trigger: store.TriggerSchedule})
	unlock()
	if wait < 50*time.Minute {
		t.Fatalf("locked after the first read: next try in %s, want about the interval (1h)", wait)
	}
	// A run asked for (a webhook, Sync now) is recorded as failed with the
	// reason, and the source is tried again soon.
	runID, err := e.store.StartRun(ctx, store.Run{SourceID: "main", Trigger: store.TriggerWebhook, StartedAt: time.Now(), Outcome: store.Running})
	if err != nil {
		t.Fatal(err)
	}
	unlock = hold()
	_, wait = other.sync(ctx, st, request{trigger: store.TriggerWebhook, runID: runID})
	unlock()
	if wait >= time.Minute {
		t.Fatalf("a requested run that found the lock held: next try in %s, want soon", wait)
	}
	if run, err := e.store.Run(ctx, runID); err != nil || run.Outcome != store.Failed || run.ReasonCode != store.ReasonLocked ||
		run.Reason != ErrLocked.Error() {
		t.Fatalf("the requested run: %+v %v", run, err)
	}
}
