package git

import (
	"context"
	"os"
	"testing"

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
