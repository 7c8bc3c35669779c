package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/mapping"
	gitsource "github.com/central-config/central-config/internal/source/git"
	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/store"
	"github.com/central-config/central-config/internal/store/sqlite"
)

var ctx = context.Background()

const teamFile = `apiVersion: central-config.io/v1
teams:
  - name: payments
    members: [alice]
people:
  - name: alice
`

func services(names ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: central-config.io/v1\nservices:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - name: %s\n    owner: payments\n", n)
	}
	return b.String()
}

// engine is a syncer over a real git server and a real store.
type engine struct {
	t      *testing.T
	repo   *gittest.Repo
	server *gittest.Server
	store  store.Store
	sy     *Syncer
}

// openStore opens the store at dsn (a path or a URL) with open, closed
// when t ends.
func openStore[S store.Store](t *testing.T, open func(context.Context, string) (S, error), dsn string) store.Store {
	t.Helper()
	st, err := open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func openSQLite(t *testing.T, path string) store.Store {
	t.Helper()
	return openStore(t, sqlite.Open, path)
}

func newSyncer(t *testing.T, st store.Store, url, cacheDir string, mutate func(*Options)) *Syncer {
	t.Helper()
	src, err := gitsource.New(gitsource.Options{ID: "main", URL: url, Token: gittest.Token, CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Store: st, Sources: []Source{{Source: src, Interval: time.Hour}}, BackoffBase: time.Millisecond, BackoffMax: 10 * time.Millisecond}
	if mutate != nil {
		mutate(&opts)
	}
	sy, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return sy
}

func newEngine(t *testing.T, mutate func(*Options)) *engine {
	t.Helper()
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("config")
	st := openSQLite(t, filepath.Join(t.TempDir(), "engine.db"))
	return &engine{t: t, repo: repo, server: srv, store: st, sy: newSyncer(t, st, repo.URL, t.TempDir(), mutate)}
}

func (e *engine) sync(want store.Outcome) store.Run {
	e.t.Helper()
	run, err := e.sy.SyncOnce(ctx, "main", store.TriggerManual)
	if err != nil {
		e.t.Fatal(err)
	}
	if run.Outcome != want {
		e.t.Fatalf("run outcome %s, want %s (reason %q, errors %v)", run.Outcome, want, run.Reason, run.Errors)
	}
	return run
}

// published returns the names of the published entities by kind:name.
func publishedEntities(t *testing.T, st store.Store) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	err := st.Entities(ctx, func(e store.Entity) error {
		var body map[string]any
		if err := json.Unmarshal(e.Body, &body); err != nil {
			return err
		}
		out[e.Key] = body
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func generation(t *testing.T, st store.Store) int64 {
	t.Helper()
	g, err := st.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestAFirstSyncPublishesAndAnUnchangedOneWritesNothing(t *testing.T) {
	e := newEngine(t, nil)
	sha := e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a", "b")})
	run := e.sync(store.Succeeded)
	if run.Revision != sha || run.Counts.Added != 4 || run.Generation != 1 {
		t.Fatalf("run = %+v", run)
	}
	if got := publishedEntities(t, e.store); len(got) != 4 || got["component:default/a"] == nil {
		t.Fatalf("published = %v", got)
	}
	for range 3 {
		e.sync(store.Unchanged)
	}
	if g := generation(t, e.store); g != 1 {
		t.Fatalf("unchanged runs must not bump the generation: %d", g)
	}
	runs, err := e.store.Runs(ctx, "main", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Outcome != store.Unchanged || runs[0].Repeats != 2 {
		t.Fatalf("three unchanged runs must fold into one row with 2 repeats: %+v", runs)
	}
}

func TestOneChangedFileChangesOnlyItsEntities(t *testing.T) {
	e := newEngine(t, nil)
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a", "b")})
	e.sync(store.Succeeded)
	before := publishedEntities(t, e.store)
	sha := e.repo.Commit("main", map[string]string{"svc.yaml": services("a", "c")})
	run := e.sync(store.Succeeded)
	// a stays in the changed file, so its revision annotation (and view
	// URL) move to the new commit; the team and person are untouched.
	if run.Counts.Added != 1 || run.Counts.Removed != 1 || run.Counts.Changed != 1 || run.Counts.Unchanged != 2 {
		t.Fatalf("counts = %+v, want +c, -b, a changed, team and person unchanged", run.Counts)
	}
	after := publishedEntities(t, e.store)
	rev := func(m map[string]map[string]any, key string) any {
		return m[key]["metadata"].(map[string]any)["annotations"].(map[string]any)[mapping.AnnotationRevision]
	}
	if rev(after, "group:default/payments") != rev(before, "group:default/payments") {
		t.Fatalf("an entity of an untouched file keeps its revision annotation")
	}
	if rev(after, "component:default/c") != sha {
		t.Fatalf("a changed file's entities carry the new revision: %v", rev(after, "component:default/c"))
	}
	changed := map[string]bool{}
	err := e.store.Changes(ctx, 1, func(en store.Entity) error { changed[en.Key] = true; return nil },
		func(r store.Removal) error { changed["-"+r.Key] = true; return nil })
	if err != nil || len(changed) != 3 || !changed["component:default/c"] || !changed["component:default/a"] || !changed["-component:default/b"] {
		t.Fatalf("delta since the first generation = %v, %v; want +c +a -b only", changed, err)
	}
}

func TestABadFileKeepsItsOldEntitiesAndFixingItBringsTheNewOnes(t *testing.T) {
	e := newEngine(t, nil)
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a"), "other.yaml": services("o")})
	e.sync(store.Succeeded)
	e.repo.Commit("main", map[string]string{"svc.yaml": "apiVersion: central-config.io/v1\nservices:\n  - name: a2\n    owner: [payments\n",
		"other.yaml": services("o", "p")})
	run := e.sync(store.Degraded)
	if len(run.Errors) == 0 || run.Errors[0].File != "svc.yaml" || run.Errors[0].Line == 0 {
		t.Fatalf("the run must list the file error with its line: %+v", run.Errors)
	}
	got := publishedEntities(t, e.store)
	if got["component:default/a"] == nil || got["component:default/p"] == nil || got["component:default/a2"] != nil {
		t.Fatalf("the broken file keeps a, the good file brings p: %v", keys(got))
	}
	files, _ := e.store.Files(ctx, "main")
	for _, f := range files {
		if f.Path == "svc.yaml" && !f.Failed {
			t.Fatalf("svc.yaml must be marked failed: %+v", f)
		}
	}
	// The status page reads the count and the run that found the error
	// from the source's status, also after a run that read nothing.
	e.sync(store.Unchanged)
	if st, err := e.store.Status(ctx, "main"); err != nil || st.FailedFiles != 1 || st.FilesRunID != run.ID || st.LastRunID == run.ID {
		t.Fatalf("status after an unchanged run = %+v (%v); want 1 failed file, found by run %d", st, err, run.ID)
	}
	e.repo.Commit("main", map[string]string{"svc.yaml": services("a2")})
	fixed := e.sync(store.Succeeded)
	if st, err := e.store.Status(ctx, "main"); err != nil || st.FailedFiles != 0 || st.FilesRunID != fixed.ID {
		t.Fatalf("status after the fix = %+v (%v); want no failed file, files written by run %d", st, err, fixed.ID)
	}
	got = publishedEntities(t, e.store)
	if got["component:default/a2"] == nil || got["component:default/a"] != nil {
		t.Fatalf("fixing the file brings its new entities: %v", keys(got))
	}
}

func TestMassDeletionIsRefusedUntilAllowedOrBroughtBack(t *testing.T) {
	e := newEngine(t, nil)
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a", "b", "c", "d")})
	e.sync(store.Succeeded)
	e.repo.Commit("main", map[string]string{"svc.yaml": gittest.Delete})
	run := e.sync(store.Failed)
	if !strings.Contains(run.Reason, "remove 4 of 6 entities (67%)") || !strings.Contains(run.Reason, "maxDeletionRatio") {
		t.Fatalf("reason must name the numbers and the setting: %q", run.Reason)
	}
	if got := publishedEntities(t, e.store); len(got) != 6 {
		t.Fatalf("a refused run changes nothing: %v", keys(got))
	}
	status, _ := e.store.Status(ctx, "main")
	if status.ConsecutiveFailures != 1 {
		t.Fatalf("status = %+v", status)
	}
	// A later revision that brings them back syncs normally.
	e.repo.Commit("main", map[string]string{"svc.yaml": services("a", "b", "c", "d", "e")})
	e.sync(store.Succeeded)
	// With the guard lifted, the deletion goes through.
	e.repo.Commit("main", map[string]string{"svc.yaml": gittest.Delete})
	e.sy.opts.AllowMassDeletion = true
	run = e.sync(store.Succeeded)
	if run.Counts.Removed != 5 {
		t.Fatalf("removed %d, want 5", run.Counts.Removed)
	}
}

func TestAFetchFailureChangesNothingAndTheNextRunRecovers(t *testing.T) {
	e := newEngine(t, nil)
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a")})
	e.sync(store.Succeeded)
	e.repo.Commit("main", map[string]string{"svc.yaml": services("a", "b")})
	e.server.SetDown(true)
	for i := 1; i <= 2; i++ {
		run := e.sync(store.Failed)
		if !strings.HasPrefix(run.Reason, "fetch failed") || strings.Contains(run.Reason, gittest.Token) {
			t.Fatalf("reason = %q", run.Reason)
		}
		status, _ := e.store.Status(ctx, "main")
		if status.ConsecutiveFailures != i || status.LastSuccessRevision == "" {
			t.Fatalf("status after %d failures = %+v", i, status)
		}
	}
	if got := publishedEntities(t, e.store); len(got) != 3 {
		t.Fatalf("a failed fetch removes nothing: %v", keys(got))
	}
	e.server.SetDown(false)
	e.sync(store.Succeeded)
	if got := publishedEntities(t, e.store); got["component:default/b"] == nil {
		t.Fatalf("the next run after recovery publishes the new revision: %v", keys(got))
	}
	if status, _ := e.store.Status(ctx, "main"); status.ConsecutiveFailures != 0 {
		t.Fatalf("failures reset after success: %+v", status)
	}
}

func TestARestartOnTheSameDatabaseKeepsEverything(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("config")
	repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a")})
	dbPath := filepath.Join(t.TempDir(), "engine.db")
	cache := t.TempDir()

	st1, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	first, err := newSyncer(t, st1, repo.URL, cache, nil).SyncOnce(ctx, "main", store.TriggerStartup)
	if err != nil || first.Outcome != store.Succeeded {
		t.Fatalf("%+v %v", first, err)
	}
	before := publishedEntities(t, st1)
	statusBefore, _ := st1.Status(ctx, "main")
	if err := st1.Close(); err != nil {
		t.Fatal(err)
	}

	st2 := openSQLite(t, dbPath)
	if g := generation(t, st2); g != first.Generation {
		t.Fatalf("generation after restart %d, want %d", g, first.Generation)
	}
	statusAfter, _ := st2.Status(ctx, "main")
	if statusAfter.Revision != statusBefore.Revision || statusAfter.EntityCount != statusBefore.EntityCount {
		t.Fatalf("status after restart %+v, before %+v", statusAfter, statusBefore)
	}
	run, err := newSyncer(t, st2, repo.URL, cache, nil).SyncOnce(ctx, "main", store.TriggerStartup)
	if err != nil || run.Outcome != store.Unchanged {
		t.Fatalf("the start-up run after a restart is unchanged: %+v %v", run, err)
	}
	if g := generation(t, st2); g != first.Generation || len(publishedEntities(t, st2)) != len(before) {
		t.Fatalf("no spurious change after restart: generation %d", g)
	}
}

func TestTriggerRunReturnsTheRunThatWillDoIt(t *testing.T) {
	e := newEngine(t, nil)
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile})
	id1, err := e.sy.TriggerRun(ctx, "main", store.TriggerManual)
	if err != nil || id1 == 0 {
		t.Fatal(id1, err)
	}
	id2, _ := e.sy.TriggerRun(ctx, "main", store.TriggerWebhook)
	if id2 != id1 {
		t.Fatalf("a second request while one is pending returns the same run: %d vs %d", id2, id1)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.sy.Run(runCtx); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		run, err := e.store.Run(ctx, id1)
		// The start-up run may come first; then run id1 finds nothing new.
		if err == nil && (run.Outcome == store.Succeeded || run.Outcome == store.Unchanged) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d did not finish: %+v %v", id1, run, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if _, err := e.sy.TriggerRun(ctx, "nope", store.TriggerManual); err == nil {
		t.Fatal("unknown source must be an error")
	}
}

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second, 10: 5 * time.Minute} {
		if got := Backoff(5*time.Second, 5*time.Minute, n); got != want {
			t.Errorf("Backoff after %d failures = %v, want %v", n, got, want)
		}
	}
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAnEntityMovedToAnotherFileStaysAndADeletedFileTakesItsEntities(t *testing.T) {
	e := newEngine(t, func(o *Options) { o.AllowMassDeletion = true })
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "a.yaml": services("x", "y"), "b.yaml": services("z")})
	e.sync(store.Succeeded)
	// x moves from a.yaml to b.yaml in one commit.
	e.repo.Commit("main", map[string]string{"a.yaml": services("y"), "b.yaml": services("z", "x")})
	run := e.sync(store.Succeeded)
	if run.Counts.Removed != 0 || run.Counts.Added != 0 {
		t.Fatalf("a moved entity is changed, not removed and added: %+v", run.Counts)
	}
	got := publishedEntities(t, e.store)
	if ann := got["component:default/x"]["metadata"].(map[string]any)["annotations"].(map[string]any); ann[mapping.AnnotationFile] != "b.yaml" {
		t.Fatalf("x now comes from b.yaml: %v", ann[mapping.AnnotationFile])
	}
	e.repo.Commit("main", map[string]string{"b.yaml": gittest.Delete})
	run = e.sync(store.Succeeded)
	got = publishedEntities(t, e.store)
	if run.Counts.Removed != 2 || got["component:default/x"] != nil || got["component:default/z"] != nil || got["component:default/y"] == nil {
		t.Fatalf("deleting b.yaml removes x and z only: %+v %v", run.Counts, keys(got))
	}
}

// TestAFileHeldBackByADuplicateIsPublishedWhole: the engine keeps only
// the keys, hashes and refs of what it published, but a file held back
// by another (a duplicate there) is published from the kept mapping, not
// decoded again, once the other file drops the entity: every field of its
// new version must be there.
func TestAFileHeldBackByADuplicateIsPublishedWhole(t *testing.T) {
	e := newEngine(t, nil)
	described := func(what string) string {
		return "apiVersion: central-config.io/v1\nservices:\n  - name: x\n    owner: payments\n    description: " + what + "\n  - name: y\n    owner: payments\n"
	}
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "a.yaml": described("the old x"), "b.yaml": services("z")})
	e.sync(store.Succeeded)
	e.repo.Commit("main", map[string]string{"a.yaml": described("the new x"), "b.yaml": services("z", "x")})
	run := e.sync(store.Degraded)
	if len(run.Errors) != 2 || run.Errors[0].Code != diag.CodeDuplicateEntity {
		t.Fatalf("x defined twice is an error on both files: %+v", run.Errors)
	}
	if x := publishedEntities(t, e.store)["component:default/x"]; x["metadata"].(map[string]any)["description"] != "the old x" {
		t.Fatalf("a.yaml keeps its last good x: %v", x)
	}
	// a.yaml is unchanged from here on: the next run reuses its mapping.
	e.repo.Commit("main", map[string]string{"b.yaml": services("z")})
	e.sync(store.Succeeded)
	x := publishedEntities(t, e.store)["component:default/x"]
	if x["metadata"].(map[string]any)["description"] != "the new x" || x["spec"].(map[string]any)["owner"] == nil {
		t.Fatalf("x is published whole from a.yaml's new version: %v", x)
	}
}

func TestTheLinksOfTheLastSnapshotAreKeptForTheStatusAPI(t *testing.T) {
	srv := gittest.NewServer(t)
	for i, tc := range []struct {
		name  string
		url   func(*gittest.Repo) string
		token string
		// commit is the commit URL of the synced revision; "" means no links.
		commit func(repo *gittest.Repo, sha string) string
	}{
		{
			name:   "an HTTP host gets links without credentials",
			url:    func(r *gittest.Repo) string { return r.URL },
			token:  gittest.Token,
			commit: func(r *gittest.Repo, sha string) string { return strings.TrimSuffix(r.URL, ".git") + "/commit/" + sha },
		},
		{
			name:   "a file:// repository has none",
			url:    func(r *gittest.Repo) string { return "file://" + filepath.ToSlash(r.Dir()) },
			commit: func(*gittest.Repo, string) string { return "" },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := srv.NewRepo(fmt.Sprintf("config-%d", i))
			sha := repo.Commit("main", map[string]string{"teams.yaml": teamFile})
			st := openSQLite(t, filepath.Join(t.TempDir(), "engine.db"))
			src, err := gitsource.New(gitsource.Options{ID: "main", URL: tc.url(repo), Token: tc.token, CacheDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			sy, err := New(Options{Store: st, Sources: []Source{{Source: src, Interval: time.Hour}}})
			if err != nil {
				t.Fatal(err)
			}
			if l := sy.Links("main"); l != nil {
				t.Fatalf("links before the first fetch = %#v, want nil", l)
			}
			// The status API reads the links while runs replace them.
			done := make(chan struct{})
			go func() {
				defer close(done)
				for range 100 {
					_ = sy.Links("main")
				}
			}()
			for range 2 {
				if _, err := sy.SyncOnce(ctx, "main", store.TriggerManual); err != nil {
					t.Fatal(err)
				}
			}
			<-done
			want := tc.commit(repo, sha)
			l := sy.Links("main")
			switch {
			case want == "" && l != nil:
				t.Errorf("links = %#v, want nil", l)
			case want != "" && (l == nil || l.Commit(sha) != want):
				t.Errorf("links = %#v, want a commit URL %s", l, want)
			}
			if l != nil && strings.Contains(l.Commit(sha)+l.View(sha, "teams.yaml"), gittest.Token) {
				t.Error("a link shows the token")
			}
			if l := sy.Links("unknown"); l != nil {
				t.Errorf("links of an unknown source = %#v, want nil", l)
			}
		})
	}
}

func TestASourceIsUnreadUntilItsFirstSuccessfulRun(t *testing.T) {
	e := newEngine(t, nil)
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile})
	if got := e.sy.Unread(); len(got) != 1 || got[0] != "main" {
		t.Fatalf("before any run Unread = %v, want [main]", got)
	}
	e.server.SetDown(true)
	e.sync(store.Failed)
	if got := e.sy.Unread(); len(got) != 1 {
		t.Fatalf("a failed fetch reads nothing: Unread = %v", got)
	}
	e.server.SetDown(false)
	e.sync(store.Succeeded)
	if got := e.sy.Unread(); len(got) != 0 {
		t.Fatalf("after a successful run Unread = %v, want none", got)
	}
}

func TestAPlaceholderLeftForBackstageIsAnInfoThatDegradesNothing(t *testing.T) {
	e := newEngine(t, nil)
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "api.yaml": "apiVersion: backstage.io/v1alpha1\nkind: API\n" +
		"metadata:\n  name: payments-api\nspec:\n  type: openapi\n  lifecycle: production\n  owner: payments\n" +
		"  definition:\n    $text: https://github.com/acme/payments/blob/main/openapi.yaml\n"})
	run := e.sync(store.Succeeded)
	if len(run.Errors) != 1 || run.Errors[0].Severity != string(diag.Info) || run.Errors[0].Code != diag.CodePlaceholderURL || run.Errors[0].Line != 10 {
		t.Fatalf("want the info in the run, and a run that succeeded: %+v", run.Errors)
	}
	api := publishedEntities(t, e.store)["api:default/payments-api"]
	if def := api["spec"].(map[string]any)["definition"]; def.(map[string]any)["$text"] != "https://github.com/acme/payments/blob/main/openapi.yaml" {
		t.Fatalf("the placeholder is published as it is, for Backstage: %v", def)
	}
}
