package syncer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/store"
)

// interrupted returns the engine's syncer with a run timeout, whose
// fetch is interrupted: interrupt runs first (nil: nothing), then the
// fetch waits for the run's context to end and reads the repository with
// it, as a fetch of a server that hangs does.
func (e *engine) interrupted(interrupt func(), timeout time.Duration) *Syncer {
	e.t.Helper()
	src := e.sy.sources["main"].cfg
	src.Source = hookedSource{Source: src.Source, hook: func(ctx context.Context) {
		if interrupt != nil {
			interrupt()
		}
		<-ctx.Done()
	}}
	src.Timeout = timeout
	sy, err := New(Options{Store: e.store, Sources: []Source{src}})
	if err != nil {
		e.t.Fatal(err)
	}
	return sy
}

// TestEachReasonCodeIsWhatHappened: a run that fails (or is abandoned)
// carries the code of what failed it, over the real failures: a git
// server that is down, a mass deletion, a commit the database loses, a
// database that is gone, another replica's lock, a run timeout, the
// engine stopping, a process that died mid-run. A recorded run keeps its
// code in the store.
func TestEachReasonCodeIsWhatHappened(t *testing.T) {
	for _, tc := range []struct {
		name string
		want store.ReasonCode
		// fail makes the situation and returns the run it ended.
		fail func(t *testing.T, e *engine) store.Run
	}{
		{"the git server is down", store.ReasonFetchFailed, func(t *testing.T, e *engine) store.Run {
			e.server.SetDown(true)
			return e.sync(store.Failed)
		}},
		{"the revision deletes most entities", store.ReasonGuardRefused, func(t *testing.T, e *engine) store.Run {
			e.repo.Commit("main", map[string]string{"svc.yaml": gittest.Delete})
			return e.sync(store.Failed)
		}},
		{"the database loses the commit", store.ReasonStoreUnavailable, func(t *testing.T, e *engine) store.Run {
			faulty := &faultyStore{Store: e.store}
			faulty.commitFails.Store(true)
			e.sy = newSyncer(t, faulty, e.repo.URL, t.TempDir(), nil)
			e.repo.Commit("main", map[string]string{"svc.yaml": services("a", "b", "c")})
			return e.sync(store.Failed)
		}},
		{"the database is gone", store.ReasonStoreUnavailable, func(t *testing.T, e *engine) store.Run {
			if err := e.store.Close(); err != nil {
				t.Fatal(err)
			}
			if run, err := e.sy.SyncOnce(ctx, "main", store.TriggerManual); err == nil || run.ID != 0 {
				t.Fatalf("a run without a database: %+v %v; want an error and no record", run, err)
			}
			return e.sy.Unrecorded("main")[0]
		}},
		{"another replica holds the lock", store.ReasonLocked, func(t *testing.T, e *engine) store.Run {
			runID, err := e.sy.TriggerRun(ctx, "main", store.TriggerManual)
			if err != nil {
				t.Fatal(err)
			}
			unlock, ok, err := e.store.TryLock(ctx, "main")
			if err != nil || !ok {
				t.Fatalf("lock: %v %v", ok, err)
			}
			defer unlock()
			run, _ := e.sy.sync(ctx, e.sy.sources["main"], <-e.sy.sources["main"].trigger)
			if run.ID != runID {
				t.Fatalf("the requested run %d ended as run %d", runID, run.ID)
			}
			return run
		}},
		{"the run's timeout runs out", store.ReasonTimeout, func(t *testing.T, e *engine) store.Run {
			run, err := e.interrupted(nil, time.Second).SyncOnce(ctx, "main", store.TriggerManual)
			if err != nil {
				t.Fatal(err)
			}
			return run
		}},
		{"the engine stops during the run", store.ReasonCanceled, func(t *testing.T, e *engine) store.Run {
			stopping, stop := context.WithCancel(ctx)
			defer stop()
			run, err := e.interrupted(stop, time.Hour).SyncOnce(stopping, "main", store.TriggerManual)
			if err != nil {
				t.Fatal(err)
			}
			return run
		}},
		{"the process running it died", store.ReasonAbandoned, func(t *testing.T, e *engine) store.Run {
			dead, err := e.store.StartRun(ctx, store.Run{SourceID: "main", Trigger: store.TriggerManual,
				StartedAt: time.Now().Add(-time.Second), Outcome: store.Running})
			if err != nil {
				t.Fatal(err)
			}
			e.sy = newSyncer(t, e.store, e.repo.URL, t.TempDir(), nil)
			e.sync(store.Unchanged)
			run, err := e.store.Run(ctx, dead)
			if err != nil {
				t.Fatal(err)
			}
			return run
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, nil)
			e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a", "b", "c", "d")})
			e.sync(store.Succeeded)
			run := tc.fail(t, e)
			if run.ReasonCode != tc.want || run.Reason == "" {
				t.Fatalf("run %+v: reason code %q (%q); want %q", run, run.ReasonCode, run.Reason, tc.want)
			}
			if run.ID == 0 {
				return
			}
			stored, err := e.store.Run(ctx, run.ID)
			if err != nil || stored.ReasonCode != tc.want {
				t.Fatalf("stored run %+v (%v): reason code %q; want %q", stored, err, stored.ReasonCode, tc.want)
			}
		})
	}
}

// TestAStoreFailureIsCodedByItsKind: what a commit's error is decides
// the run's code, and its words never carry the database's own error.
func TestAStoreFailureIsCodedByItsKind(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want store.ReasonCode
	}{
		{fmt.Errorf("writing: %w", &mapping.SpoolError{Dir: "/tmp", Err: errors.New("reading: input/output error")}), store.ReasonSpoolFailed},
		{&store.ConflictError{Owners: map[string]string{"component:default/a": "other"}}, store.ReasonSourceConflict},
		{fmt.Errorf("commit: %w", context.DeadlineExceeded), store.ReasonTimeout},
		{fmt.Errorf("commit: %w", context.Canceled), store.ReasonCanceled},
		{errors.New("dial tcp db.internal:5432: connection refused"), store.ReasonStoreUnavailable},
	} {
		code, words := storeErrorKind(tc.err)
		if code != tc.want || words == "" || (code == store.ReasonStoreUnavailable && words == tc.err.Error()) {
			t.Errorf("%v: %s %q; want %s, in words of its own", tc.err, code, words, tc.want)
		}
	}
}

// failingSource fails its fetch with what fail returns.
type failingSource struct {
	source.Source
	fail func(ctx context.Context) error
}

func (f failingSource) Fetch(ctx context.Context, _ string) (*source.Snapshot, error) {
	return nil, f.fail(ctx)
}

// TestASourcesOwnTimeoutIsAFetchFailure: a fetch whose own HTTP client
// gives up on a server that hangs (GitHub's token API past githubauth's
// timeout, a client's Timeout, a network i/o timeout) fails with
// fetch-failed, though its error is context.DeadlineExceeded: the run's
// timeout, which the code timeout names (and troubleshooting says to
// raise), has not run out.
func TestASourcesOwnTimeoutIsAFetchFailure(t *testing.T) {
	e := newEngine(t, nil)
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a")})
	e.sync(store.Succeeded)
	hang := make(chan struct{})
	api := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(api.Close)
	t.Cleanup(func() { close(hang) })
	src := e.sy.sources["main"].cfg
	src.Timeout = time.Hour
	src.Source = failingSource{Source: src.Source, fail: func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, api.URL, nil)
		if err != nil {
			return err
		}
		res, err := (&http.Client{Timeout: 50 * time.Millisecond}).Do(req)
		if err != nil {
			return fmt.Errorf("token API: %w", err)
		}
		_ = res.Body.Close()
		return errors.New("the token API answered")
	}}
	sy, err := New(Options{Store: e.store, Sources: []Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := sy.SyncOnce(ctx, "main", store.TriggerManual)
	if err != nil || run.Outcome != store.Failed {
		t.Fatalf("run %+v %v; want a failed run", run, err)
	}
	if run.ReasonCode != store.ReasonFetchFailed || !strings.HasPrefix(run.Reason, "fetch failed: token API: ") {
		t.Fatalf("run %q (%s); want fetch-failed: the run's timeout (an hour) did not run out", run.Reason, run.ReasonCode)
	}
}
