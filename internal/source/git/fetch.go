package git

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5/osfs"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/memory"
)

// remoteName is the remote of the cached clone. Its URL is compared with
// the configured one to tell our clone from someone else's.
const remoteName = "origin"

// FetchError is returned by Fetch when the repository could not be cloned
// or fetched: the server is down, refuses the credentials, or has no such
// repository or branch. Neither URL nor Err carries credentials.
type FetchError struct {
	// Op is "clone" for the first download and "fetch" afterwards.
	Op string
	// URL is the repository URL without userinfo.
	URL string
	// Branch is the branch that was asked for.
	Branch string
	// Err says what went wrong. errors.Is sees through it to go-git's
	// sentinel errors (transport.ErrAuthenticationRequired and friends),
	// to ErrBranchNotFound and to context errors.
	Err error
}

// Error reads like "git fetch https://host/repo.git (branch main):
// authentication failed: ...".
func (e *FetchError) Error() string {
	return fmt.Sprintf("git %s %s (branch %s): %v", e.Op, e.URL, e.Branch, e.Err)
}

// Unwrap lets errors.Is and errors.As look at the cause.
func (e *FetchError) Unwrap() error { return e.Err }

// ErrBranchNotFound is matched by errors.Is when the remote has no branch
// of the configured name (or no branches at all).
var ErrBranchNotFound = errors.New("branch not found")

// safeError is an error whose message is known to be free of secrets. It
// answers errors.Is for the errors it stands for but deliberately does not
// unwrap to them, because their messages (a server's 401 body, say) may
// quote the credentials.
type safeError struct {
	msg    string
	causes []error
}

func (e *safeError) Error() string { return e.msg }

func (e *safeError) Is(target error) bool {
	for _, c := range e.causes {
		if errors.Is(c, target) {
			return true
		}
	}
	return false
}

// damageError marks a failure of the local clone rather than of the
// remote, so Fetch knows that a fresh clone may cure it.
type damageError struct{ err error }

func (e *damageError) Error() string { return e.err.Error() }
func (e *damageError) Unwrap() error { return e.err }

// update brings the clone up to date with the remote branch and returns
// the branch head.
func (s *Source) update(ctx context.Context) (plumbing.Hash, error) {
	if s.repo == nil && s.dir != "" {
		repo, err := openCache(s.dir, s.url, s.objects)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("%s: %w", s, err)
		}
		s.repo = repo
	}
	if err := ctx.Err(); err != nil {
		op := "fetch"
		if s.repo == nil {
			op = "clone"
		}
		return plumbing.ZeroHash, s.fetchError(ctx, op, err)
	}
	if s.repo == nil {
		repo, err := s.clone(ctx)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		s.repo = repo
	} else if err := s.pull(ctx); err != nil {
		return plumbing.ZeroHash, err
	}
	ref, err := s.repo.Reference(plumbing.NewRemoteReferenceName(remoteName, s.branch), true)
	if err != nil {
		return plumbing.ZeroHash, &damageError{fmt.Errorf("reading the head of branch %s: %w", s.branch, err)}
	}
	return ref.Hash(), nil
}

func (s *Source) clone(ctx context.Context) (*gogit.Repository, error) {
	opts := &gogit.CloneOptions{
		URL:           s.url,
		Auth:          s.authMethod(),
		RemoteName:    remoteName,
		ReferenceName: plumbing.NewBranchReferenceName(s.branch),
		SingleBranch:  true,
		NoCheckout:    true,
		Tags:          gogit.NoTags,
	}
	var (
		repo *gogit.Repository
		err  error
	)
	if s.dir == "" {
		repo, err = gogit.CloneContext(ctx, memory.NewStorage(), nil, opts)
	} else {
		if mkErr := os.MkdirAll(filepath.Dir(s.dir), 0o700); mkErr != nil {
			return nil, fmt.Errorf("%s: creating the cache directory: %w", s, mkErr)
		}
		repo, err = gogit.CloneContext(ctx, diskStorage(s.dir, s.objects), nil, opts)
		if err != nil {
			// A half-written clone would be taken for a good one next
			// time.
			_ = removeCache(s.dir)
		}
	}
	if err != nil {
		return nil, s.fetchError(ctx, "clone", err)
	}
	return repo, nil
}

// pull fetches the branch into the existing clone.
func (s *Source) pull(ctx context.Context) error {
	spec := config.RefSpec(fmt.Sprintf("+refs/heads/%s:refs/remotes/%s/%[1]s", s.branch, remoteName))
	err := s.repo.FetchContext(ctx, &gogit.FetchOptions{
		RemoteName: remoteName,
		RefSpecs:   []config.RefSpec{spec},
		Auth:       s.authMethod(),
		Tags:       gogit.NoTags,
		Force:      true,
	})
	switch {
	case err == nil, errors.Is(err, gogit.NoErrAlreadyUpToDate):
		return nil
	case ctx.Err() == nil && s.dir != "" && isLocalDamage(err):
		return &damageError{fmt.Errorf("fetching into the cached clone: %w", s.redactErr(err))}
	default:
		return s.fetchError(ctx, "fetch", err)
	}
}

// authMethod returns the auth as an interface that is nil when there is
// none: go-git would call methods on a typed nil.
func (s *Source) authMethod() transport.AuthMethod {
	if s.auth == nil {
		return nil
	}
	return s.auth
}

// isLocalDamage reports errors that come from the cached clone's own files
// rather than from the remote. It errs on the side of "remote": a network
// hiccup must not throw away a large clone.
func isLocalDamage(err error) bool {
	var pathErr *fs.PathError
	return errors.Is(err, plumbing.ErrObjectNotFound) ||
		errors.Is(err, idxfile.ErrMalformedIdxFile) ||
		errors.Is(err, idxfile.ErrUnsupportedVersion) ||
		errors.As(err, &pathErr)
}

// fetchError wraps a clone or fetch failure in a FetchError with a message
// a config repo owner can act on and no secrets in it.
func (s *Source) fetchError(ctx context.Context, op string, err error) *FetchError {
	if ctxErr := ctx.Err(); ctxErr != nil {
		err = ctxErr
	}
	return &FetchError{Op: op, URL: s.url, Branch: s.branch, Err: s.explain(err)}
}

func (s *Source) explain(err error) error {
	safe := func(msg string, causes ...error) error {
		return &safeError{msg: msg, causes: append(causes, err)}
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, gogit.NoMatchingRefSpecError{}), errors.Is(err, plumbing.ErrReferenceNotFound):
		return safe(fmt.Sprintf("branch %q not found in the repository", s.branch), ErrBranchNotFound)
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return safe(fmt.Sprintf("branch %q not found: the repository is empty", s.branch), ErrBranchNotFound)
	case errors.Is(err, transport.ErrAuthenticationRequired) && s.app != nil:
		return safe(fmt.Sprintf("authentication failed: the server rejected the installation token of %s; the next run mints a new one", s.app))
	case errors.Is(err, transport.ErrAuthenticationRequired) && s.auth != nil:
		return safe("authentication failed: the server rejected the token")
	case errors.Is(err, transport.ErrAuthenticationRequired):
		return safe("authentication required: the server asks for credentials and no token is configured")
	case errors.Is(err, transport.ErrAuthorizationFailed):
		return safe("access denied: the token may not read this repository")
	case errors.Is(err, transport.ErrRepositoryNotFound) && s.localPath != "":
		return safe(missingLocal(s.localPath))
	case errors.Is(err, transport.ErrRepositoryNotFound) && s.auth != nil:
		return safe("repository not found, or the token may not see it")
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return safe("repository not found (a private repository needs a token)")
	default:
		return s.redactErr(err)
	}
}

// missingLocal explains why a file URL's path names no repository: it
// does not exist, or is not a git repository.
func missingLocal(path string) string {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("the path %s does not exist", path)
	}
	return fmt.Sprintf("%s is not a git repository", path)
}

// objectCacheBytes bounds the objects go-git keeps decoded in memory for
// an on-disk clone. Its default (96 MiB) would hold most of a large
// repository's blobs a second time: the source keeps the content of the
// last snapshot's blobs itself, and what a fetch needs from go-git is
// mostly trees. The cache is emptied after each fetch, so it holds
// nothing between runs.
const objectCacheBytes = 4 * cache.MiByte

// diskStorage is the storage of the bare clone in dir, with objects as
// its cache of decoded objects (a new one when nil).
func diskStorage(dir string, objects cache.Object) *filesystem.Storage {
	if objects == nil {
		objects = cache.NewObjectLRU(objectCacheBytes)
	}
	return filesystem.NewStorage(osfs.New(dir), objects)
}

// openCache opens the clone in dir. It returns nil when there is none yet,
// and removes dir and returns nil when dir holds something that is not our
// clone of wantURL (broken, not bare, another remote).
func openCache(dir, wantURL string, objects cache.Object) (*gogit.Repository, error) {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	repo, err := gogit.Open(diskStorage(dir, objects), nil)
	if err == nil {
		cfg, cfgErr := repo.Config()
		if cfgErr == nil && cfg.Core.IsBare {
			if rc, ok := cfg.Remotes[remoteName]; ok && len(rc.URLs) == 1 && rc.URLs[0] == wantURL {
				return repo, nil
			}
		}
	}
	if err := removeCache(dir); err != nil {
		return nil, fmt.Errorf("removing unusable cache %s: %w", dir, err)
	}
	return nil, nil
}

// removeCache deletes a clone. dir is always CacheDir/<cacheName(ID)>,
// never CacheDir itself, so nothing else in CacheDir is at risk.
func removeCache(dir string) error {
	return os.RemoveAll(dir)
}
