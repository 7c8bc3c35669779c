package syncer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/central-config/central-config/internal/source"
	gitsource "github.com/central-config/central-config/internal/source/git"
	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/store"
	"github.com/central-config/central-config/internal/store/pgtest"
	"github.com/central-config/central-config/internal/store/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func openPostgres(t *testing.T, url string) store.Store {
	t.Helper()
	return openStore(t, postgres.Open, url)
}

// pgRepo starts a PostgreSQL server with a database db, and a git
// repository with a first commit (returned).
func pgRepo(t *testing.T, db string) (pg *pgtest.Server, url string, repo *gittest.Repo, first string) {
	t.Helper()
	pg = pgtest.Start(t)
	repo = gittest.NewServer(t).NewRepo("config")
	first = repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a")})
	return pg, pg.URL(db), repo, first
}

// hookedSource runs a hook inside Fetch, with the run's context, to line
// events up with a run.
type hookedSource struct {
	source.Source
	hook func(ctx context.Context)
}

func (h hookedSource) Fetch(ctx context.Context, since string) (*source.Snapshot, error) {
	if h.hook != nil {
		h.hook(ctx)
	}
	return h.Source.Fetch(ctx, since)
}

func hookedSyncer(t *testing.T, st store.Store, url string, hook func(context.Context)) *Syncer {
	t.Helper()
	src, err := gitsource.New(gitsource.Options{ID: "main", URL: url, Token: gittest.Token, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	sy, err := New(Options{Store: st, Sources: []Source{{Source: hookedSource{src, hook}, Interval: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	return sy
}

func TestTwoEnginesOnOnePostgresRunOnceASourcePerTick(t *testing.T) {
	_, url, repo, _ := pgRepo(t, "two_engines")

	// The first engine's fetch (under the lock) waits until the second
	// engine has tried the same tick, so the two runs overlap for certain.
	entered, tried := make(chan struct{}), make(chan struct{})
	var once sync.Once
	first := hookedSyncer(t, openPostgres(t, url), repo.URL, func(context.Context) {
		once.Do(func() { close(entered); <-tried })
	})
	second := hookedSyncer(t, openPostgres(t, url), repo.URL, nil)

	var wg sync.WaitGroup
	var firstRun store.Run
	var firstErr error
	wg.Go(func() { firstRun, firstErr = first.SyncOnce(ctx, "main", store.TriggerSchedule) })
	<-entered
	_, secondErr := second.SyncOnce(ctx, "main", store.TriggerSchedule)
	close(tried)
	wg.Wait()
	if !errors.Is(secondErr, ErrLocked) {
		t.Fatalf("the second engine must find the lock held: %v", secondErr)
	}
	if firstErr != nil || firstRun.Outcome != store.Succeeded {
		t.Fatalf("the lock holder syncs: %+v %v", firstRun, firstErr)
	}
	runs, err := openPostgres(t, url).Runs(ctx, "main", 0, 10)
	if err != nil || len(runs) != 1 {
		t.Fatalf("exactly one run for the tick, got %d: %+v %v", len(runs), runs, err)
	}
	// When the holder is done, the other replica can take over.
	if run, err := second.SyncOnce(ctx, "main", store.TriggerSchedule); err != nil || run.Outcome != store.Unchanged {
		t.Fatalf("the second replica takes over once the lock is free: %+v %v", run, err)
	}
}

func TestPostgresRestartedDuringARunFailsItCleanlyAndTheNextSucceeds(t *testing.T) {
	pg, url, repo, _ := pgRepo(t, "restart")
	st := openPostgres(t, url)
	restart := false
	sy := hookedSyncer(t, st, repo.URL, func(context.Context) {
		if restart {
			pg.Stop()
		}
	})
	if run, err := sy.SyncOnce(ctx, "main", store.TriggerManual); err != nil || run.Outcome != store.Succeeded {
		t.Fatalf("%+v %v", run, err)
	}
	repo.Commit("main", map[string]string{"svc.yaml": services("a", "b")})
	restart = true
	run, err := sy.SyncOnce(ctx, "main", store.TriggerManual)
	if err != nil || run.Outcome != store.Failed {
		t.Fatalf("the run during the outage fails: %+v %v", run, err)
	}
	restart = false
	pg.Start()
	var next store.Run
	deadline := time.Now().Add(30 * time.Second)
	for {
		next, err = sy.SyncOnce(ctx, "main", store.TriggerManual)
		if err == nil && next.Outcome == store.Succeeded || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if next.Outcome != store.Succeeded || next.Counts.Added != 1 {
		t.Fatalf("the next run after the restart succeeds and publishes b: %+v %v", next, err)
	}
	if got := publishedEntities(t, st); got["component:default/b"] == nil || got["component:default/a"] == nil || len(got) != 4 {
		t.Fatalf("nothing lost: %v", keys(got))
	}
}

// TestRunsDuringAStoreOutageAreCountedAndRecordedWhenItIsBack: while
// PostgreSQL is down every attempt is a failure the syncer keeps (served
// from memory by the status API and counted for backoff); once it is
// back, they are written as failed runs and counted in the status, before
// the next run publishes.
func TestRunsDuringAStoreOutageAreCountedAndRecordedWhenItIsBack(t *testing.T) {
	pg, url, repo, _ := pgRepo(t, "outage")
	st := openPostgres(t, url)
	sy := hookedSyncer(t, st, repo.URL, nil)
	if run, err := sy.SyncOnce(ctx, "main", store.TriggerManual); err != nil || run.Outcome != store.Succeeded {
		t.Fatalf("%+v %v", run, err)
	}
	repo.Commit("main", map[string]string{"svc.yaml": services("a", "b")})
	pg.Stop()
	for i := 1; i <= 3; i++ {
		run, _ := sy.SyncOnce(ctx, "main", store.TriggerSchedule)
		if run.Outcome != store.Failed || !strings.HasPrefix(run.Reason, "store unavailable") {
			t.Fatalf("attempt %d during the outage: %+v", i, run)
		}
		if got := sy.Unrecorded("main"); len(got) != i {
			t.Fatalf("after %d attempts the syncer keeps %d unrecorded runs", i, len(got))
		}
	}
	pg.Start()
	var next store.Run
	deadline := time.Now().Add(30 * time.Second)
	for {
		var err error
		next, err = sy.SyncOnce(ctx, "main", store.TriggerSchedule)
		if err == nil && next.Outcome == store.Succeeded || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if next.Outcome != store.Succeeded || next.Counts.Added != 1 {
		t.Fatalf("the first run after the outage publishes b: %+v", next)
	}
	if got := sy.Unrecorded("main"); len(got) != 0 {
		t.Fatalf("still unrecorded after the store came back: %+v", got)
	}
	runs, err := st.Runs(ctx, "main", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, r := range runs {
		if r.Outcome == store.Failed && strings.HasPrefix(r.Reason, "store unavailable") {
			failed++
		}
	}
	if failed < 3 {
		t.Fatalf("the outage's attempts are in the history: %d failed runs of %d", failed, len(runs))
	}
}

// TestACommitThatTimesOutOnPostgresIsAFailureAndIsRetried: a commit that
// cannot write (another session holds the entities table, and the run
// times out) records a failed run and leaves the status at the published
// revision; the next run retries the revision and publishes it.
func TestACommitThatTimesOutOnPostgresIsAFailureAndIsRetried(t *testing.T) {
	_, url, repo, first := pgRepo(t, "commit_timeout")
	st := openPostgres(t, url)
	src, err := gitsource.New(gitsource.Options{ID: "main", URL: repo.URL, Token: gittest.Token, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	sy, err := New(Options{Store: st, Sources: []Source{{Source: src, Interval: time.Hour, Timeout: 2 * time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	if run, err := sy.SyncOnce(ctx, "main", store.TriggerManual); err != nil || run.Outcome != store.Succeeded {
		t.Fatalf("%+v %v", run, err)
	}
	second := repo.Commit("main", map[string]string{"svc.yaml": services("a", "b")})

	// Reads go on; writes to the entities wait for this session.
	locker, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = locker.Close(ctx) }()
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE entities IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		run, _ := sy.SyncOnce(ctx, "main", store.TriggerSchedule)
		status, err := st.Status(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		if run.Outcome != store.Failed || !strings.HasPrefix(run.Reason, "store commit failed") ||
			status.Revision != first || status.LastSuccessRevision != first || status.ConsecutiveFailures != i {
			t.Fatalf("commit %d timed out: run %+v, status %+v", i, run, status)
		}
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	run, err := sy.SyncOnce(ctx, "main", store.TriggerSchedule)
	if err != nil || run.Outcome != store.Succeeded || run.Revision != second || run.Counts.Added != 1 {
		t.Fatalf("the next run retries %s and publishes b: %+v %v", second[:7], run, err)
	}
}
