package dir

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/source/sourcetest"
	"github.com/central-config/central-config/internal/testrepo"
)

// The source must satisfy source.Source.
var _ source.Source = (*Source)(nil)

func link(t *testing.T, target, at string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(at), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, at); err != nil {
		t.Fatal(err)
	}
}

func newSource(t *testing.T, opts Options) *Source {
	t.Helper()
	if opts.ID == "" {
		opts.ID = "local"
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	return s
}

func problems(snap *source.Snapshot) map[string]source.FileProblem {
	out := map[string]source.FileProblem{}
	for _, p := range snap.Problems {
		out[p.Path] = p
	}
	return out
}

var repoFiles = map[string]string{
	"catalog/z.yaml":            "z: 1\n",
	"catalog/a.yaml":            "a: 1\n",
	"catalog/sub/b.yml":         "b: 2\n",
	"catalog/api/pets.proto":    "syntax = \"proto3\";\n",
	"catalog/config.json":       `{"c": 3}`,
	"kafka/topics.yaml":         "topics: []\n",
	"kafka/notes.txt":           "not matched by kafka/*.yaml\n",
	"kafka/deep/x.yaml":         "too deep for kafka/*.yaml\n",
	"docs/x.yaml":               "outside the globs\n",
	"README.md":                 "# readme\n",
	".git/config":               "[core]\n",
	".github/workflows/ci.yaml": "hidden: true\n",
	"catalog/.hidden/x.yaml":    "hidden: true\n",
}

func TestFilesAreFilteredByTheGlobsAndSortedByPath(t *testing.T) {
	root := t.TempDir()
	testrepo.Write(t, root, repoFiles)

	snap := sourcetest.Fetch(t, newSource(t, Options{Path: root, Paths: []string{"catalog/**", "kafka/*.yaml"}}), "")
	want := map[string]string{
		"catalog/a.yaml":         "a: 1\n",
		"catalog/api/pets.proto": "syntax = \"proto3\";\n",
		"catalog/config.json":    `{"c": 3}`,
		"catalog/sub/b.yml":      "b: 2\n",
		"catalog/z.yaml":         "z: 1\n",
		"kafka/topics.yaml":      "topics: []\n",
	}
	if got := sourcetest.Contents(snap.Files); !maps.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	if got := sourcetest.Paths(snap.Files); !slices.IsSorted(got) {
		t.Errorf("files are not sorted by path: %v", got)
	}
	if snap.Unchanged || snap.Changed != nil || len(snap.Problems) != 0 {
		t.Errorf("Unchanged=%v Changed=%v Problems=%v, want false, nil (unknown), none", snap.Unchanged, snap.Changed, snap.Problems)
	}
	// What the globs leave out is listed, sorted, by path only; hidden
	// folders are not.
	wantOutside := []string{"README.md", "docs/x.yaml", "kafka/deep/x.yaml", "kafka/notes.txt"}
	if !slices.Equal(snap.Outside, wantOutside) {
		t.Errorf("outside = %v, want %v", snap.Outside, wantOutside)
	}
	if all := sourcetest.Fetch(t, newSource(t, Options{Path: root}), ""); all.Outside != nil {
		t.Errorf("with the default paths nothing is outside: %v", all.Outside)
	}
}

func TestTheDefaultPathsReadEveryFileButThoseInHiddenFolders(t *testing.T) {
	root := t.TempDir()
	testrepo.Write(t, root, repoFiles)

	snap := sourcetest.Fetch(t, newSource(t, Options{Path: root}), "")
	want := []string{
		"README.md",
		"catalog/a.yaml", "catalog/api/pets.proto", "catalog/config.json", "catalog/sub/b.yml", "catalog/z.yaml",
		"docs/x.yaml",
		"kafka/deep/x.yaml", "kafka/notes.txt", "kafka/topics.yaml",
	}
	if got := sourcetest.Paths(snap.Files); !slices.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
}

func TestTheRevisionIsAContentHashThatChangesExactlyWithWhatIsRead(t *testing.T) {
	root := t.TempDir()
	testrepo.Write(t, root, repoFiles)
	s := newSource(t, Options{Path: root, Paths: []string{"catalog/**"}})

	first := sourcetest.Fetch(t, s, "")
	if !strings.HasPrefix(first.Revision, "sha256:") || len(first.Revision) != len("sha256:")+64 {
		t.Fatalf("Revision = %q, want sha256: and 64 hex digits", first.Revision)
	}
	if again := sourcetest.Fetch(t, s, ""); again.Revision != first.Revision {
		t.Errorf("two fetches of the same folder gave %s and %s", first.Revision, again.Revision)
	}
	if other := sourcetest.Fetch(t, newSource(t, Options{ID: "other", Path: root, Paths: []string{"catalog/**"}}), ""); other.Revision != first.Revision {
		t.Errorf("a second source on the same folder gave %s, want %s", other.Revision, first.Revision)
	}

	testrepo.Write(t, root, map[string]string{"docs/x.yaml": "changed, but not read\n", ".github/workflows/ci.yaml": "changed too\n"})
	if snap := sourcetest.Fetch(t, s, ""); snap.Revision != first.Revision {
		t.Errorf("changing files the source does not read changed the revision to %s", snap.Revision)
	}

	testrepo.Write(t, root, map[string]string{"catalog/a.yaml": "a: 2\n"}) // same size, new content
	second := sourcetest.Fetch(t, s, "")
	if second.Revision == first.Revision {
		t.Fatalf("the revision %s did not change with the content of catalog/a.yaml", second.Revision)
	}
	if got := sourcetest.Contents(second.Files)["catalog/a.yaml"]; got != "a: 2\n" {
		t.Errorf("catalog/a.yaml = %q, want the new content", got)
	}

	if err := os.Rename(filepath.Join(root, "catalog/z.yaml"), filepath.Join(root, "catalog/y.yaml")); err != nil {
		t.Fatal(err)
	}
	if third := sourcetest.Fetch(t, s, ""); third.Revision == second.Revision {
		t.Errorf("the revision did not change when a file was renamed")
	}
}

func TestFetchingSinceTheCurrentRevisionReturnsUnchangedWithNoFiles(t *testing.T) {
	root := t.TempDir()
	testrepo.Write(t, root, repoFiles)
	s := newSource(t, Options{Path: root})

	first := sourcetest.Fetch(t, s, "")
	snap := sourcetest.Fetch(t, s, first.Revision)
	if !snap.Unchanged || snap.Revision != first.Revision {
		t.Errorf("Unchanged=%v Revision=%s, want true and %s", snap.Unchanged, snap.Revision, first.Revision)
	}
	if len(snap.Files) != 0 || snap.Changed != nil || len(snap.Problems) != 0 {
		t.Errorf("an unchanged snapshot carries files=%v changed=%v problems=%v", sourcetest.Paths(snap.Files), snap.Changed, snap.Problems)
	}

	t.Run("an older since returns the files", func(t *testing.T) {
		snap := sourcetest.Fetch(t, s, "sha256:"+strings.Repeat("0", 64))
		if snap.Unchanged || snap.Revision != first.Revision || len(snap.Files) != len(first.Files) {
			t.Errorf("Unchanged=%v Revision=%s files=%v, want false, %s and %v", snap.Unchanged, snap.Revision, sourcetest.Paths(snap.Files), first.Revision, sourcetest.Paths(first.Files))
		}
	})
}

func TestSymlinksInsideTheFolderAreFollowed(t *testing.T) {
	root := t.TempDir()
	testrepo.Write(t, root, map[string]string{"catalog/real.yaml": "real: 1\n", "shared/x.yaml": "x: 1\n"})
	link(t, "real.yaml", filepath.Join(root, "catalog/link.yaml"))
	link(t, "link.yaml", filepath.Join(root, "catalog/chain.yaml"))
	link(t, "../shared/x.yaml", filepath.Join(root, "catalog/shared.yaml"))
	link(t, "../shared", filepath.Join(root, "catalog/folder")) // a link to a folder is not walked

	snap := sourcetest.Fetch(t, newSource(t, Options{Path: root, Paths: []string{"catalog/**"}}), "")
	want := map[string]string{
		"catalog/chain.yaml":  "real: 1\n",
		"catalog/link.yaml":   "real: 1\n",
		"catalog/real.yaml":   "real: 1\n",
		"catalog/shared.yaml": "x: 1\n",
	}
	if got := sourcetest.Contents(snap.Files); !maps.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	if len(snap.Problems) != 0 {
		t.Errorf("problems = %+v, want none", snap.Problems)
	}
}

func TestSymlinksLeavingTheFolderAreReportedAndLeftOut(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.yaml")
	testrepo.Write(t, outside, map[string]string{"secret.yaml": "secret: outside\n"})
	testrepo.Write(t, root, map[string]string{"catalog/a.yaml": "a: 1\n"})

	rel, err := filepath.Rel(filepath.Join(root, "catalog"), secret)
	if err != nil || !strings.HasPrefix(rel, "..") {
		t.Fatalf("no relative path from the folder to %s: %q, %v", secret, rel, err)
	}
	link(t, rel, filepath.Join(root, "catalog/relative.yaml"))
	link(t, secret, filepath.Join(root, "catalog/absolute.yaml"))
	link(t, "nope.yaml", filepath.Join(root, "catalog/broken.yaml"))

	snap := sourcetest.Fetch(t, newSource(t, Options{Path: root}), "")
	if got, want := sourcetest.Paths(snap.Files), []string{"catalog/a.yaml"}; !slices.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	for _, f := range snap.Files {
		if strings.Contains(string(f.Content), "secret") {
			t.Errorf("%s holds the content of the file outside the folder", f.Path)
		}
	}
	got := problems(snap)
	wantProblems := map[string]string{
		"catalog/relative.yaml": "outside the repository",
		"catalog/absolute.yaml": "outside the repository",
		"catalog/broken.yaml":   "broken symlink",
	}
	if len(got) != len(wantProblems) || len(snap.Problems) != len(wantProblems) {
		t.Errorf("problems = %+v, want one for each of %v", snap.Problems, wantProblems)
	}
	for p, words := range wantProblems {
		prob, ok := got[p]
		if !ok {
			t.Errorf("no problem for %s", p)
			continue
		}
		if prob.Code != diag.CodeSymlink || !strings.Contains(prob.Message, words) {
			t.Errorf("problem for %s = %+v, want code %s and a message saying %q", p, prob, diag.CodeSymlink, words)
		}
	}

	t.Run("a link outside the globs is not reported", func(t *testing.T) {
		link(t, secret, filepath.Join(root, "docs/absolute.yaml"))
		snap := sourcetest.Fetch(t, newSource(t, Options{Path: root, Paths: []string{"catalog/a.yaml"}}), "")
		if len(snap.Problems) != 0 || !slices.Equal(sourcetest.Paths(snap.Files), []string{"catalog/a.yaml"}) {
			t.Errorf("files=%v problems=%+v, want only catalog/a.yaml and no problems", sourcetest.Paths(snap.Files), snap.Problems)
		}
	})
}

func TestAFileOverMaxFileBytesIsReportedAsTooLarge(t *testing.T) {
	root := t.TempDir()
	testrepo.Write(t, root, map[string]string{
		"catalog/small.yaml": "a: 1\n",
		"catalog/edge.yaml":  strings.Repeat("x", 16),
		"catalog/big.yaml":   strings.Repeat("x", 17),
		"catalog/huge.proto": strings.Repeat("x", 1000),
	})

	snap := sourcetest.Fetch(t, newSource(t, Options{Path: root, MaxFileBytes: 16}), "")
	if got, want := sourcetest.Paths(snap.Files), []string{"catalog/edge.yaml", "catalog/small.yaml"}; !slices.Equal(got, want) {
		t.Errorf("files = %v, want %v (a file of exactly the limit is read)", got, want)
	}
	// A config file is a problem, so its last good entities stay;
	// another file is only listed as ignored.
	want := "too-large: file is 17 bytes, more than the limit of 16 (centralConfig.limits.maxFileBytes); it was not read"
	if got := sourcetest.Messages(snap.Problems); len(got) != 1 || got["catalog/big.yaml"] != want {
		t.Errorf("problems = %v, want only catalog/big.yaml: %q", got, want)
	}
	want = "too-large: file is 1000 bytes, more than the limit of 16 (centralConfig.limits.maxFileBytes); it was not read, so a $text/$json/$yaml placeholder cannot use it"
	if got := sourcetest.Messages(snap.Ignored); len(got) != 1 || got["catalog/huge.proto"] != want {
		t.Errorf("ignored = %v, want only catalog/huge.proto: %q", got, want)
	}

	t.Run("the default limit of 4 MiB reads every file", func(t *testing.T) {
		snap := sourcetest.Fetch(t, newSource(t, Options{Path: root}), "")
		if len(snap.Files) != 4 || len(snap.Problems)+len(snap.Ignored) != 0 {
			t.Errorf("files=%v problems=%+v ignored=%+v, want 4 files and nothing else", sourcetest.Paths(snap.Files), snap.Problems, snap.Ignored)
		}
	})

	t.Run("an ignored file that changes size changes the revision", func(t *testing.T) {
		s := newSource(t, Options{Path: root, MaxFileBytes: 16})
		before := sourcetest.Fetch(t, s, "").Revision
		testrepo.Write(t, root, map[string]string{"catalog/huge.proto": strings.Repeat("x", 2000)})
		if after := sourcetest.Fetch(t, s, before); after.Unchanged {
			t.Errorf("Fetch says unchanged; the ignored file's size changed")
		}
	})
}

func TestFilesOverTheDefaultLimitAreNotReadIntoMemory(t *testing.T) {
	root := t.TempDir()
	const blobSize = 20 << 20
	testrepo.Write(t, root, map[string]string{
		"catalog/a.yaml":   "a: 1\n",
		"catalog/big.yaml": strings.Repeat("# padding\n", (5<<20)/10),
		"docs/api.md":      "# the API\n",
		"assets/blob.bin":  strings.Repeat("\x00", blobSize),
	})
	s := newSource(t, Options{Path: root})
	var snap *source.Snapshot
	sourcetest.ReadsNoLargeFile(t, "folder", blobSize, func() { snap = sourcetest.Fetch(t, s, "") })
	if got, want := sourcetest.Paths(snap.Files), []string{"catalog/a.yaml", "docs/api.md"}; !slices.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	if got := sourcetest.Messages(snap.Problems); len(got) != 1 || !strings.Contains(got["catalog/big.yaml"], "file is 5242880 bytes, more than the limit of 4194304") {
		t.Errorf("problems = %v, want catalog/big.yaml too large", got)
	}
	if got := sourcetest.Messages(snap.Ignored); len(got) != 1 || !strings.Contains(got["assets/blob.bin"], "file is 20971520 bytes, more than the limit of 4194304") {
		t.Errorf("ignored = %v, want assets/blob.bin too large", got)
	}
}

func TestAMissingFolderGivesAnError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	s := newSource(t, Options{ID: "gone", Path: missing})
	snap, err := s.Fetch(context.Background(), "")
	if err == nil {
		t.Fatalf("Fetch of a missing folder returned %+v", snap)
	}
	if !os.IsNotExist(err) && !strings.Contains(err.Error(), "no such file") {
		t.Errorf("error %v does not say the folder does not exist", err)
	}
	if !strings.Contains(err.Error(), "gone") || !strings.Contains(err.Error(), missing) {
		t.Errorf("error %v does not name the source and the folder", err)
	}

	t.Run("a file instead of a folder gives an error", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file.yaml")
		testrepo.Write(t, filepath.Dir(file), map[string]string{"file.yaml": "a: 1\n"})
		_, err := newSource(t, Options{Path: file}).Fetch(context.Background(), "")
		if err == nil || !strings.Contains(err.Error(), "not a folder") {
			t.Errorf("error %v, want one saying it is not a folder", err)
		}
	})
}

func TestACanceledContextStopsTheFetch(t *testing.T) {
	root := t.TempDir()
	testrepo.Write(t, root, repoFiles)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newSource(t, Options{Path: root}).Fetch(ctx, ""); err == nil || !strings.Contains(err.Error(), context.Canceled.Error()) {
		t.Errorf("error %v, want context canceled", err)
	}
}

func TestLocationLinksPointAtTheFileOnDiskWithoutAWebView(t *testing.T) {
	root := t.TempDir()
	testrepo.Write(t, root, map[string]string{"catalog/a b.yaml": "a: 1\n"})

	// A relative Path is made absolute.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	relRoot, err := filepath.Rel(wd, root)
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]string{"an absolute path": root, "a relative path": relRoot} {
		t.Run(name, func(t *testing.T) {
			snap := sourcetest.Fetch(t, newSource(t, Options{Path: p}), "")
			if snap.Links == nil {
				t.Fatal("Links is nil")
			}
			want := "file:" + filepath.Join(root, "catalog", "a b.yaml")
			if got := snap.Links.Location(snap.Revision, "catalog/a b.yaml"); got != want {
				t.Errorf("Location = %s, want %s", got, want)
			}
			if got := snap.Links.View(snap.Revision, "catalog/a b.yaml"); got != "" {
				t.Errorf("View = %q, want empty", got)
			}
			if got := snap.Links.Edit("catalog/a b.yaml"); got != "" {
				t.Errorf("Edit = %q, want empty", got)
			}
			if unchanged := sourcetest.Fetch(t, newSource(t, Options{Path: p}), snap.Revision); unchanged.Links == nil {
				t.Error("an unchanged snapshot has no Links")
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"a missing path", Options{ID: "x"}, "path is required"},
		{"an invalid glob", Options{ID: "x", Path: ".", Paths: []string{"catalog/["}}, "invalid path pattern"},
		{"an absolute glob", Options{ID: "x", Path: ".", Paths: []string{"/catalog/**"}}, "relative to the repository root"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New(%+v) error = %v, want one saying %q", tc.opts, err, tc.want)
			}
		})
	}
}

func TestAFolderReachedThroughASymlinkReadsItsInsideLinks(t *testing.T) {
	target := t.TempDir()
	testrepo.Write(t, target, map[string]string{"catalog/real.yaml": "real: 1\n"})
	link(t, "real.yaml", filepath.Join(target, "catalog/link.yaml"))

	for _, tc := range []struct {
		name string
		path func(parent string) string // makes the symlink, returns Path
	}{
		{"the folder itself is a symlink", func(parent string) string {
			p := filepath.Join(parent, "config")
			link(t, target, p)
			return p
		}},
		{"a parent folder is a symlink", func(parent string) string {
			via := filepath.Join(parent, "via")
			link(t, filepath.Dir(target), via)
			return filepath.Join(via, filepath.Base(target))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.path(t.TempDir())
			snap := sourcetest.Fetch(t, newSource(t, Options{Path: p}), "")
			want := map[string]string{"catalog/link.yaml": "real: 1\n", "catalog/real.yaml": "real: 1\n"}
			if got := sourcetest.Contents(snap.Files); !maps.Equal(got, want) || len(snap.Problems) != 0 {
				t.Errorf("files = %v, problems = %+v; want %v and none", got, snap.Problems, want)
			}
			wantLoc := "file:" + filepath.Join(p, "catalog", "real.yaml")
			if got := snap.Links.Location(snap.Revision, "catalog/real.yaml"); got != wantLoc {
				t.Errorf("Location = %s, want the configured path %s", got, wantLoc)
			}
		})
	}
}
