package syncer

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/source"
	gitsource "github.com/central-config/central-config/internal/source/git"
	"github.com/central-config/central-config/internal/source/git/gittest"
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

const shippingFile = `apiVersion: central-config.io/v1
services:
  - name: shipping-service
    owner: payments
    provides: [shipping-api]
apis:
  - name: shipping-api
    owner: payments
    type: openapi
    definition: "openapi: 3.0.3"
`

const webFile = `apiVersion: central-config.io/v1
services:
  - name: web
    owner: payments
    consumes: [shipping-api]
`

const ordersTopicFile = `apiVersion: central-config.io/kafka/v1
clusters:
  - name: prod
topics:
  - {name: orders.v1, cluster: prod, partitions: 3, owner: payments}
applications:
  - name: shipping-service
    owner: payments
    cluster: prod
    consumes: [orders.v1]
`

// TestABrokenFilesLastGoodEntitiesKeepTheirRelations: while a file is
// broken its last good entities stay published, so another file that
// refers to them gets no dangling-ref warning and the Kafka topic its
// service consumes still names that service, also in the first run after
// a restart.
func TestABrokenFilesLastGoodEntitiesKeepTheirRelations(t *testing.T) {
	e := newEngine(t, nil)
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "shipping.yaml": shippingFile, "web.yaml": webFile, "kafka.yaml": ordersTopicFile})
	e.sync(store.Succeeded)
	topicDependencyOf := func() []any {
		t.Helper()
		topic := publishedEntities(t, e.store)["resource:default/orders.v1"]
		if topic == nil {
			t.Fatalf("no topic resource in %v", keys(publishedEntities(t, e.store)))
		}
		deps, _ := topic["spec"].(map[string]any)["dependencyOf"].([]any)
		return deps
	}
	if deps := topicDependencyOf(); !slices.Contains(deps, any("component:default/shipping-service")) {
		t.Fatalf("the topic is a dependency of its consumer's service: %v", deps)
	}
	e.repo.Commit("main", map[string]string{"shipping.yaml": "apiVersion: central-config.io/v1\nservices: [\n", "web.yaml": webFile + "    description: changed\n"})
	check := func(run store.Run) {
		t.Helper()
		for _, fe := range run.Errors {
			if fe.File != "shipping.yaml" {
				t.Errorf("only the broken file has problems, got %+v", fe)
			}
		}
		if deps := topicDependencyOf(); !slices.Contains(deps, any("component:default/shipping-service")) {
			t.Errorf("the topic lost its consumer's service, which is still published: %v", deps)
		}
		if publishedEntities(t, e.store)["api:default/shipping-api"] == nil {
			t.Errorf("the broken file's API is no longer published")
		}
	}
	check(e.sync(store.Degraded))

	// A restart while the file is still broken: the first run maps the
	// repository whole, without a previous mapping.
	e.repo.Commit("main", map[string]string{"web.yaml": webFile + "    description: changed again\n"})
	e.sy = newSyncer(t, e.store, e.repo.URL, t.TempDir(), nil)
	check(e.sync(store.Degraded))
}

// twoSources returns a syncer over st of two git sources, "first" and
// "second", reading the repositories first and second.
func twoSources(t *testing.T, st store.Store, first, second *gittest.Repo) *Syncer {
	t.Helper()
	var sources []Source
	for id, repo := range map[string]*gittest.Repo{"first": first, "second": second} {
		src, err := gitsource.New(gitsource.Options{ID: id, URL: repo.URL, Token: gittest.Token, CacheDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, Source{Source: src, Interval: time.Hour})
	}
	sy, err := New(Options{Store: st, Sources: sources})
	if err != nil {
		t.Fatal(err)
	}
	return sy
}

// sharedCopies lists the sources that publish component:default/shared.
func sharedCopies(t *testing.T, st store.Store) []string {
	t.Helper()
	var owners []string
	if err := st.Entities(ctx, func(e store.Entity) error {
		if e.Key == "component:default/shared" {
			owners = append(owners, e.SourceID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return owners
}

// TestAnEntityOfTwoSourcesStaysWithTheFirstThatPublishedIt: a second
// source that defines an entity the first already publishes is refused
// with an error on its file and line; the catalog keeps one copy, the
// first's; when the first drops it, the second's copy is published.
func TestAnEntityOfTwoSourcesStaysWithTheFirstThatPublishedIt(t *testing.T) {
	srv := gittest.NewServer(t)
	first, second := srv.NewRepo("first"), srv.NewRepo("second")
	st := openSQLite(t, filepath.Join(t.TempDir(), "engine.db"))
	sy := twoSources(t, st, first, second)
	syncSource := func(id string, want store.Outcome) store.Run {
		t.Helper()
		run, err := sy.SyncOnce(ctx, id, store.TriggerManual)
		if err != nil || run.Outcome != want {
			t.Fatalf("%s: run %+v %v; want %s", id, run, err, want)
		}
		return run
	}
	copies := func() []string { return sharedCopies(t, st) }
	first.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("shared")})
	second.Commit("main", map[string]string{"svc.yaml": services("own", "shared")})
	syncSource("first", store.Succeeded)
	refused := func(run store.Run) {
		t.Helper()
		var errs []store.FileError
		for _, fe := range run.Errors {
			if fe.Severity == "error" {
				errs = append(errs, fe)
			}
		}
		if len(errs) != 1 || errs[0].Code != "source-conflict" || errs[0].File != "svc.yaml" || errs[0].Line != 5 ||
			!strings.Contains(errs[0].Message, `source "first"`) {
			t.Fatalf("the second source's run names the conflict at its file and line: %+v", errs)
		}
		if got := copies(); !slices.Equal(got, []string{"first"}) {
			t.Fatalf("the catalog holds the first source's copy only: %v", got)
		}
	}
	refused(syncSource("second", store.Degraded))
	// Another file changes; the refused one, unchanged, is refused again.
	second.Commit("main", map[string]string{"more.yaml": services("more")})
	refused(syncSource("second", store.Degraded))
	first.Commit("main", map[string]string{"svc.yaml": services("other")})
	syncSource("first", store.Succeeded)
	syncSource("second", store.Succeeded)
	if got := copies(); !slices.Equal(got, []string{"second"}) {
		t.Fatalf("once the first source dropped it, the second's copy is published: %v", got)
	}
}

// racingStore lets another source's run commit in the middle of a run,
// between its look-up of owners and its commit.
type racingStore struct {
	store.Store
	once  sync.Once
	race  func()
	owner string
}

func (s *racingStore) Owners(ctx context.Context, sourceID string, keys []string) (map[string]string, error) {
	owners, err := s.Store.Owners(ctx, sourceID, keys)
	if sourceID == s.owner {
		s.once.Do(s.race)
	}
	return owners, err
}

// TestTwoSourcesClaimingAnEntityAtOnceNeverBothPublishIt: the second
// source's run publishes the entity after the first looked for owners and
// before it commits; the first's commit is refused in its transaction, it
// plans again and reports the conflict, and the catalog holds one copy.
func TestTwoSourcesClaimingAnEntityAtOnceNeverBothPublishIt(t *testing.T) {
	srv := gittest.NewServer(t)
	first, second := srv.NewRepo("first"), srv.NewRepo("second")
	first.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("shared")})
	second.Commit("main", map[string]string{"svc.yaml": services("shared")})
	racing := &racingStore{Store: openSQLite(t, filepath.Join(t.TempDir(), "engine.db")), owner: "first"}
	sy := twoSources(t, racing, first, second)
	racing.race = func() {
		if run, err := sy.SyncOnce(ctx, "second", store.TriggerManual); err != nil || run.Outcome != store.Succeeded {
			t.Errorf("the second source's run: %+v %v", run, err)
		}
	}
	run, err := sy.SyncOnce(ctx, "first", store.TriggerManual)
	if err != nil || run.Outcome != store.Degraded {
		t.Fatalf("the first source's run: %+v %v", run, err)
	}
	if owners := sharedCopies(t, racing); !slices.Equal(owners, []string{"second"}) {
		t.Fatalf("one copy, the one committed first: %v", owners)
	}
}

// TestCopiesPublishedByTwoSourcesBeforeAreReported: a database where two
// sources already publish one entity (from a version that did not refuse
// it) gets the conflict reported at the next start, not kept in silence.
func TestCopiesPublishedByTwoSourcesBeforeAreReported(t *testing.T) {
	e := newEngine(t, nil)
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("shared")})
	e.sync(store.Succeeded)
	body := []byte(`{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"shared"},"spec":{"type":"service","lifecycle":"production","owner":"payments"}}`)
	if _, err := e.store.Commit(ctx, store.Commit{SourceID: "other", Upserts: []store.Entity{{SourceID: "other", Key: "component:default/shared",
		Ref: "component:default/shared", File: "svc.yaml", Hash: "h", Body: body}}, Run: store.Run{SourceID: "other", Outcome: store.Succeeded}}); err != nil {
		t.Fatal(err)
	}
	e.repo.Commit("main", map[string]string{"svc.yaml": services("shared") + "    description: changed\n"})
	e.sy = newSyncer(t, e.store, e.repo.URL, t.TempDir(), nil)
	run := e.sync(store.Degraded)
	found := false
	for _, fe := range run.Errors {
		found = found || fe.Code == "source-conflict" && strings.Contains(fe.Message, `source "other"`)
	}
	if !found {
		t.Fatalf("the duplicate from before is reported: %+v", run.Errors)
	}
}

// slowStore is a real store whose commit takes at least delay writing
// the entities, as a large commit does.
type slowStore struct {
	store.Store
	delay time.Duration
}

func (s *slowStore) Commit(ctx context.Context, c store.Commit) (int64, error) {
	body := c.Body
	c.Body = func(i int) ([]byte, error) {
		if i == 0 {
			time.Sleep(s.delay)
		}
		return body(i)
	}
	return s.Store.Commit(ctx, c)
}

// TestARunEndsWhenItsCommitIsWritten: a run's duration includes writing
// its entities (a large commit is most of a full sync), and the run the
// engine returns and logs is the run the store recorded, with the status
// to match.
func TestARunEndsWhenItsCommitIsWritten(t *testing.T) {
	e := newEngine(t, nil)
	const delay = 300 * time.Millisecond
	e.sy = newSyncer(t, &slowStore{Store: e.store, delay: delay}, e.repo.URL, t.TempDir(), nil)
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a")})
	run := e.sync(store.Succeeded)
	if run.Duration() < delay {
		t.Fatalf("the run took %s, less than its commit's %s of writing", run.Duration(), delay)
	}
	stored, err := e.store.Run(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The stores keep microseconds.
	same := func(a, b time.Time) bool { return a.Sub(b).Abs() < time.Microsecond }
	if !same(stored.FinishedAt, run.FinishedAt) {
		t.Fatalf("stored run finished at %s, the engine's at %s", stored.FinishedAt, run.FinishedAt)
	}
	status, err := e.store.Status(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	// The next run is due an interval (one hour, ±10% jitter) after the
	// end.
	if due := status.NextDueAt.Sub(run.FinishedAt); !same(status.LastSuccessAt, run.FinishedAt) || due < 54*time.Minute || due > 66*time.Minute {
		t.Fatalf("status: last success %s, next due %s; want the run's end %s and an hour after it",
			status.LastSuccessAt, status.NextDueAt, run.FinishedAt)
	}
}
