package httpapi

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/store"
)

const (
	revBroken = "c0ffee0000000000000000000000000000000001"
	revFixed  = "c0ffee0000000000000000000000000000000002"
)

var (
	brokenFile = store.FileError{File: "services/api.yaml", Line: 4, Column: 3, Severity: "error", Code: "invalid-entity",
		Message: "metadata.name is required"}
	danglingRef = store.FileError{File: "teams/a.yaml", Severity: "warning", Code: "dangling-ref",
		Message: "owner group:team-x is not defined"}
)

// platformHistory adds runs of platform after seed's (ids 6, 7, ...,
// oldest first); the last finished one becomes the source's last run.
func platformHistory(runs ...store.Run) func(*fakeStore, *fakeSyncer) {
	return func(f *fakeStore, _ *fakeSyncer) {
		st := f.statuses["platform"]
		for i, r := range runs {
			r.ID, r.SourceID, r.Trigger = int64(6+i), "platform", store.TriggerSchedule
			r.StartedAt = ago(time.Duration(len(runs)-i) * time.Minute)
			if r.Outcome != store.Running {
				r.FinishedAt = r.StartedAt.Add(time.Second)
				st.LastRunID = r.ID
			}
			if r.Revision != "" && r.Outcome != store.Failed {
				st.Revision = r.Revision
			}
			if r.Outcome == store.Succeeded || r.Outcome == store.Degraded { // a commit
				st.FilesRunID, st.FailedFiles = r.ID, 0
			}
			f.runs[r.ID] = r
		}
		f.statuses["platform"] = st
	}
}

// failedFile marks platform's first file as failed, as a degraded run
// leaves it.
func failedFile(f *fakeStore, _ *fakeSyncer) {
	f.files["platform"][0].Failed = true
	st := f.statuses["platform"]
	st.FailedFiles = 1
	f.statuses["platform"] = st
}

func repeat(n int, r store.Run) []store.Run {
	out := make([]store.Run, n)
	for i := range out {
		out[i] = r
	}
	return out
}

func TestFileErrorsAreTheSourcesCurrentProblems(t *testing.T) {
	degraded := store.Run{Outcome: store.Degraded, Revision: revBroken, Errors: []store.FileError{brokenFile}}
	unchanged := store.Run{Outcome: store.Unchanged, Revision: revBroken}
	failed := store.Run{Outcome: store.Failed, Reason: "fetch failed: connection reset"}
	fileErrors := func(want ...store.FileError) func(*testing.T, *env, response) {
		return func(t *testing.T, _ *env, res response) {
			for _, s := range decodeLastSync(t, res).Sources {
				if s.ID != "platform" {
					if len(s.FileErrors) != 0 {
						t.Errorf("%s: fileErrors = %+v, want none", s.ID, s.FileErrors)
					}
					continue
				}
				var got []store.FileError
				for _, e := range s.FileErrors {
					got = append(got, e.FileError)
					if e.URL != nil {
						t.Errorf("url = %q, want null: the source has no links", *e.URL)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("fileErrors = %+v, want %+v", got, want)
				}
			}
		}
	}
	runCases(t, []apiCase{
		{name: "the last run degraded", setup: both(seed, platformHistory(degraded), failedFile),
			req: lastSyncReq(), status: 200, check: fileErrors(brokenFile)},
		{name: "a degraded run followed by an unchanged run still shows the file error",
			setup: both(seed, platformHistory(degraded, unchanged), failedFile), req: lastSyncReq(), status: 200,
			check: func(t *testing.T, e *env, res response) {
				fileErrors(brokenFile)(t, e, res)
				p := decodeLastSync(t, res).Sources[0]
				if p.State != "degraded" || p.FailedFiles != 1 || p.LastRun == nil || p.LastRun.Outcome != "unchanged" || len(p.LastRun.Errors) != 0 {
					t.Errorf("platform = %+v, want degraded, one failed file, an unchanged last run without errors", p)
				}
			}},
		{name: "failed runs after a degraded one keep its file error",
			setup: both(seed, platformHistory(degraded, unchanged, failed, failed), failedFile), req: lastSyncReq(), status: 200,
			check: fileErrors(brokenFile)},
		{name: "a fixed file empties them",
			setup: both(seed, platformHistory(degraded, unchanged, store.Run{Outcome: store.Succeeded, Revision: revFixed},
				store.Run{Outcome: store.Unchanged, Revision: revFixed})), req: lastSyncReq(), status: 200,
			check: fileErrors()},
		{name: "warnings stay current too",
			setup: both(seed, platformHistory(store.Run{Outcome: store.Succeeded, Revision: revBroken, Errors: []store.FileError{danglingRef}},
				unchanged)), req: lastSyncReq(), status: 200,
			check: fileErrors(danglingRef)},
		{name: "a run in progress does not hide them",
			setup: both(seed, platformHistory(degraded, unchanged, store.Run{Outcome: store.Running}), failedFile), req: lastSyncReq(), status: 200,
			check: fileErrors(brokenFile)},
		{name: "the last run pruned",
			setup: both(seed, platformHistory(degraded, unchanged), failedFile, func(f *fakeStore, _ *fakeSyncer) { delete(f.runs, 7) }),
			req:   lastSyncReq(), status: 200, check: fileErrors(brokenFile)},
		{name: "read directly however many runs failed since", setup: both(seed, platformHistory(append([]store.Run{degraded}, repeat(500, failed)...)...), failedFile),
			req: lastSyncReq(), status: 200, check: func(t *testing.T, e *env, res response) {
				fileErrors(brokenFile)(t, e, res)
				// The run that wrote the files is named by the status: no
				// listing of runs, two reads per source (both sources' last
				// runs failed: each last run and the run that wrote files).
				if n := e.store.callCount("Runs"); n != 0 {
					t.Errorf("Runs called %d times, want none", n)
				}
				if n := e.store.callCount("Run"); n != 4 {
					t.Errorf("Run called %d times, want 4", n)
				}
			}},
		{name: "the run that wrote the files pruned", setup: both(seed, platformHistory(degraded, failed), failedFile,
			func(f *fakeStore, _ *fakeSyncer) { delete(f.runs, 6) }),
			req: lastSyncReq(), status: 200, check: func(t *testing.T, e *env, res response) {
				fileErrors()(t, e, res)
				if p := decodeLastSync(t, res).Sources[0]; p.FailedFiles != 1 || p.State != "failed" {
					t.Errorf("platform = %+v, want failed with one failed file still counted", p)
				}
			}},
		{name: "never run", req: lastSyncReq(), status: 200, check: fileErrors()},
		{name: "runs unavailable", setup: both(seed, platformHistory(degraded, unchanged), failing("Run")),
			req: lastSyncReq(), status: 500, code: "internal"},
	})
}

// noWebView is the links of a dir source: file locations, no browser URLs.
type noWebView struct{}

func (noWebView) Location(_, p string) string { return "file:/srv/config/" + p }
func (noWebView) View(string, string) string  { return "" }
func (noWebView) Edit(string) string          { return "" }
func (noWebView) Commit(string) string        { return "" }

func TestRevisionsAndFileErrorsLinkToTheSourcesWebView(t *testing.T) {
	history := both(seed, platformHistory(
		store.Run{Outcome: store.Degraded, Revision: revBroken, Errors: []store.FileError{brokenFile, danglingRef}},
		store.Run{Outcome: store.Unchanged, Revision: revBroken},
	), failedFile)
	for _, tc := range []struct {
		name  string
		links source.Links
		// commit is the revision's URL; broken and dangling the URLs of
		// the two file problems; "" means null.
		commit, broken, dangling string
	}{
		{
			name:     "a git source on github.com",
			links:    source.GitHubLinks("https://github.com", "acme", "platform-config", "main"),
			commit:   "https://github.com/acme/platform-config/commit/" + revBroken,
			broken:   "https://github.com/acme/platform-config/blob/" + revBroken + "/services/api.yaml#L4",
			dangling: "https://github.com/acme/platform-config/blob/" + revBroken + "/teams/a.yaml",
		},
		{
			name: "a git source on gitlab.com",
			links: source.WebLinks{ViewTemplate: "https://gitlab.com/acme/platform-config/-/blob/{revision}/{path}",
				CommitTemplate: "https://gitlab.com/acme/platform-config/-/commit/{revision}", Branch: "main"},
			commit:   "https://gitlab.com/acme/platform-config/-/commit/" + revBroken,
			broken:   "https://gitlab.com/acme/platform-config/-/blob/" + revBroken + "/services/api.yaml#L4",
			dangling: "https://gitlab.com/acme/platform-config/-/blob/" + revBroken + "/teams/a.yaml",
		},
		{
			name: "a git source on another https host",
			links: source.WebLinks{ViewTemplate: "https://git.example.com/acme/platform-config/blob/{revision}/{path}",
				CommitTemplate: "https://git.example.com/acme/platform-config/commit/{revision}", Branch: "main"},
			commit:   "https://git.example.com/acme/platform-config/commit/" + revBroken,
			broken:   "https://git.example.com/acme/platform-config/blob/" + revBroken + "/services/api.yaml#L4",
			dangling: "https://git.example.com/acme/platform-config/blob/" + revBroken + "/teams/a.yaml",
		},
		{
			name:     "a view template from config gets no line anchor, and no commit link without a commit template",
			links:    source.WebLinks{ViewTemplate: "https://code.example.com/projects/P/repos/config/browse/{path}?at={revision}"},
			broken:   "https://code.example.com/projects/P/repos/config/browse/services/api.yaml?at=" + revBroken,
			dangling: "https://code.example.com/projects/P/repos/config/browse/teams/a.yaml?at=" + revBroken,
		},
		{name: "a file:// repository has no links", links: nil},
		{name: "a dir source has no web view", links: noWebView{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, both(history, func(_ *fakeStore, s *fakeSyncer) { s.links["platform"] = tc.links }), nil)
			orNull := func(s string) string {
				if s == "" {
					return "<null>"
				}
				return s
			}
			checkErrors := func(where string, errs []fileErrorView) {
				t.Helper()
				if len(errs) != 2 {
					t.Fatalf("%s: %d file errors, want 2", where, len(errs))
				}
				if got := urlOrNull(errs[0].URL); got != orNull(tc.broken) {
					t.Errorf("%s: url of %s = %s, want %s", where, errs[0].File, got, orNull(tc.broken))
				}
				if got := urlOrNull(errs[1].URL); got != orNull(tc.dangling) {
					t.Errorf("%s: url of %s = %s, want %s", where, errs[1].File, got, orNull(tc.dangling))
				}
			}

			p := decodeLastSync(t, e.do(t, lastSyncReq())).Sources[0]
			if got := urlOrNull(p.RevisionURL); got != orNull(tc.commit) {
				t.Errorf("revisionUrl = %s, want %s", got, orNull(tc.commit))
			}
			if p.LastRun == nil || urlOrNull(p.LastRun.RevisionURL) != orNull(tc.commit) {
				t.Errorf("lastRun = %+v, want revisionUrl %s", p.LastRun, orNull(tc.commit))
			}
			checkErrors("fileErrors", p.FileErrors)
			if teams := decodeLastSync(t, e.do(t, lastSyncReq())).Sources[1]; teams.RevisionURL != nil {
				t.Errorf("teams: revisionUrl = %s, want null: its links are unknown", *teams.RevisionURL)
			}

			var run runView
			e.do(t, request{method: "GET", target: "/central-config/syncs/6"}).decode(t, &run)
			if urlOrNull(run.RevisionURL) != orNull(tc.commit) {
				t.Errorf("run 6: revisionUrl = %s, want %s", urlOrNull(run.RevisionURL), orNull(tc.commit))
			}
			checkErrors("run 6 errors", run.Errors)

			var list struct {
				Runs []runView `json:"runs"`
			}
			e.do(t, request{method: "GET", target: "/central-config/syncs?source=platform&before=7&limit=1"}).decode(t, &list)
			if len(list.Runs) != 1 {
				t.Fatalf("runs = %+v", list.Runs)
			}
			checkErrors("listed run 6 errors", list.Runs[0].Errors)
		})
	}
}

func TestFileErrorURLsUseTheRevisionOfTheRunThatFoundThem(t *testing.T) {
	// The file broke at revBroken; a later commit (revFixed) failed to
	// publish, so revBroken is still what the problem is shown at.
	e := newEnv(t, both(seed, platformHistory(
		store.Run{Outcome: store.Degraded, Revision: revBroken, Errors: []store.FileError{brokenFile}},
		store.Run{Outcome: store.Failed, Revision: revFixed, Reason: "refused: this revision would remove 3 of 3 entities"},
	), failedFile, func(_ *fakeStore, s *fakeSyncer) {
		s.links["platform"] = source.GitHubLinks("https://github.com", "acme", "platform-config", "main")
	}), nil)
	p := decodeLastSync(t, e.do(t, lastSyncReq())).Sources[0]
	want := fmt.Sprintf("https://github.com/acme/platform-config/blob/%s/services/api.yaml#L4", revBroken)
	if len(p.FileErrors) != 1 || p.FileErrors[0].URL == nil || *p.FileErrors[0].URL != want {
		t.Fatalf("fileErrors = %+v, want the error at %s", p.FileErrors, want)
	}
	if p.LastRun == nil || p.LastRun.RevisionURL == nil || !strings.HasSuffix(*p.LastRun.RevisionURL, "/commit/"+revFixed) {
		t.Errorf("lastRun = %+v, want the failed run's revision linked", p.LastRun)
	}
}
