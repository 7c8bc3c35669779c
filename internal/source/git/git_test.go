package git

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/source/sourcetest"
	"github.com/central-config/central-config/internal/testrepo"
)

func newSource(t *testing.T, opts Options) *Source {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// assertNoSecret fails when any rendering of v shows the token or the
// basic auth header built from it.
func assertNoSecret(t *testing.T, v any, token string) {
	t.Helper()
	forms := []string{token, base64.StdEncoding.EncodeToString([]byte(DefaultUsername + ":" + token))}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		text := fmt.Sprintf(verb, v)
		for _, f := range forms {
			if strings.Contains(text, f) {
				t.Errorf("%s of %T shows the token: %s", verb, v, text)
			}
		}
	}
}

var baseFiles = map[string]string{
	"catalog/a.yaml":      "a: 1\n",
	"catalog/sub/b.yml":   "b: 2\n",
	"kafka/topics.yaml":   "topics: []\n",
	"kafka/notes.txt":     "not config\n",
	"README.md":           "# readme\n",
	".github/x.yaml":      "hidden: true\n",
	"catalog/config.json": `{"c": 3}`,
}

// baseRead is what the default paths ("**") read of baseFiles: files of
// every type, but nothing in the hidden .github folder.
var baseRead = map[string]string{
	"README.md":           "# readme\n",
	"catalog/a.yaml":      "a: 1\n",
	"catalog/config.json": `{"c": 3}`,
	"catalog/sub/b.yml":   "b: 2\n",
	"kafka/notes.txt":     "not config\n",
	"kafka/topics.yaml":   "topics: []\n",
}

func TestFirstFetchReturnsTheFilesAndTheHeadSHA(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("first")
	sha := repo.Commit("main", baseFiles)

	s := newSource(t, Options{ID: "first", URL: repo.URL, Token: gittest.Token})
	snap := sourcetest.Fetch(t, s, "")

	if snap.Revision != sha {
		t.Errorf("Revision = %s, want the head SHA %s", snap.Revision, sha)
	}
	if snap.Unchanged || snap.Changed != nil || len(snap.Problems) != 0 {
		t.Errorf("Unchanged=%v Changed=%v Problems=%v, want false, nil, none", snap.Unchanged, snap.Changed, snap.Problems)
	}
	if got := sourcetest.Contents(snap.Files); !maps.Equal(got, baseRead) {
		t.Errorf("files = %v, want %v (any file type, none from .github/)", got, baseRead)
	}
	if !slices.IsSorted(sourcetest.Paths(snap.Files)) {
		t.Errorf("files are not sorted by path: %v", sourcetest.Paths(snap.Files))
	}
	if snap.Links == nil {
		t.Fatal("Links is nil for an HTTP repository")
	}
	wantView := strings.TrimSuffix(repo.URL, ".git") + "/blob/" + sha + "/catalog/a.yaml"
	if got := snap.Links.View(sha, "catalog/a.yaml"); got != wantView {
		t.Errorf("View = %s, want %s", got, wantView)
	}
}

func TestPathGlobsRestrictTheFilesToTheMatchingPaths(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("globs")
	repo.Commit("main", baseFiles)

	s := newSource(t, Options{ID: "globs", URL: repo.URL, Token: gittest.Token, Paths: []string{"catalog/**", "kafka/*"}})
	snap := sourcetest.Fetch(t, s, "")
	// kafka/notes.txt is read although it is not config: it matches a
	// glob. README.md matches none; .github/x.yaml is hidden.
	want := []string{"catalog/a.yaml", "catalog/config.json", "catalog/sub/b.yml", "kafka/notes.txt", "kafka/topics.yaml"}
	if got := sourcetest.Paths(snap.Files); !slices.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}

	t.Run("a glob naming the hidden folder still reads nothing in it", func(t *testing.T) {
		s := newSource(t, Options{ID: "globs-hidden", URL: repo.URL, Token: gittest.Token, Paths: []string{".github/**"}})
		if got := sourcetest.Paths(sourcetest.Fetch(t, s, "").Files); len(got) != 0 {
			t.Errorf("files = %v, want none", got)
		}
	})
}

func TestAnUnchangedHeadReturnsUnchangedWithNoFiles(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("unchanged")
	sha := repo.Commit("main", baseFiles)

	s := newSource(t, Options{ID: "unchanged", URL: repo.URL, Token: gittest.Token, CacheDir: t.TempDir()})
	first := sourcetest.Fetch(t, s, "")
	again := sourcetest.Fetch(t, s, first.Revision)
	if !again.Unchanged || again.Revision != sha {
		t.Errorf("Unchanged=%v Revision=%s, want true and %s", again.Unchanged, again.Revision, sha)
	}
	if len(again.Files) != 0 || again.Changed != nil || len(again.Problems) != 0 {
		t.Errorf("an unchanged snapshot carries files=%v changed=%v problems=%v", sourcetest.Paths(again.Files), again.Changed, again.Problems)
	}
}

func TestANewCommitReturnsTheNewSHAAndChangedListsExactlyTheChangedPaths(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("changes")
	files := map[string]string{
		"catalog/keep.yaml":   "keep: 1\n",
		"catalog/edit.yaml":   "edit: 1\n",
		"catalog/gone.yaml":   "gone: 1\n",
		"catalog/target.yaml": "target: 1\n",
		"catalog/alias.yaml":  gittest.Symlink("target.yaml"),
		"kafka/t.yaml":        "t: 1\n",
		"README.md":           "old\n",
	}
	first := repo.Commit("main", files)

	s := newSource(t, Options{ID: "changes", URL: repo.URL, Token: gittest.Token})
	if snap := sourcetest.Fetch(t, s, ""); snap.Revision != first {
		t.Fatalf("Revision = %s, want %s", snap.Revision, first)
	}

	second := repo.Commit("main", map[string]string{
		"catalog/edit.yaml":   "edit: 2\n",
		"catalog/gone.yaml":   gittest.Delete,
		"catalog/new.yaml":    "new: 1\n",
		"catalog/target.yaml": "target: 2\n", // alias.yaml changes with it
		"README.md":           "new\n",       // not config, but read
		".github/x.yaml":      "x: 1\n",      // hidden, not read
	})
	snap := sourcetest.Fetch(t, s, first)
	if snap.Revision != second || snap.Unchanged {
		t.Errorf("Revision=%s Unchanged=%v, want %s and false", snap.Revision, snap.Unchanged, second)
	}
	wantChanged := []string{"README.md", "catalog/alias.yaml", "catalog/edit.yaml", "catalog/gone.yaml", "catalog/new.yaml", "catalog/target.yaml"}
	if !slices.Equal(snap.Changed, wantChanged) {
		t.Errorf("Changed = %v, want %v", snap.Changed, wantChanged)
	}
	wantFiles := []string{"README.md", "catalog/alias.yaml", "catalog/edit.yaml", "catalog/keep.yaml", "catalog/new.yaml", "catalog/target.yaml", "kafka/t.yaml"}
	if got := sourcetest.Paths(snap.Files); !slices.Equal(got, wantFiles) {
		t.Errorf("files = %v, want %v (a full snapshot, not only the changes)", got, wantFiles)
	}
	if got := sourcetest.Contents(snap.Files)["catalog/alias.yaml"]; got != "target: 2\n" {
		t.Errorf("alias.yaml = %q, want the new target content", got)
	}

	// A commit that touches nothing the filter reads still yields a known,
	// empty change list rather than "unknown".
	third := repo.Commit("main", map[string]string{".github/x.yaml": "x: 2\n"})
	snap = sourcetest.Fetch(t, s, second)
	if snap.Revision != third || snap.Changed == nil || len(snap.Changed) != 0 {
		t.Errorf("Revision=%s Changed=%#v, want %s and an empty non-nil list", snap.Revision, snap.Changed, third)
	}

	// A since the clone has never seen means "don't know".
	snap = sourcetest.Fetch(t, s, strings.Repeat("ab", 20))
	if snap.Changed != nil {
		t.Errorf("Changed = %v for an unknown since, want nil", snap.Changed)
	}
}

func TestASecondSourceWithTheSameCacheDirReusesTheClone(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("reuse")
	first := repo.Commit("main", baseFiles)
	cache := t.TempDir()
	opts := Options{ID: "team/reuse", URL: repo.URL, Token: gittest.Token, CacheDir: cache}

	sourcetest.Fetch(t, newSource(t, opts), "")
	clone := filepath.Join(cache, cacheName(opts.ID))
	if fi, err := os.Stat(filepath.Join(clone, "objects")); err != nil || !fi.IsDir() {
		t.Fatalf("no bare clone with an objects dir at %s: %v", clone, err)
	}
	// A marker the clone does not know about: it survives only if the
	// directory is kept rather than removed and cloned again.
	marker := filepath.Join(clone, "reuse-marker")
	if err := os.WriteFile(marker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	second := repo.Commit("main", map[string]string{"catalog/a.yaml": "a: 2\n"})
	srv.UploadRequests()

	// A new Source, as after a restart.
	snap := sourcetest.Fetch(t, newSource(t, opts), first)
	if snap.Revision != second {
		t.Errorf("Revision = %s, want %s", snap.Revision, second)
	}
	if !slices.Equal(snap.Changed, []string{"catalog/a.yaml"}) {
		t.Errorf("Changed = %v, want [catalog/a.yaml]", snap.Changed)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the cache directory was replaced: %v", err)
	}
	// The server saw an incremental fetch: the client told it that it
	// already has the first commit, which a fresh clone cannot say.
	reqs := srv.UploadRequests()
	if !slices.ContainsFunc(reqs, func(body string) bool { return strings.Contains(body, "have "+first) }) {
		t.Errorf("no upload-pack request said \"have %s\"; requests: %q", first, reqs)
	}
}

func TestABrokenOrForeignCacheDirIsReplacedByAFreshClone(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("broken")
	sha := repo.Commit("main", baseFiles)
	other := srv.NewRepo("other")
	other.Commit("main", map[string]string{"other.yaml": "x: 1\n"})

	for name, spoil := range map[string]func(t *testing.T, dir string){
		"junk directory": func(t *testing.T, dir string) {
			testrepo.WriteFile(t, filepath.Join(dir, "HEAD"), "garbage")
			testrepo.WriteFile(t, filepath.Join(dir, "notes.txt"), "not a repository")
		},
		"a file": func(t *testing.T, dir string) {
			testrepo.WriteFile(t, dir, "not a directory")
		},
		"a clone of another repository": func(t *testing.T, dir string) {
			gittest.Run(t, filepath.Dir(dir), "clone", "-q", "--bare", other.Dir(), dir)
		},
		"a clone whose objects are gone": func(t *testing.T, dir string) {
			s := newSource(t, Options{ID: "broken", URL: repo.URL, Token: gittest.Token, CacheDir: filepath.Dir(dir)})
			sourcetest.Fetch(t, s, "")
			if err := os.RemoveAll(filepath.Join(dir, "objects")); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(dir, "objects"), 0o700); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			cache := t.TempDir()
			dir := filepath.Join(cache, cacheName("broken"))
			spoil(t, dir)

			s := newSource(t, Options{ID: "broken", URL: repo.URL, Token: gittest.Token, CacheDir: cache})
			snap := sourcetest.Fetch(t, s, "")
			if snap.Revision != sha || !maps.Equal(sourcetest.Contents(snap.Files), baseRead) {
				t.Errorf("Revision=%s files=%v, want %s and %v", snap.Revision, sourcetest.Paths(snap.Files), sha, slices.Sorted(maps.Keys(baseRead)))
			}
			r, err := gogit.PlainOpen(dir)
			if err != nil {
				t.Fatalf("the cache is not a repository after the fetch: %v", err)
			}
			cfg, err := r.Config()
			if err != nil || cfg.Remotes[remoteName] == nil || cfg.Remotes[remoteName].URLs[0] != repo.URL {
				t.Errorf("the cache is not a clone of %s (config error %v)", repo.URL, err)
			}
		})
	}
}

func TestASymlinkInsideTheRepoIsFollowedAndOnesLeavingItAreReportedAndLeftOut(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("links")
	sha := repo.Commit("main", map[string]string{
		"catalog/real.yaml":    "real: 1\n",
		"catalog/link.yaml":    gittest.Symlink("real.yaml"),
		"catalog/chain.yaml":   gittest.Symlink("link.yaml"),
		"shared/x.yaml":        "x: 1\n",
		"shared-link":          gittest.Symlink("shared"),
		"catalog/viadir.yaml":  gittest.Symlink("../shared-link/x.yaml"),
		"catalog/escape.yaml":  gittest.Symlink("../../etc/passwd"),
		"catalog/abs.yaml":     gittest.Symlink("/etc/passwd"),
		"catalog/missing.yaml": gittest.Symlink("nope.yaml"),
		"catalog/loop1.yaml":   gittest.Symlink("loop2.yaml"),
		"catalog/loop2.yaml":   gittest.Symlink("loop1.yaml"),
		"catalog/dir.yaml":     gittest.Symlink("../shared"),
		"catalog/sneaky.yaml":  gittest.Symlink("../shared-out/passwd.yaml"),
		"shared-out":           gittest.Symlink("../../etc"),
	})

	s := newSource(t, Options{ID: "links", URL: repo.URL, Token: gittest.Token})
	snap := sourcetest.Fetch(t, s, "")
	if snap.Revision != sha {
		t.Errorf("Revision = %s, want %s", snap.Revision, sha)
	}
	want := map[string]string{
		"catalog/chain.yaml":  "real: 1\n",
		"catalog/link.yaml":   "real: 1\n",
		"catalog/real.yaml":   "real: 1\n",
		"catalog/viadir.yaml": "x: 1\n",
		"shared/x.yaml":       "x: 1\n",
	}
	if got := sourcetest.Contents(snap.Files); !maps.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}

	problems := map[string]string{}
	for _, p := range snap.Problems {
		if p.Code != diag.CodeSymlink {
			t.Errorf("%s: code %q, want %q", p.Path, p.Code, diag.CodeSymlink)
		}
		problems[p.Path] = p.Message
	}
	wantProblems := map[string]string{
		"catalog/abs.yaml":     "outside the repository",
		"catalog/escape.yaml":  "outside the repository",
		"catalog/sneaky.yaml":  "outside the repository",
		"catalog/missing.yaml": "does not exist",
		"catalog/loop1.yaml":   "loop",
		"catalog/loop2.yaml":   "loop",
		"catalog/dir.yaml":     "is a directory",
		// The default paths ("**") read the top level too, so the links
		// there are read and refused like the others.
		"shared-link": "is a directory",
		"shared-out":  "outside the repository",
	}
	if len(problems) != len(wantProblems) {
		t.Errorf("problems = %v, want one for each of %v", problems, wantProblems)
	}
	for p, words := range wantProblems {
		if msg, ok := problems[p]; !ok || !strings.Contains(msg, words) {
			t.Errorf("problem for %s = %q, want one saying %q", p, msg, words)
		}
	}
	for _, f := range snap.Files {
		if strings.Contains(string(f.Content), "root:") {
			t.Errorf("%s holds what looks like the host's /etc/passwd", f.Path)
		}
	}
}

func TestAWrongTokenGivesAnAuthErrorWithoutTheToken(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("auth")
	repo.Commit("main", baseFiles)
	const wrong = "wr0ng-t0ken-d3adbeef"

	for name, opts := range map[string]Options{
		"in Token": {ID: "auth", URL: repo.URL, Token: wrong},
		"in the URL": {ID: "auth", URL: strings.Replace(repo.URL, "http://", "http://someone:"+wrong+"@", 1),
			CacheDir: t.TempDir()},
	} {
		t.Run(name, func(t *testing.T) {
			s := newSource(t, opts)
			_, err := s.Fetch(context.Background(), "")
			if err == nil {
				t.Fatal("Fetch with a wrong token succeeded")
			}
			var fe *FetchError
			if !errors.As(err, &fe) || fe.Op != "clone" || fe.URL != repo.URL {
				t.Errorf("error %v is not a FetchError for clone of %s", err, repo.URL)
			}
			if !errors.Is(err, transport.ErrAuthenticationRequired) || !strings.Contains(err.Error(), "authentication failed") {
				t.Errorf("error %q does not say authentication failed", err)
			}
			assertNoSecret(t, err, wrong)
			assertNoSecret(t, s, wrong)
			assertNoSecret(t, opts, wrong)
			if strings.Contains(err.Error(), "someone") {
				t.Errorf("error shows the URL's userinfo: %v", err)
			}
		})
	}

	t.Run("no token", func(t *testing.T) {
		_, err := newSource(t, Options{ID: "auth", URL: repo.URL}).Fetch(context.Background(), "")
		if !errors.Is(err, transport.ErrAuthenticationRequired) || !strings.Contains(err.Error(), "no token is configured") {
			t.Errorf("error %v does not say that a token is needed", err)
		}
	})
}

func TestAStoppedServerGivesAFetchErrorWithoutTheToken(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("down")
	repo.Commit("main", baseFiles)
	withCreds := strings.Replace(repo.URL, "http://", "http://x-access-token:"+gittest.Token+"@", 1)

	s := newSource(t, Options{ID: "down", URL: withCreds, CacheDir: t.TempDir()})
	first := sourcetest.Fetch(t, s, "")
	srv.Close()

	for name, tc := range map[string]struct {
		s  *Source
		op string
	}{
		"fetch into an existing clone": {s, "fetch"},
		"first clone":                  {newSource(t, Options{ID: "down2", URL: repo.URL, Token: gittest.Token}), "clone"},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			snap, err := tc.s.Fetch(ctx, first.Revision)
			if err == nil {
				t.Fatalf("Fetch against a stopped server returned %+v", snap)
			}
			var fe *FetchError
			if !errors.As(err, &fe) || fe.Op != tc.op || fe.URL != repo.URL {
				t.Errorf("error %v is not a FetchError for %s of %s", err, tc.op, repo.URL)
			}
			assertNoSecret(t, err, gittest.Token)
			assertNoSecret(t, tc.s, gittest.Token)
		})
	}
}

func TestAnUnknownBranchSaysTheBranchWasNotFound(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("branches")
	repo.Commit("main", baseFiles)

	_, err := newSource(t, Options{ID: "branches", URL: repo.URL, Token: gittest.Token, Branch: "nope"}).Fetch(context.Background(), "")
	if !errors.Is(err, ErrBranchNotFound) || !strings.Contains(err.Error(), `branch "nope" not found`) {
		t.Errorf("error %v does not say that branch nope was not found", err)
	}

	empty := srv.NewRepo("empty")
	_, err = newSource(t, Options{ID: "empty", URL: empty.URL, Token: gittest.Token}).Fetch(context.Background(), "")
	if !errors.Is(err, ErrBranchNotFound) || !strings.Contains(err.Error(), `branch "main" not found`) {
		t.Errorf("error %v for an empty repository does not say that branch main was not found", err)
	}
}

func TestANonDefaultBranchIsRead(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("release")
	repo.Commit("main", baseFiles)
	sha := repo.Commit("release/v1", map[string]string{"catalog/v1.yaml": "v: 1\n"})

	snap := sourcetest.Fetch(t, newSource(t, Options{ID: "release", URL: repo.URL, Token: gittest.Token, Branch: "refs/heads/release/v1", CacheDir: t.TempDir()}), "")
	if snap.Revision != sha || !slices.Contains(sourcetest.Paths(snap.Files), "catalog/v1.yaml") {
		t.Errorf("Revision=%s files=%v, want %s with catalog/v1.yaml", snap.Revision, sourcetest.Paths(snap.Files), sha)
	}
}

func TestACanceledContextStopsTheFetch(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("cancel")
	repo.Commit("main", baseFiles)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newSource(t, Options{ID: "cancel", URL: repo.URL, Token: gittest.Token}).Fetch(ctx, "")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestAFileURLIsReadWithoutAServer(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("local")
	sha := repo.Commit("main", baseFiles)

	snap := sourcetest.Fetch(t, newSource(t, Options{ID: "local", URL: "file://" + repo.Dir()}), "")
	if snap.Revision != sha || !maps.Equal(sourcetest.Contents(snap.Files), baseRead) || snap.Links != nil {
		t.Errorf("Revision=%s files=%v links=%v, want %s, %v, no links", snap.Revision, sourcetest.Paths(snap.Files), snap.Links, sha, slices.Sorted(maps.Keys(baseRead)))
	}
}

func TestCredentialsInTheURLAreMovedIntoAuth(t *testing.T) {
	s := newSource(t, Options{ID: "x", URL: "https://bot:" + gittest.Token + "@git.example.com/org/repo.git"})
	if s.url != "https://git.example.com/org/repo.git" {
		t.Errorf("url = %s, want it without userinfo", s.url)
	}
	if s.auth == nil || s.auth.Username != "bot" || s.auth.Password != gittest.Token {
		t.Errorf("auth = %v, want bot with the token", s.auth)
	}
	assertNoSecret(t, s, gittest.Token)

	s = newSource(t, Options{ID: "x", URL: "https://" + gittest.Token + "@github.com/org/repo"})
	if s.auth == nil || s.auth.Username != DefaultUsername || s.auth.Password != gittest.Token {
		t.Errorf("a lone user name in the URL was not taken as the token: %v", s.auth)
	}
}

func TestNewRejectsBadOptionsNamingTheField(t *testing.T) {
	for _, tc := range []struct {
		opts  Options
		field string
	}{
		{Options{URL: "https://h/r.git"}, "ID"},
		{Options{ID: "x"}, "URL"},
		{Options{ID: "x", URL: "git@github.com:org/repo.git"}, "URL"},
		{Options{ID: "x", URL: "ssh://git@github.com/org/repo.git"}, "URL"},
		{Options{ID: "x", URL: "https:///repo.git"}, "URL"},
		{Options{ID: "x", URL: "https://u:" + gittest.Token + "@h/r.git", Token: "other"}, "URL"},
		{Options{ID: "x", URL: "https://h/r.git", Username: "bob"}, "Username"},
		{Options{ID: "x", URL: "https://h/r.git", Branch: "bad..name"}, "Branch"},
		{Options{ID: "x", URL: "https://h/r.git", Paths: []string{"/abs/**"}}, "Paths"},
		{Options{ID: "x", URL: "https://h/r.git", ViewURL: "https://h/view"}, "ViewURL"},
		{Options{ID: "x", URL: "https://h/r.git", EditURL: "https://h/edit"}, "EditURL"},
		{Options{ID: "x", URL: "https://h/r.git", CommitURL: "https://h/commit"}, "CommitURL"},
		{Options{ID: "x", URL: "file:///srv/r.git", CommitURL: "https://h/commit/{revision}"}, "CommitURL"},
		{Options{ID: "x", URL: "file:///srv/r.git", Token: gittest.Token}, "Token"},
	} {
		_, err := New(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("New(%v) = %v, want an error naming %s", tc.opts, err, tc.field)
		}
		if err != nil && strings.Contains(err.Error(), gittest.Token) {
			t.Errorf("New error shows the token: %v", err)
		}
	}
}

func TestLinks(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name, url, view, edit, commit string
		opts                          Options
	}{
		{
			name:   "a github.com repository",
			url:    "https://github.com/org/repo.git",
			view:   "https://github.com/org/repo/blob/" + rev + "/catalog/a b.yaml",
			edit:   "https://github.com/org/repo/edit/main/catalog/a b.yaml",
			commit: "https://github.com/org/repo/commit/" + rev,
		},
		{
			name:   "a gitlab.com repository",
			url:    "https://gitlab.com/group/sub/repo.git",
			view:   "https://gitlab.com/group/sub/repo/-/blob/" + rev + "/catalog/a b.yaml",
			edit:   "https://gitlab.com/group/sub/repo/-/edit/main/catalog/a b.yaml",
			commit: "https://gitlab.com/group/sub/repo/-/commit/" + rev,
		},
		{
			name:   "a generic server gets GitHub Enterprise's layout",
			url:    "https://git.example.com:8443/scm/team/repo.git",
			view:   "https://git.example.com:8443/scm/team/repo/blob/" + rev + "/catalog/a b.yaml",
			commit: "https://git.example.com:8443/scm/team/repo/commit/" + rev,
		},
		{
			name:   "credentials in the URL never reach a link",
			url:    "https://x-access-token:" + gittest.Token + "@git.example.com/team/repo.git",
			view:   "https://git.example.com/team/repo/blob/" + rev + "/catalog/a b.yaml",
			commit: "https://git.example.com/team/repo/commit/" + rev,
		},
		{
			name: "templates from config",
			url:  "https://git.example.com/team/repo.git",
			opts: Options{ViewURL: "https://web.example.com/{revision}/{path}", EditURL: "https://web.example.com/edit/{branch}/{path}",
				CommitURL: "https://web.example.com/commits/{revision}"},
			view:   "https://web.example.com/" + rev + "/catalog/a b.yaml",
			edit:   "https://web.example.com/edit/main/catalog/a b.yaml",
			commit: "https://web.example.com/commits/" + rev,
		},
		{
			name: "a view template from config without a commit template gives no commit link",
			url:  "https://git.example.com/team/repo.git",
			opts: Options{ViewURL: "https://web.example.com/{revision}/{path}"},
			view: "https://web.example.com/" + rev + "/catalog/a b.yaml",
		},
		{
			name:   "a commit template from config replaces the guessed one",
			url:    "https://github.com/org/repo.git",
			opts:   Options{CommitURL: "https://review.example.com/c/{revision}"},
			view:   "https://github.com/org/repo/blob/" + rev + "/catalog/a b.yaml",
			edit:   "https://github.com/org/repo/edit/main/catalog/a b.yaml",
			commit: "https://review.example.com/c/" + rev,
		},
		{
			name: "a file URL with templates from config",
			url:  "file:///srv/git/repo.git",
			opts: Options{ViewURL: "https://web.example.com/{revision}/{path}", CommitURL: "https://web.example.com/commits/{revision}"},
			view: "https://web.example.com/" + rev + "/catalog/a b.yaml", commit: "https://web.example.com/commits/" + rev,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.ID, opts.URL = "links", tc.url
			l := newSource(t, opts).links
			esc := func(s string) string { return strings.ReplaceAll(s, " ", "%20") }
			if got := l.View(rev, "catalog/a b.yaml"); got != esc(tc.view) {
				t.Errorf("View = %s, want %s", got, esc(tc.view))
			}
			if got := l.Edit("catalog/a b.yaml"); got != esc(tc.edit) {
				t.Errorf("Edit = %s, want %s", got, esc(tc.edit))
			}
			if got := l.Commit(rev); got != tc.commit {
				t.Errorf("Commit = %q, want %q", got, tc.commit)
			}
		})
	}
}

func TestAFileRepositoryHasNoLinks(t *testing.T) {
	if l := newSource(t, Options{ID: "links", URL: "file:///srv/git/repo.git"}).links; l != nil {
		t.Errorf("links = %#v, want nil: a file:// repository has no web view", l)
	}
}

func TestSecretsAreScrubbedFromErrorMessages(t *testing.T) {
	s := newSource(t, Options{ID: "x", URL: "https://h/r.git", Token: gittest.Token})
	basic := base64.StdEncoding.EncodeToString([]byte(DefaultUsername + ":" + gittest.Token))
	orig := fmt.Errorf("server said %s; Authorization: Basic %s; see https://u:%s@h/r.git: %w",
		gittest.Token, basic, gittest.Token, transport.ErrAuthorizationFailed)
	err := s.redactErr(orig)
	assertNoSecret(t, err, gittest.Token)
	if strings.Contains(err.Error(), "u:") {
		t.Errorf("userinfo left in %q", err)
	}
	if !errors.Is(err, transport.ErrAuthorizationFailed) {
		t.Errorf("the cleaned error no longer matches its cause")
	}
	if errors.Unwrap(err) != nil {
		t.Errorf("the cleaned error unwraps to the original, which holds the token")
	}
}

func TestCacheNamesAreSafeAndDistinct(t *testing.T) {
	names := map[string]bool{}
	for _, id := range []string{"plain-id_1.x", "a/b", "a_b", "..", ".", "../../etc", "ünï"} {
		n := cacheName(id)
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, `/\`) || strings.HasPrefix(n, ".") {
			t.Errorf("cacheName(%q) = %q, not a safe directory name", id, n)
		}
		if names[n] {
			t.Errorf("cacheName(%q) = %q collides", id, n)
		}
		names[n] = true
	}
	if cacheName("plain-id_1.x") != "plain-id_1.x" {
		t.Errorf("a plain ID should be its own cache name, got %q", cacheName("plain-id_1.x"))
	}
}

func TestFilesOverMaxFileBytesAreListedWithoutTheirContentBeingRead(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("big")
	const blobSize = 20 << 20
	bigYAML := "a: 1\n" + strings.Repeat("# padding\n", (5<<20)/10)
	repo.Commit("main", map[string]string{
		"catalog/a.yaml":    "a: 1\n",
		"catalog/big.yaml":  bigYAML,
		"catalog/link.yaml": gittest.Symlink("big.yaml"),
		"docs/api.md":       "# the API\n",
		"assets/blob.bin":   strings.Repeat("\x00", blobSize),
	})
	opts := Options{ID: "big", URL: repo.URL, Token: gittest.Token, CacheDir: t.TempDir()}
	// The first source clones. go-git inflates every object once while
	// it indexes the pack it downloads, so the reading is measured on a
	// second source over the same clone, as after a restart.
	sourcetest.Fetch(t, newSource(t, opts), "")

	s := newSource(t, opts)
	var snap *source.Snapshot
	sourcetest.ReadsNoLargeFile(t, "repository", blobSize, func() { snap = sourcetest.Fetch(t, s, "") })
	if got, want := sourcetest.Paths(snap.Files), []string{"catalog/a.yaml", "docs/api.md"}; !slices.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	limit := "limit of 4194304 (centralConfig.limits.maxFileBytes)"
	wantProblems := map[string]string{
		"catalog/big.yaml":  fmt.Sprintf("too-large: file is %d bytes, more than the %s; it was not read", len(bigYAML), limit),
		"catalog/link.yaml": fmt.Sprintf("too-large: file is %d bytes, more than the %s; it was not read", len(bigYAML), limit),
	}
	if got := sourcetest.Messages(snap.Problems); !maps.Equal(got, wantProblems) {
		t.Errorf("problems = %v, want %v", got, wantProblems)
	}
	wantIgnored := map[string]string{
		"assets/blob.bin": fmt.Sprintf("too-large: file is %d bytes, more than the %s; it was not read, so a $text/$json/$yaml placeholder cannot use it", blobSize, limit),
	}
	if got := sourcetest.Messages(snap.Ignored); !maps.Equal(got, wantIgnored) {
		t.Errorf("ignored = %v, want %v", got, wantIgnored)
	}

	t.Run("a higher limit reads the files under it", func(t *testing.T) {
		snap := sourcetest.Fetch(t, newSource(t, Options{ID: "big", URL: repo.URL, Token: gittest.Token, MaxFileBytes: 8 << 20}), "")
		if got, want := sourcetest.Paths(snap.Files), []string{"catalog/a.yaml", "catalog/big.yaml", "catalog/link.yaml", "docs/api.md"}; !slices.Equal(got, want) {
			t.Errorf("files = %v, want %v", got, want)
		}
		if len(snap.Problems) != 0 || !slices.Equal(slices.Collect(maps.Keys(sourcetest.Messages(snap.Ignored))), []string{"assets/blob.bin"}) {
			t.Errorf("problems = %v, ignored = %v, want none and assets/blob.bin", snap.Problems, snap.Ignored)
		}
	})
}

func TestAMissingFileRepositorySaysThePathDoesNotExist(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.git")
	_, err := newSource(t, Options{ID: "local", URL: "file://" + missing}).Fetch(context.Background(), "")
	if !errors.Is(err, transport.ErrRepositoryNotFound) {
		t.Errorf("error %v, want one matching transport.ErrRepositoryNotFound", err)
	}
	if err == nil || !strings.Contains(err.Error(), "the path "+missing+" does not exist") || strings.Contains(err.Error(), "token") {
		t.Errorf("error %v, want it to say the path %s does not exist, and nothing about tokens", err, missing)
	}

	t.Run("a folder that is not a repository", func(t *testing.T) {
		folder := t.TempDir()
		_, err := newSource(t, Options{ID: "local", URL: "file://" + folder}).Fetch(context.Background(), "")
		if err == nil || !strings.Contains(err.Error(), folder+" is not a git repository") {
			t.Errorf("error %v, want it to say %s is not a git repository", err, folder)
		}
	})
}
