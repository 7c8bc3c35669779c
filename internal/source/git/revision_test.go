package git

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/central-config/central-config/internal/source/git/gittest"
)

// TestFetchRevisionsResolvesAParentAndLeavesNoCloneBehind reads a commit
// and its first parent (<sha>^1, as the workflow names a merge commit's
// base), by URL and by local path. The remote clone lives in a temporary
// folder that is gone once FetchRevisions returns.
func TestFetchRevisionsResolvesAParentAndLeavesNoCloneBehind(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("revs")
	first := repo.Commit("main", map[string]string{"a.yaml": "a: 1\n"})
	second := repo.Commit("main", map[string]string{"a.yaml": "a: 2\n"})
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, url := range []string{repo.URL, "file://" + repo.Dir()} {
		opts := Options{ID: "revs", URL: url}
		if url == repo.URL {
			opts.Token = gittest.Token
		}
		s := newSource(t, opts)
		snaps, err := s.FetchRevisions(context.Background(), second+"^1", "main", "main~1")
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if snaps[0].Revision != first || snaps[1].Revision != second || snaps[2].Revision != first {
			t.Errorf("%s: revisions %s, %s, %s; want %s, %s, %s", url, snaps[0].Revision, snaps[1].Revision, snaps[2].Revision, first, second, first)
		}
		if got := string(snaps[0].Files[0].Content); got != "a: 1\n" {
			t.Errorf("%s: %s^1 reads a.yaml as %q", url, second, got)
		}
		left, err := os.ReadDir(tmp)
		if err != nil || len(left) != 0 {
			t.Errorf("%s: the temporary folder holds %v (%v)", url, left, err)
		}
	}
}

// TestFetchRevisionsFetchesOnlyTheNamedBranchesAndTags: two branch or tag
// names fetch those refs at depth 1; a SHA or an expression anywhere
// fetches every branch and tag with their history.
func TestFetchRevisionsFetchesOnlyTheNamedBranchesAndTags(t *testing.T) {
	refs := []*plumbing.Reference{
		plumbing.NewHashReference("refs/heads/main", plumbing.ZeroHash),
		plumbing.NewHashReference("refs/heads/pr", plumbing.ZeroHash),
		plumbing.NewHashReference("refs/tags/v1", plumbing.ZeroHash),
	}
	all := []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"}
	for _, tc := range []struct {
		revs  []string
		specs []config.RefSpec
		depth int
	}{
		{[]string{"main", "pr"}, []config.RefSpec{"+refs/heads/main:refs/remotes/origin/main", "+refs/heads/pr:refs/remotes/origin/pr"}, 1},
		{[]string{"v1", "main"}, []config.RefSpec{"+refs/tags/v1:refs/tags/v1", "+refs/heads/main:refs/remotes/origin/main"}, 1},
		{[]string{"main", "main"}, []config.RefSpec{"+refs/heads/main:refs/remotes/origin/main"}, 1},
		{[]string{"main~1", "main"}, all, 0},
		{[]string{"main", "0123456789abcdef0123456789abcdef01234567"}, all, 0},
	} {
		specs, depth := revisionRefSpecs(refs, tc.revs)
		if !slices.Equal(specs, tc.specs) || depth != tc.depth {
			t.Errorf("%v: %v at depth %d, want %v at depth %d", tc.revs, specs, depth, tc.specs, tc.depth)
		}
	}

	srv := gittest.NewServer(t)
	repo := srv.NewRepo("branches")
	base := repo.Commit("main", map[string]string{"a.yaml": "a: 1\n"})
	repo.Commit("main", map[string]string{"a.yaml": "a: 2\n"})
	pr := repo.Commit("pr", map[string]string{"b.yaml": "b: 1\n"})
	s := newSource(t, Options{ID: "branches", URL: repo.URL, Token: gittest.Token})
	snaps, err := s.FetchRevisions(context.Background(), "main", "pr")
	if err != nil {
		t.Fatal(err)
	}
	if snaps[1].Revision != pr || len(snaps[0].Files) != 1 || string(snaps[0].Files[0].Content) != "a: 2\n" {
		t.Errorf("main %s %v, pr %s (want %s)", snaps[0].Revision, snaps[0].Files, snaps[1].Revision, pr)
	}
	// A name and a SHA: the whole history is fetched, so base is found.
	if snaps, err = s.FetchRevisions(context.Background(), base, "pr"); err != nil || snaps[0].Revision != base {
		t.Errorf("base by SHA: %v %v", snaps, err)
	}
}

// BenchmarkFetchRevisions fetches two revisions of a repository with a
// long history (100 commits of a 64 KiB file) by branch names (the last
// commits only) and by SHA (every branch with its history).
func BenchmarkFetchRevisions(b *testing.B) {
	srv := gittest.NewServer(b)
	repo := srv.NewRepo("history")
	var first string
	for i := range 100 {
		content := make([]byte, 64<<10)
		for j := range content {
			content[j] = byte('a' + (i*7+j*13)%26)
		}
		sha := repo.Commit("main", map[string]string{"big.txt": string(content)})
		if i == 0 {
			first = sha
		}
	}
	repo.Commit("pr", map[string]string{"b.yaml": "b: 1\n"})
	for _, bc := range []struct {
		name string
		revs []string
	}{{"branch names", []string{"main", "pr"}}, {"a SHA", []string{first, "pr"}}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s, err := New(Options{ID: "history", URL: repo.URL, Token: gittest.Token})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.FetchRevisions(context.Background(), bc.revs...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
