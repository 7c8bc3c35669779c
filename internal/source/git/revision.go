package git

import (
	"context"
	"errors"
	"fmt"
	"os"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/central-config/central-config/internal/source"
)

// FetchRevisions reads the files of revisions of the repository (each a
// commit SHA, a branch, a tag, or what git's rev-parse accepts, such as
// HEAD~1 or <sha>^1, a merge commit's first parent), with the same paths,
// limits and symlink rules as Fetch; the snapshots come in the order of
// revs. A file URL's repository (bare or not) is read in place, without a
// clone and without writing to it. A remote one is cloned with its
// branches and tags (a remote branch b is also found as b) into a
// temporary folder on disk, not into memory, which is removed before
// FetchRevisions returns; ctx's deadline bounds the clone. It is what
// `central-config diff --git` reads its two revisions with; it does not
// touch the clone Fetch keeps.
func (s *Source) FetchRevisions(ctx context.Context, revs ...string) ([]*source.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	repo, cleanup, err := s.openForRevisions(ctx)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	// read works on s.repo; point it at the revisions' repository for
	// these reads and put the fetch clone back after.
	fetchRepo := s.repo
	s.repo = repo
	defer func() { s.repo = fetchRepo }()
	var out []*source.Snapshot
	for _, rev := range revs {
		hash, err := s.resolve(repo, rev)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
		snap := &source.Snapshot{Revision: hash.String(), Links: s.links}
		if err := s.read(ctx, hash, "", snap); err != nil {
			var dmg *damageError
			if errors.As(err, &dmg) {
				err = dmg.err
			}
			return nil, fmt.Errorf("%s: revision %s: %w", s, rev, err)
		}
		out = append(out, snap)
	}
	return out, nil
}

// openForRevisions opens a local repository in place, or clones a remote
// one with all its branches and tags into a temporary folder; cleanup
// removes that folder.
func (s *Source) openForRevisions(ctx context.Context) (repo *gogit.Repository, cleanup func(), err error) {
	if s.localPath != "" {
		// A bare repository, or a checkout's root; else a folder inside
		// a checkout. A linked worktree (git worktree add) keeps its
		// objects in the main repository's common dir.
		repo, err := gogit.PlainOpenWithOptions(s.localPath, &gogit.PlainOpenOptions{EnableDotGitCommonDir: true})
		if err != nil {
			repo, err = gogit.PlainOpenWithOptions(s.localPath, &gogit.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s", s, missingLocal(s.localPath))
		}
		return repo, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "central-config-diff-")
	if err != nil {
		return nil, nil, err
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	repo, err = gogit.PlainCloneContext(ctx, dir, true, &gogit.CloneOptions{
		URL:        s.url,
		Auth:       s.authMethod(),
		RemoteName: remoteName,
		NoCheckout: true,
		Tags:       gogit.AllTags,
	})
	if err != nil {
		cleanup()
		return nil, nil, s.fetchError(ctx, "clone", err)
	}
	return repo, cleanup, nil
}

// resolve finds the commit a revision names; a remote repository's
// branches are remote-tracking refs, so b is also looked up as origin/b.
func (s *Source) resolve(repo *gogit.Repository, rev string) (plumbing.Hash, error) {
	if rev == "" {
		return plumbing.ZeroHash, errors.New("an empty revision")
	}
	hash, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil && s.localPath == "" {
		hash, err = repo.ResolveRevision(plumbing.Revision(remoteName + "/" + rev))
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("revision %q not found in the repository", rev)
	}
	if _, err := repo.CommitObject(*hash); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("revision %q is not a commit", rev)
	}
	return *hash, nil
}
