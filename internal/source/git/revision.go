package git

import (
	"context"
	"errors"
	"fmt"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/central-config/central-config/internal/source"
)

// FetchRevision reads the files of any revision of the repository (a
// commit SHA, a branch, a tag, or what git's rev-parse accepts, such as
// HEAD~1), with the same paths, limits and symlink rules as Fetch. A file
// URL's repository (bare or not) is read in place, without a clone and
// without writing to it; a remote one is cloned once into memory with
// every branch and tag, so its revisions must be reachable from one (a
// remote branch b is also found as b). It is what `central-config diff
// --git` reads its two revisions with; it does not touch the clone Fetch
// keeps.
func (s *Source) FetchRevision(ctx context.Context, rev string) (*source.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.revRepo == nil {
		repo, err := s.openForRevisions(ctx)
		if err != nil {
			return nil, err
		}
		s.revRepo = repo
	}
	hash, err := s.resolve(rev)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s, err)
	}
	snap := &source.Snapshot{Revision: hash.String(), Links: s.links}
	// read works on s.repo; point it at the revisions' repository for
	// this read and put the fetch clone back after.
	fetchRepo := s.repo
	s.repo = s.revRepo
	defer func() { s.repo = fetchRepo }()
	if err := s.read(ctx, hash, "", snap); err != nil {
		var dmg *damageError
		if errors.As(err, &dmg) {
			err = dmg.err
		}
		return nil, fmt.Errorf("%s: revision %s: %w", s, rev, err)
	}
	return snap, nil
}

// openForRevisions opens a local repository in place, or clones a remote
// one into memory with all its branches and tags.
func (s *Source) openForRevisions(ctx context.Context) (*gogit.Repository, error) {
	if s.localPath != "" {
		repo, err := gogit.PlainOpenWithOptions(s.localPath, &gogit.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
		if err != nil {
			return nil, fmt.Errorf("%s: %s", s, missingLocal(s.localPath))
		}
		return repo, nil
	}
	repo, err := gogit.CloneContext(ctx, memory.NewStorage(), nil, &gogit.CloneOptions{
		URL:        s.url,
		Auth:       s.authMethod(),
		RemoteName: remoteName,
		NoCheckout: true,
		Tags:       gogit.AllTags,
	})
	if err != nil {
		return nil, s.fetchError(ctx, "clone", err)
	}
	return repo, nil
}

// resolve finds the commit a revision names; a remote repository's
// branches are remote-tracking refs, so b is also looked up as origin/b.
func (s *Source) resolve(rev string) (plumbing.Hash, error) {
	if rev == "" {
		return plumbing.ZeroHash, errors.New("an empty revision")
	}
	hash, err := s.revRepo.ResolveRevision(plumbing.Revision(rev))
	if err != nil && s.localPath == "" {
		hash, err = s.revRepo.ResolveRevision(plumbing.Revision(remoteName + "/" + rev))
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("revision %q not found in the repository", rev)
	}
	if _, err := s.revRepo.CommitObject(*hash); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("revision %q is not a commit", rev)
	}
	return *hash, nil
}
