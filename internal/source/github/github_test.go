package github

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/source/sourcetest"
)

func content(t *testing.T, snap *source.Snapshot, p string) string {
	t.Helper()
	for _, f := range snap.Files {
		if f.Path == p {
			return string(f.Content)
		}
	}
	t.Fatalf("no file %s in snapshot; have %v", p, sourcetest.Paths(snap.Files))
	return ""
}

func assertNoToken(t *testing.T, err error, tokens ...string) {
	t.Helper()
	for _, tok := range append(tokens, testToken) {
		for _, s := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			if strings.Contains(s, tok) {
				t.Fatalf("error shows the token: %s", s)
			}
		}
	}
}

func TestFirstFetchReturnsFilesFilteredByGlobsAndTheCommitSHA(t *testing.T) {
	f := newFake(t, "")
	sha := f.push("main", "c1",
		folder("catalog"),
		file("catalog/a.yaml", "kind: A"),
		file("catalog/sub/b.yml", "kind: B"),
		file("catalog/notes.txt", "not config"),
		file("kafka/topics.yaml", "topics: []"),
		file("kafka/deep/x.yaml", "too deep for kafka/*.yaml"),
		file("docs/x.yaml", "not in paths"),
		file(".github/workflows/ci.yaml", "hidden"),
		file("README.md", "# readme"),
	)
	s := newSource(t, f, func(o *Options) { o.Paths = []string{"catalog/**", "kafka/*.yaml"} })

	snap, err := s.Fetch(testContext(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if snap.Revision != sha || snap.Unchanged {
		t.Fatalf("Revision = %q, Unchanged = %v; want %q, false", snap.Revision, snap.Unchanged, sha)
	}
	// Files of any type under a glob are read (catalog/notes.txt); files
	// outside the globs (kafka/deep, docs, README.md) and in hidden folders
	// (.github) are not.
	want := []string{"catalog/a.yaml", "catalog/notes.txt", "catalog/sub/b.yml", "kafka/topics.yaml"}
	if got := sourcetest.Paths(snap.Files); !slices.Equal(got, want) {
		t.Fatalf("files = %v, want %v", got, want)
	}
	if c := content(t, snap, "catalog/sub/b.yml"); c != "kind: B" {
		t.Errorf("catalog/sub/b.yml = %q", c)
	}
	if c := content(t, snap, "catalog/notes.txt"); c != "not config" {
		t.Errorf("catalog/notes.txt = %q", c)
	}
	if snap.Changed != nil || snap.Problems != nil {
		t.Errorf("Changed = %v, Problems = %v; want nil for a first fetch", snap.Changed, snap.Problems)
	}
	if f.auth != "Bearer "+testToken {
		t.Errorf("Authorization = %q, want the bearer token", f.auth)
	}
	remaining, limit, reset := s.RateLimit()
	if limit != 5000 || remaining != 4998 || !reset.Equal(f.reset) {
		t.Errorf("RateLimit() = %d, %d, %v; want 4998, 5000, %v", remaining, limit, reset, f.reset)
	}

	t.Run("the default paths read every file outside hidden folders", func(t *testing.T) {
		snap, err := newSource(t, f, nil).Fetch(testContext(t), "")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"README.md", "catalog/a.yaml", "catalog/notes.txt", "catalog/sub/b.yml",
			"docs/x.yaml", "kafka/deep/x.yaml", "kafka/topics.yaml"}
		if got := sourcetest.Paths(snap.Files); !slices.Equal(got, want) {
			t.Errorf("files = %v, want %v", got, want)
		}
	})
}

func TestUnchangedSHACostsNoTarballDownloadAndIsAnsweredWith304(t *testing.T) {
	f := newFake(t, "")
	sha := f.push("main", "c1", file("catalog/a.yaml", "a"))
	s := newSource(t, f, nil)
	ctx := testContext(t)
	first, err := s.Fetch(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	f.resetHits()
	before := f.remaining

	snap, err := s.Fetch(ctx, first.Revision)
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Unchanged || snap.Revision != sha || len(snap.Files) != 0 {
		t.Fatalf("snapshot = %+v, want Unchanged at %s with no files", snap, sha)
	}
	if f.ifNoneMatch != etagOf(sha) {
		t.Errorf("If-None-Match = %q, want the ETag of the last 200 %q", f.ifNoneMatch, etagOf(sha))
	}
	if n := f.count("commits-304"); n != 1 {
		t.Errorf("commit endpoint answered 304 %d times, want 1", n)
	}
	if n, m := f.count("tarball"), f.count("codeload"); n != 0 || m != 0 {
		t.Errorf("saw %d tarball and %d codeload requests, want none", n, m)
	}
	if f.remaining != before {
		t.Errorf("quota went from %d to %d; a 304 is free", before, f.remaining)
	}
	if remaining, _, _ := s.RateLimit(); remaining != before {
		t.Errorf("RateLimit() remaining = %d, want %d", remaining, before)
	}

	t.Run("a new source without an ETag still skips the download", func(t *testing.T) {
		f.resetHits()
		fresh := newSource(t, f, nil)
		snap, err := fresh.Fetch(ctx, sha)
		if err != nil {
			t.Fatal(err)
		}
		if !snap.Unchanged || f.count("tarball") != 0 || f.count("commits-304") != 0 {
			t.Errorf("Unchanged = %v, tarball requests = %d, 304s = %d", snap.Unchanged, f.count("tarball"), f.count("commits-304"))
		}
	})
}

func TestNewCommitFillsChangedFromCompare(t *testing.T) {
	f := newFake(t, "")
	sha1 := f.push("main", "c1",
		file("catalog/a.yaml", "v1"), file("catalog/old.yaml", "o"), file("catalog/gone.yaml", "g"),
		file("catalog/same.yaml", "s"), file("docs/readme.md", "r1"))
	s := newSource(t, f, func(o *Options) { o.Paths = []string{"catalog/**"} })
	ctx := testContext(t)
	if _, err := s.Fetch(ctx, ""); err != nil {
		t.Fatal(err)
	}

	sha2 := f.push("main", "c2",
		file("catalog/a.yaml", "v2"), file("catalog/new.yaml", "o"),
		file("catalog/same.yaml", "s"), file("docs/readme.md", "r2"))
	f.compares[sha1+"..."+sha2] = compareAnswer{Status: "ahead", Files: []compareFile{
		{Filename: "catalog/a.yaml", Status: "modified"},
		{Filename: "catalog/new.yaml", Status: "renamed", PreviousFilename: "catalog/old.yaml"},
		{Filename: "catalog/gone.yaml", Status: "removed"},
		{Filename: "docs/readme.md", Status: "modified"},
	}}

	snap, err := s.Fetch(ctx, sha1)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Revision != sha2 || snap.Unchanged {
		t.Fatalf("Revision = %s, Unchanged = %v; want %s", snap.Revision, snap.Unchanged, sha2)
	}
	if f.ifNoneMatch != etagOf(sha1) {
		t.Errorf("If-None-Match = %q, want the old ETag", f.ifNoneMatch)
	}
	want := []string{"catalog/a.yaml", "catalog/gone.yaml", "catalog/new.yaml", "catalog/old.yaml"}
	if !slices.Equal(snap.Changed, want) {
		t.Errorf("Changed = %v, want %v", snap.Changed, want)
	}
	if got := sourcetest.Paths(snap.Files); !slices.Equal(got, []string{"catalog/a.yaml", "catalog/new.yaml", "catalog/same.yaml"}) {
		t.Errorf("files = %v", got)
	}
	if c := content(t, snap, "catalog/a.yaml"); c != "v2" {
		t.Errorf("catalog/a.yaml = %q, want v2", c)
	}
}

func TestCompareThatCannotTellLeavesChangedNil(t *testing.T) {
	many := make([]compareFile, 300)
	for i := range many {
		many[i] = compareFile{Filename: fmt.Sprintf("catalog/f%03d.yaml", i), Status: "modified"}
	}
	for name, ans := range map[string]*compareAnswer{
		"since unknown to GitHub (404)": nil,
		"truncated at 300 files":        {Status: "ahead", Files: many},
		"history rewritten (diverged)":  {Status: "diverged", Files: many[:1]},
		"branch reset backwards":        {Status: "behind"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, "")
			since := f.push("main", "old", file("catalog/a.yaml", "1"))
			sha := f.push("main", "new", file("catalog/a.yaml", "2"))
			if ans != nil {
				f.compares[since+"..."+sha] = *ans
			}
			snap, err := newSource(t, f, nil).Fetch(testContext(t), since)
			if err != nil {
				t.Fatal(err)
			}
			if snap.Changed != nil || f.count("compare") != 1 {
				t.Errorf("Changed = %v after %d compare calls, want nil after 1", snap.Changed, f.count("compare"))
			}
			if len(snap.Files) != 1 {
				t.Errorf("files = %v, want the full snapshot", sourcetest.Paths(snap.Files))
			}
		})
	}
}

func TestGitHubEnterpriseBaseURLIsServedUnderAPIV3(t *testing.T) {
	for name, base := range map[string]func(string) string{
		"given with /api/v3/": func(u string) string { return u + "/api/v3/" },
		"given as the host":   func(u string) string { return u },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, "/api/v3")
			sha := f.push("main", "c1", file("catalog/a.yaml", "a"))
			s := newSource(t, f, func(o *Options) { o.BaseURL, o.HTTPClient = base(f.srv.URL), nil })
			snap, err := s.Fetch(testContext(t), "")
			if err != nil {
				t.Fatal(err)
			}
			if snap.Revision != sha || len(snap.Files) != 1 {
				t.Fatalf("snapshot = %+v", snap)
			}
			if f.count("codeload") != 1 {
				t.Errorf("codeload requests = %d, want 1", f.count("codeload"))
			}
			want := f.srv.URL + "/acme/config/blob/" + sha + "/catalog/a.yaml"
			if got := snap.Links.View(sha, "catalog/a.yaml"); got != want {
				t.Errorf("View = %s, want %s", got, want)
			}
		})
	}
}

func TestPrimaryRateLimitGivesRateLimitErrorWithReset(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusTooManyRequests} {
		t.Run(statusName(status), func(t *testing.T) {
			f := newFake(t, "")
			f.push("main", "c1", file("catalog/a.yaml", "a"))
			f.remaining, f.primaryStatus = 0, status
			f.reset = time.Now().Add(30 * time.Minute).Truncate(time.Second)
			s := newSource(t, f, nil)

			_, err := s.Fetch(testContext(t), "")
			var rl *RateLimitError
			if !errors.As(err, &rl) {
				t.Fatalf("err = %v (%T), want a *RateLimitError", err, err)
			}
			var fe *FetchError
			if !errors.As(err, &fe) || fe.Repo != "acme/config" {
				t.Errorf("err = %#v, want a *FetchError for acme/config", err)
			}
			if rl.Secondary || rl.Limit != 5000 || !rl.Reset.Equal(f.reset) {
				t.Errorf("RateLimitError = %+v, want primary, 5000/h, reset %v", rl, f.reset)
			}
			wantMsg := "GitHub API rate limit exhausted (5000/h); resets at " + f.reset.UTC().Format("15:04:05") + " UTC"
			if rl.Error() != wantMsg || !strings.Contains(err.Error(), wantMsg) {
				t.Errorf("message = %q, want it to contain %q", err, wantMsg)
			}
			if d := rl.RetryAfter(); d < 29*time.Minute || d > 31*time.Minute {
				t.Errorf("RetryAfter() = %v, want about 30m", d)
			}
			assertNoToken(t, err)
			if remaining, limit, _ := s.RateLimit(); remaining != 0 || limit != 5000 {
				t.Errorf("RateLimit() = %d, %d; want 0, 5000", remaining, limit)
			}

			// Until the reset, the source refuses without asking GitHub.
			calls := f.count("commits")
			_, err = s.Fetch(testContext(t), "")
			if !errors.As(err, &rl) || f.count("commits") != calls {
				t.Errorf("second fetch: err = %v, commit calls %d -> %d; want a RateLimitError and no call", err, calls, f.count("commits"))
			}
			assertNoToken(t, err)
		})
	}
}

func TestSecondaryRateLimitGivesRateLimitErrorWithRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		retryAfter int
		want       time.Duration
	}{
		{"403 with Retry-After", http.StatusForbidden, 90, 90 * time.Second},
		{"429 with Retry-After", http.StatusTooManyRequests, 30, 30 * time.Second},
		{"403 without Retry-After waits a minute", http.StatusForbidden, 0, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, "")
			f.push("main", "c1", file("catalog/a.yaml", "a"))
			f.secondaryStatus, f.retryAfter = tc.status, tc.retryAfter
			s := newSource(t, f, nil)
			_, err := s.Fetch(testContext(t), "")
			var rl *RateLimitError
			if !errors.As(err, &rl) {
				t.Fatalf("err = %v (%T), want a *RateLimitError", err, err)
			}
			if !rl.Secondary || rl.RetryAfter() != tc.want {
				t.Errorf("RateLimitError = %+v, RetryAfter() = %v; want secondary, %v", rl, rl.RetryAfter(), tc.want)
			}
			if !strings.Contains(err.Error(), "secondary rate limit") || !strings.Contains(err.Error(), tc.want.String()) {
				t.Errorf("message = %q, want it to name the secondary limit and %v", err, tc.want)
			}
			assertNoToken(t, err)

			calls := f.count("commits")
			_, err = s.Fetch(testContext(t), "")
			if !errors.As(err, &rl) || f.count("commits") != calls {
				t.Errorf("fetch within Retry-After: err = %v, commit calls %d -> %d; want a RateLimitError and no call", err, calls, f.count("commits"))
			}
			if d := rl.RetryAfter(); d >= tc.want || d < tc.want-5*time.Second {
				t.Errorf("RetryAfter() on the refused fetch = %v, want what is left of %v", d, tc.want)
			}
		})
	}
}

func TestBadTokenGivesAClear401ErrorWithoutTheToken(t *testing.T) {
	f := newFake(t, "")
	f.push("main", "c1", file("catalog/a.yaml", "a"))
	const wrong = "ghp_WrongTokenAlsoSecret9876543210"
	s := newSource(t, f, func(o *Options) { o.Token = wrong })
	_, err := s.Fetch(testContext(t), "")
	if !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("err = %v, want ErrBadCredentials", err)
	}
	if !strings.Contains(err.Error(), "bad credentials") || !strings.Contains(err.Error(), "401") {
		t.Errorf("message = %q, want it to say bad credentials (401)", err)
	}
	if f.auth != "Bearer "+wrong {
		t.Fatalf("fake saw Authorization %q", f.auth)
	}
	assertNoToken(t, err, wrong)
}

func TestUnknownRepositoryOrBranchGivesANotFoundMessage(t *testing.T) {
	for _, tc := range []struct{ name, repo, branch, want string }{
		{"unknown repository (404)", "nope", "main", "repository or branch not found: acme/nope@main"},
		{"unknown branch (422)", testRepo, "feature/nope", "repository or branch not found: acme/config@feature/nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, "")
			f.push("main", "c1", file("catalog/a.yaml", "a"))
			s := newSource(t, f, func(o *Options) { o.Repo, o.Branch = tc.repo, tc.branch })
			_, err := s.Fetch(testContext(t), "")
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "private") {
				t.Errorf("message = %q, want %q and a hint about private repositories", err, tc.want)
			}
			assertNoToken(t, err)
		})
	}
}

func TestArchiveOverMaxArchiveBytesIsAClearError(t *testing.T) {
	f := newFake(t, "")
	f.push("main", "c1", file("catalog/a.yaml", "a"), bigFile("assets/blob.bin", 64<<10))
	s := newSource(t, f, func(o *Options) { o.MaxArchiveBytes = 16 << 10 })
	_, err := s.Fetch(testContext(t), "")
	if !errors.Is(err, ErrArchiveTooLarge) {
		t.Fatalf("err = %v, want ErrArchiveTooLarge", err)
	}
	if !strings.Contains(err.Error(), "16 KiB") || !strings.Contains(err.Error(), "MaxArchiveBytes") {
		t.Errorf("message = %q, want the limit and the option that sets it", err)
	}

	t.Run("an archive under the limit is read", func(t *testing.T) {
		s := newSource(t, f, func(o *Options) { o.MaxArchiveBytes = 1 << 20 })
		if _, err := s.Fetch(testContext(t), ""); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSymlinksInsideAreFollowedAndEscapingOnesAreReported(t *testing.T) {
	f := newFake(t, "")
	f.push("main", "c1",
		file("catalog/a.yaml", "A"),
		symlink("catalog/alias.yaml", "a.yaml"),
		symlink("catalog/chain.yaml", "alias.yaml"),
		symlink("catalog/shared.yaml", "../shared/real.yaml"),
		file("shared/real.yaml", "REAL"),
		symlink("sharedlink", "shared"),
		symlink("catalog/viadir.yaml", "../sharedlink/real.yaml"),
		symlink("catalog/escape.yaml", "../../etc/passwd"),
		symlink("catalog/absolute.yaml", "/etc/passwd"),
		symlink("catalog/missing.yaml", "nope.yaml"),
		symlink("catalog/folder.yaml", "../shared"),
		symlink("catalog/loop1.yaml", "loop2.yaml"),
		symlink("catalog/loop2.yaml", "loop1.yaml"),
	)
	s := newSource(t, f, func(o *Options) { o.Paths = []string{"catalog/**"} })
	snap, err := s.Fetch(testContext(t), "")
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := map[string]string{
		"catalog/a.yaml": "A", "catalog/alias.yaml": "A", "catalog/chain.yaml": "A",
		"catalog/shared.yaml": "REAL", "catalog/viadir.yaml": "REAL",
	}
	if got := sourcetest.Paths(snap.Files); len(got) != len(wantFiles) {
		t.Fatalf("files = %v, want %d of them", got, len(wantFiles))
	}
	for p, want := range wantFiles {
		if got := content(t, snap, p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	var probs []string
	for _, p := range snap.Problems {
		if p.Code != diag.CodeSymlink || p.Message == "" {
			t.Errorf("problem %+v, want code %s and a message", p, diag.CodeSymlink)
		}
		probs = append(probs, p.Path)
		if p.Path == "catalog/escape.yaml" && !strings.Contains(p.Message, "outside the repository") {
			t.Errorf("escape message = %q", p.Message)
		}
	}
	wantProbs := []string{"catalog/absolute.yaml", "catalog/escape.yaml", "catalog/folder.yaml",
		"catalog/loop1.yaml", "catalog/loop2.yaml", "catalog/missing.yaml"}
	if !slices.Equal(probs, wantProbs) {
		t.Errorf("problems = %v, want %v", probs, wantProbs)
	}
	// shared/ is outside Paths, so its content needed one more pass.
	if n := f.count("tarball"); n != 2 {
		t.Errorf("tarball requests = %d, want 2", n)
	}
}

func TestSymlinkChainsStopAfterEightHops(t *testing.T) {
	f := newFake(t, "")
	entries := []entry{file("catalog/a.yaml", "A")}
	for i := 1; i <= 9; i++ {
		to := fmt.Sprintf("l%d.yaml", i+1)
		if i == 9 {
			to = "a.yaml"
		}
		entries = append(entries, symlink(fmt.Sprintf("catalog/l%d.yaml", i), to))
	}
	f.push("main", "c1", entries...)
	snap, err := newSource(t, f, nil).Fetch(testContext(t), "")
	if err != nil {
		t.Fatal(err)
	}
	// l1 needs 9 hops, l2 eight.
	if len(snap.Problems) != 1 || snap.Problems[0].Path != "catalog/l1.yaml" {
		t.Errorf("problems = %+v, want only catalog/l1.yaml", snap.Problems)
	}
	if content(t, snap, "catalog/l2.yaml") != "A" {
		t.Errorf("an eight-hop chain must be followed")
	}
}

func TestChangedIncludesSymlinksWhoseTargetChanged(t *testing.T) {
	f := newFake(t, "")
	sha1 := f.push("main", "c1", file("shared/real.yaml", "1"), symlink("catalog/link.yaml", "../shared/real.yaml"))
	s := newSource(t, f, func(o *Options) { o.Paths = []string{"catalog/**"} })
	ctx := testContext(t)
	if _, err := s.Fetch(ctx, ""); err != nil {
		t.Fatal(err)
	}
	sha2 := f.push("main", "c2", file("shared/real.yaml", "2"), symlink("catalog/link.yaml", "../shared/real.yaml"))
	f.compares[sha1+"..."+sha2] = compareAnswer{Status: "ahead", Files: []compareFile{{Filename: "shared/real.yaml", Status: "modified"}}}
	snap, err := s.Fetch(ctx, sha1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(snap.Changed, []string{"catalog/link.yaml"}) || content(t, snap, "catalog/link.yaml") != "2" {
		t.Errorf("Changed = %v, want [catalog/link.yaml] with the new content", snap.Changed)
	}
}

func TestLinksPointAtTheBlobOfTheCommitOnGitHub(t *testing.T) {
	f := newFake(t, "")
	sha := f.push("main", "c1", file("catalog/a b.yaml", "a"))
	snap, err := newSource(t, f, nil).Fetch(testContext(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := snap.Links.View(sha, "catalog/a b.yaml"), "https://github.com/acme/config/blob/"+sha+"/catalog/a%20b.yaml"; got != want {
		t.Errorf("View = %s, want %s", got, want)
	}
	if got, want := snap.Links.Location(sha, "catalog/a.yaml"), "url:https://github.com/acme/config/blob/"+sha+"/catalog/a.yaml"; got != want {
		t.Errorf("Location = %s, want %s", got, want)
	}
	if got, want := snap.Links.Edit("catalog/a.yaml"), "https://github.com/acme/config/edit/main/catalog/a.yaml"; got != want {
		t.Errorf("Edit = %s, want %s", got, want)
	}
	if got, want := snap.Links.Commit(sha), "https://github.com/acme/config/commit/"+sha; got != want {
		t.Errorf("Commit = %s, want %s", got, want)
	}
}

func TestWebURLIsDerivedFromTheEnterpriseBaseURL(t *testing.T) {
	for _, tc := range []struct{ base, web, want string }{
		{"", "", "https://github.com"},
		{"https://ghe.example.com/api/v3/", "", "https://ghe.example.com"},
		{"https://ghe.example.com", "", "https://ghe.example.com"},
		{"https://ghe.example.com/github/api/v3", "", "https://ghe.example.com/github"},
		{"https://api.acme.ghe.com/", "", "https://acme.ghe.com"},
		{"https://ghe.example.com/api/v3/", "https://code.example.com/", "https://code.example.com"},
	} {
		s, err := New(Options{ID: "x", Owner: "o", Repo: "r", Branch: "main", BaseURL: tc.base, WebURL: tc.web})
		if err != nil {
			t.Fatal(err)
		}
		if s.webURL != tc.want {
			t.Errorf("BaseURL %q, WebURL %q: web base = %q, want %q", tc.base, tc.web, s.webURL, tc.want)
		}
	}
}

func TestNewRejectsBadOptionsNamingTheField(t *testing.T) {
	ok := Options{ID: "cfg", Owner: "acme", Repo: "config", Branch: "main", Token: testToken}
	for _, tc := range []struct {
		field string
		edit  func(*Options)
	}{
		{"ID", func(o *Options) { o.ID = "" }},
		{"Owner", func(o *Options) { o.Owner = "" }},
		{"Owner", func(o *Options) { o.Owner = "ac/me" }},
		{"Repo", func(o *Options) { o.Repo = "" }},
		{"Repo", func(o *Options) { o.Repo = "acme/config" }},
		{"Repo", func(o *Options) { o.Repo = ".." }},
		{"Branch", func(o *Options) { o.Branch = "" }},
		{"Branch", func(o *Options) { o.Branch = "a..b" }},
		{"Branch", func(o *Options) { o.Branch = "has space" }},
		{"Token", func(o *Options) { o.Token = testToken + "\n" }},
		{"BaseURL", func(o *Options) { o.BaseURL = "ftp://ghe.example.com" }},
		{"BaseURL", func(o *Options) { o.BaseURL = "https://user:pw@ghe.example.com" }},
		{"WebURL", func(o *Options) { o.WebURL = "github.com" }},
		{"Paths", func(o *Options) { o.Paths = []string{"/catalog/**"} }},
		{"MaxArchiveBytes", func(o *Options) { o.MaxArchiveBytes = -1 }},
	} {
		opts := ok
		tc.edit(&opts)
		_, err := New(opts)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: err = %v, want an error naming %s", opts, err, tc.field)
			continue
		}
		assertNoToken(t, err, "pw")
	}
	if _, err := New(ok); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

func TestStringsNeverShowTheToken(t *testing.T) {
	opts := Options{ID: "cfg", Owner: "acme", Repo: "config", Branch: "main", Token: testToken}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{opts, &opts, s} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, testToken) {
				t.Errorf("%s of %T shows the token: %s", verb, v, out)
			}
		}
	}
	if !strings.Contains(opts.String(), "[redacted]") {
		t.Errorf("Options.String() = %s, want the token marked as redacted", opts)
	}
}

func statusName(status int) string { return fmt.Sprintf("%d %s", status, http.StatusText(status)) }

func TestFilesOverMaxFileBytesAreListedWithoutTheirContentBeingRead(t *testing.T) {
	f := newFake(t, "")
	const blobSize = 20 << 20
	bigYAML := "a: 1\n" + strings.Repeat("# padding\n", (5<<20)/10)
	f.push("main", "c1",
		file("catalog/a.yaml", "a: 1\n"),
		file("catalog/big.yaml", bigYAML),
		symlink("catalog/link.yaml", "big.yaml"),
		// A link whose target lies outside Paths is read in a second
		// pass over the archive.
		symlink("catalog/far.yaml", "../vendor/big.yaml"),
		file("vendor/big.yaml", bigYAML),
		file("docs/api.md", "# the API\n"),
		bigFile("assets/blob.bin", blobSize),
	)
	s := newSource(t, f, func(o *Options) { o.Paths = []string{"catalog/**", "docs/**", "assets/**"} })

	var snap *source.Snapshot
	sourcetest.ReadsNoLargeFile(t, "repository", blobSize, func() { snap = sourcetest.Fetch(t, s, "") })
	if got, want := sourcetest.Paths(snap.Files), []string{"catalog/a.yaml", "docs/api.md"}; !slices.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	limit := "limit of 4194304 (centralConfig.limits.maxFileBytes); it was not read"
	tooLarge := fmt.Sprintf("too-large: file is %d bytes, more than the %s", len(bigYAML), limit)
	wantProblems := map[string]string{"catalog/big.yaml": tooLarge, "catalog/link.yaml": tooLarge, "catalog/far.yaml": tooLarge}
	if got := sourcetest.Messages(snap.Problems); !maps.Equal(got, wantProblems) {
		t.Errorf("problems = %v, want %v", got, wantProblems)
	}
	wantIgnored := map[string]string{"assets/blob.bin": fmt.Sprintf("too-large: file is %d bytes, more than the %s, so a $text/$json/$yaml placeholder cannot use it", blobSize, limit)}
	if got := sourcetest.Messages(snap.Ignored); !maps.Equal(got, wantIgnored) {
		t.Errorf("ignored = %v, want %v", got, wantIgnored)
	}

	t.Run("a higher limit reads the files under it", func(t *testing.T) {
		s := newSource(t, f, func(o *Options) { o.MaxFileBytes = 8 << 20 })
		snap, err := s.Fetch(testContext(t), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Problems) != 0 || len(snap.Ignored) != 1 || content(t, snap, "catalog/far.yaml") != bigYAML {
			t.Errorf("files = %v, problems = %v, ignored = %v, want the YAML files read and only assets/blob.bin ignored", sourcetest.Paths(snap.Files), snap.Problems, snap.Ignored)
		}
	})
}
