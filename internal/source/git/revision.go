package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/central-config/central-config/internal/source"
)

// FetchRevisions reads the files of revisions of the repository (each a
// commit SHA, a branch, a tag, or what git's rev-parse accepts, such as
// HEAD~1 or <sha>^1, a merge commit's first parent), with the same paths,
// limits and symlink rules as Fetch; the snapshots come in the order of
// revs. A file URL's repository (bare or not) is read in place, without a
// clone and without writing to it. Of a remote one, what revs need is
// fetched into a temporary folder on disk, not into memory, which is
// removed before FetchRevisions returns: when each revision names a
// branch or a tag, only their last commits; else every branch and tag
// with its history (a remote branch b is also found as b). ctx's deadline
// bounds the fetch. It is what
// `central-config diff --git` reads its two revisions with; it does not
// touch the clone Fetch keeps.
func (s *Source) FetchRevisions(ctx context.Context, revs ...string) ([]*source.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	repo, cleanup, err := s.openForRevisions(ctx, revs)
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

// openForRevisions opens a local repository in place, or fetches what
// revs need of a remote one into a temporary folder; cleanup removes that
// folder.
func (s *Source) openForRevisions(ctx context.Context, revs []string) (repo *gogit.Repository, cleanup func(), err error) {
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
	if s.app != nil {
		if err := s.appAuth(ctx); err != nil {
			return nil, nil, err
		}
	}
	dir, err := os.MkdirTemp("", "central-config-diff-")
	if err != nil {
		return nil, nil, err
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	repo, err = s.fetchRevisions(ctx, dir, revs)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return repo, cleanup, nil
}

// fetchRevisions fetches into a new bare repository in dir what revs
// need: when each names a branch or a tag of the remote, only those refs'
// last commits (a shallow fetch, depth 1); else every branch and tag with
// their history (a SHA or an expression such as main~2 may need any).
func (s *Source) fetchRevisions(ctx context.Context, dir string, revs []string) (*gogit.Repository, error) {
	repo, err := gogit.PlainInit(dir, true)
	if err != nil {
		return nil, err
	}
	remote, err := repo.CreateRemote(&config.RemoteConfig{Name: remoteName, URLs: []string{s.url}})
	if err != nil {
		return nil, err
	}
	refs, err := remote.ListContext(ctx, &gogit.ListOptions{Auth: s.authMethod()})
	if err != nil {
		s.forgetRefused(err)
		return nil, s.fetchError(ctx, "list", err)
	}
	specs, depth := revisionRefSpecs(refs, revs)
	err = remote.FetchContext(ctx, &gogit.FetchOptions{RemoteName: remoteName, RefSpecs: specs, Depth: depth, Auth: s.authMethod(), Tags: gogit.NoTags})
	if err != nil && !errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		s.forgetRefused(err)
		return nil, s.fetchError(ctx, "fetch", err)
	}
	return repo, nil
}

// revisionRefSpecs returns the refspecs and depth that fetch revs from a
// remote with refs: the branches and tags revs name, at depth 1, when
// every one names one; else every branch and tag, whole (depth 0).
func revisionRefSpecs(refs []*plumbing.Reference, revs []string) ([]config.RefSpec, int) {
	branch := func(name string) config.RefSpec {
		return config.RefSpec(fmt.Sprintf("+refs/heads/%s:refs/remotes/%s/%[1]s", name, remoteName))
	}
	tag := func(name string) config.RefSpec {
		return config.RefSpec(fmt.Sprintf("+refs/tags/%s:refs/tags/%[1]s", name))
	}
	var specs []config.RefSpec
	for _, rev := range revs {
		var spec config.RefSpec
		for _, r := range refs {
			switch r.Name() {
			case plumbing.NewBranchReferenceName(rev):
				spec = branch(rev)
			case plumbing.NewTagReferenceName(rev):
				if spec == "" {
					spec = tag(rev)
				}
			}
		}
		if spec == "" {
			return []config.RefSpec{branch("*"), tag("*")}, 0
		}
		if !slices.Contains(specs, spec) {
			specs = append(specs, spec)
		}
	}
	return specs, 1
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
