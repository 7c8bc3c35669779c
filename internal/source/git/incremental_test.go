package git

import (
	"context"
	"slices"
	"strings"
	"testing"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/source/sourcetest"
)

// TestAFetchSinceTheLastSnapshotReadsOnlyTheChangeAndGivesWhatAWholeWalkGives
// follows one source through a series of commits and compares each
// snapshot with a fresh source's, which walks the whole tree: the files
// (sorted, with their content), problems, ignored files and changed paths
// must be the same. Commits without a matched symlink are read from the
// change alone.
func TestAFetchSinceTheLastSnapshotReadsOnlyTheChangeAndGivesWhatAWholeWalkGives(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("series")
	big := strings.Repeat("x", 100)
	steps := []struct {
		name    string
		changes map[string]string
		// walk is true when the step must walk the whole tree.
		walk bool
	}{
		{"first", map[string]string{
			"catalog/a.yaml":         "a: 1\n",
			"catalog/sub/b.yml":      "b: 2\n",
			"catalog/sub/c.yaml":     "c: 3\n",
			"catalog-x.yaml":         "outside: true\n",
			"kafka/topics.yaml":      "topics: []\n",
			"kafka/deep/x.yaml":      "deep: true\n",
			"kafka/notes.txt":        "notes\n",
			"notes/n.txt":            "n\n",
			"catalog/grow.yaml":      "g: 1\n",
			"catalog/grow.txt":       "g\n",
			"catalog/toobig.yaml":    "big: " + big + "\n",
			"catalog/.hidden/h.yaml": "h: 1\n",
		}, true},
		{"modify", map[string]string{"catalog/a.yaml": "a: 2\n"}, false},
		{"add, also where the paths do not match", map[string]string{
			"catalog/new.yaml": "n: 1\n", "kafka/deep/y.yaml": "y: 1\n", "catalog/.hidden/i.yaml": "i: 1\n",
			"catalog/sub/deeper/d.json": `{"d": 4}`, "zzz.yaml": "z: 1\n",
		}, false},
		{"delete a folder's files", map[string]string{"catalog/sub/b.yml": gittest.Delete, "catalog/sub/c.yaml": gittest.Delete}, false},
		{"rename", map[string]string{"catalog/a.yaml": gittest.Delete, "catalog/z/a.yaml": "a: 2\n"}, false},
		{"grow past the size limit", map[string]string{"catalog/grow.yaml": "g: " + big + "\n", "catalog/grow.txt": big}, false},
		{"shrink under it, and a too-large file gone", map[string]string{
			"catalog/grow.yaml": "g: 2\n", "catalog/grow.txt": "g\n", "catalog/toobig.yaml": gittest.Delete,
		}, false},
		{"the same content at two paths", map[string]string{"catalog/copy.yaml": "n: 1\n"}, false},
		{"no change", map[string]string{}, false},
		{"a symlink outside the paths", map[string]string{"notes/link": gittest.Symlink("../catalog")}, false},
		{"a matched symlink", map[string]string{"catalog/link.yaml": gittest.Symlink("new.yaml")}, true},
		{"its target changes", map[string]string{"catalog/new.yaml": "n: 2\n"}, true},
		{"it leaves the repository", map[string]string{"catalog/link.yaml": gittest.Symlink("../../etc/passwd")}, true},
		{"it goes", map[string]string{"catalog/link.yaml": gittest.Delete}, true},
		{"back to reading the change", map[string]string{"catalog/new.yaml": "n: 3\n", "kafka/topics.yaml": "topics: [a]\n"}, false},
	}
	opts := Options{ID: "series", URL: "file://" + repo.Dir(), Paths: []string{"catalog/**", "kafka/*.yaml"}, MaxFileBytes: 64}
	s := newSource(t, opts)
	since := ""
	for _, step := range steps {
		sha := repo.Commit("main", step.changes)
		walks := s.walks
		got := sourcetest.Fetch(t, s, since)
		if walked := s.walks > walks; walked != step.walk {
			t.Errorf("%s: walked the whole tree = %v, want %v", step.name, walked, step.walk)
		}
		want := sourcetest.Fetch(t, newSource(t, opts), since)
		if got.Revision != sha || want.Revision != sha {
			t.Fatalf("%s: revisions %s and %s, want %s", step.name, got.Revision, want.Revision, sha)
		}
		if !slices.IsSortedFunc(got.Files, func(a, b source.File) int { return strings.Compare(a.Path, b.Path) }) {
			t.Errorf("%s: files not sorted by path: %v", step.name, sourcetest.Paths(got.Files))
		}
		if g, w := sourcetest.Contents(got.Files), sourcetest.Contents(want.Files); !mapsEqual(g, w) || len(got.Files) != len(want.Files) {
			t.Errorf("%s: files = %v, want %v", step.name, g, w)
		}
		if !slices.Equal(got.Problems, want.Problems) {
			t.Errorf("%s: problems = %v, want %v", step.name, got.Problems, want.Problems)
		}
		if !slices.Equal(got.Ignored, want.Ignored) {
			t.Errorf("%s: ignored = %v, want %v", step.name, got.Ignored, want.Ignored)
		}
		if (got.Changed == nil) != (want.Changed == nil) || !slices.Equal(got.Changed, want.Changed) {
			t.Errorf("%s: changed = %#v, want %#v", step.name, got.Changed, want.Changed)
		}
		if since != "" && got.Changed == nil {
			t.Errorf("%s: changed unknown since a commit the clone has", step.name)
		}
		since = sha
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestTheTreeDiffFindsWhatGoGitsDiffFinds compares diffTrees with
// go-git's DiffTree over a series of commits, files turning into folders
// and back included.
func TestTheTreeDiffFindsWhatGoGitsDiffFinds(t *testing.T) {
	repo := gittest.NewServer(t).NewRepo("diff")
	shas := []string{
		repo.Commit("main", map[string]string{"a": "1", "a.b": "2", "a-c/x": "3", "d/e/f": "4", "d/e/g": "5", "z": "6"}),
		repo.Commit("main", map[string]string{"a": gittest.Delete}),
		repo.Commit("main", map[string]string{"a/inner": "7", "d/e/f": "4!", "d/h": "8"}),
		repo.Commit("main", map[string]string{"d/e/f": gittest.Delete, "d/e/g": gittest.Delete, "a.b": gittest.Symlink("z")}),
		repo.Commit("main", map[string]string{"a/inner": gittest.Delete}),
		repo.Commit("main", map[string]string{"a": "back", "new/deep/er/file": "9"}),
		repo.Commit("main", map[string]string{}),
	}
	r, err := gogit.PlainOpen(repo.Dir())
	if err != nil {
		t.Fatal(err)
	}
	tree := func(sha string) *object.Tree {
		c, err := r.CommitObject(plumbing.NewHash(sha))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := c.Tree()
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	for i := range shas {
		for j := range shas {
			a, b := tree(shas[i]), tree(shas[j])
			changes, err := diffTrees(context.Background(), r.Storer, a, b, true)
			if err != nil {
				t.Fatalf("%d..%d: %v", i, j, err)
			}
			var got []string
			for _, c := range changes {
				got = append(got, c.path)
			}
			theirs, err := object.DiffTree(a, b)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, c := range theirs {
				for _, p := range []string{c.From.Name, c.To.Name} {
					if p != "" && !slices.Contains(want, p) {
						want = append(want, p)
					}
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%d..%d: changes %v, want %v", i, j, got, want)
			}
		}
	}
}
