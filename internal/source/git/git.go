// Package git reads a config repository from a git server over HTTPS or
// HTTP (and file:// for local use). It keeps a bare, single-branch clone,
// on disk when a cache directory is configured so restarts fetch only what
// is new, and reads files straight from the object store: there is no
// worktree, so nothing from the repository is ever written out as files or
// followed as a symlink on the host.
package git

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"sync"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/source/githubauth"
)

// DefaultBranch is the branch read when Options.Branch is empty.
const DefaultBranch = "main"

// DefaultUsername is sent with a token when Options.Username is empty.
// GitHub requires this name for app installation tokens and accepts it for
// personal tokens; GitLab accepts any username alongside a token.
const DefaultUsername = "x-access-token"

// Options configures a git Source.
type Options struct {
	// ID is the source's stable name from config.
	ID string
	// URL is the repository's clone URL: https://, http:// or file://.
	// Credentials in its userinfo are moved into Username and Token and
	// removed from the URL; a lone user name, as in the common
	// "https://TOKEN@host/..." form, is taken as the token.
	URL string
	// Branch is the branch to read; DefaultBranch when empty.
	Branch string
	// Username goes with Token in HTTP basic auth; DefaultUsername when
	// empty.
	Username string
	// Token is the password or access token. It never appears in errors
	// or in String.
	Token string
	// App, instead of Token, sends a GitHub App's installation token as
	// the password (username x-access-token), renewed before it expires.
	App *githubauth.Installation
	// Paths are the doublestar globs of files to read; see source.Filter.
	Paths []string
	// MaxFileBytes is the largest file read into memory; see
	// source.FileLimit for the default.
	MaxFileBytes int64
	// CacheDir holds the on-disk clone, in a sub-directory named after ID.
	// Empty keeps the clone in memory, so each process clones afresh.
	CacheDir string
	// ViewURL and EditURL are browser URL templates with the placeholders
	// {revision}, {branch} and {path}, for hosts whose layout is not
	// guessed right from URL.
	ViewURL, EditURL string
	// CommitURL is the browser URL template of a commit, with {revision}.
	// When ViewURL is set, commit links come only from CommitURL.
	CommitURL string
}

// String describes the options with the token hidden, so options can be
// logged.
func (o Options) String() string {
	tok, app := "", ""
	if o.Token != "" {
		tok = "***"
	}
	if o.App != nil {
		app = o.App.String()
	}
	return fmt.Sprintf("{ID:%s URL:%s Branch:%s Username:%s Token:%s App:%s Paths:%v MaxFileBytes:%d CacheDir:%s ViewURL:%s EditURL:%s CommitURL:%s}",
		o.ID, sanitizeURL(o.URL), o.Branch, o.Username, tok, app, o.Paths, o.MaxFileBytes, o.CacheDir, o.ViewURL, o.EditURL, o.CommitURL)
}

// Format makes every fmt verb, %#v included, go through String; otherwise
// %#v would print the token.
func (o Options) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// Source is a git repository that implements source.Source. A Source is
// safe for concurrent use; fetches are serialized.
type Source struct {
	id     string
	url    string // without credentials
	branch string
	auth   *githttp.BasicAuth
	// app, when set, gives the password of auth before each fetch.
	app *githubauth.Installation
	// secrets are the strings scrubbed from error messages: the token
	// and the forms a server could echo it back in.
	secrets []string
	filter  *source.Filter
	dir     string // on-disk clone; "" means in memory
	links   source.Links
	// maxFileBytes is the largest blob read; larger ones are listed
	// without their content.
	maxFileBytes int64
	// localPath is the folder of a file URL, "" for http(s).
	localPath string

	mu   sync.Mutex
	repo *gogit.Repository
	// objects is the on-disk clone's cache of decoded objects, nil in
	// memory.
	objects cache.Object
	// last is what the last snapshot read: its files with the blob each
	// came from, so a file unchanged since then is not read and inflated
	// from the pack again (a blob id names its content), and a fetch
	// since that commit reads only what changed.
	last *lastRead
	// walks counts the reads that walked the whole tree, for tests.
	walks int
}

var _ source.Source = (*Source)(nil)

// New checks the options and returns a Source. It does not touch the
// network or the cache directory; the first Fetch does.
func New(opts Options) (*Source, error) {
	if strings.TrimSpace(opts.ID) == "" {
		return nil, errors.New("git source: ID is required")
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("git source %q: %s %s", opts.ID, field, fmt.Sprintf(format, args...))
	}
	u, err := parseURL(opts.URL, bad)
	if err != nil {
		return nil, err
	}
	username, token, err := credentialsOf(u, opts, bad)
	if err != nil {
		return nil, err
	}
	branch := strings.TrimPrefix(opts.Branch, "refs/heads/")
	if branch == "" {
		branch = DefaultBranch
	}
	if err := plumbing.NewBranchReferenceName(branch).Validate(); err != nil {
		return nil, bad("Branch", "%q is not a valid branch name", branch)
	}
	filter, err := source.NewFilter(opts.Paths)
	if err != nil {
		return nil, bad("Paths", "are invalid: %v", err)
	}
	links, err := linksOf(u, branch, opts, bad)
	if err != nil {
		return nil, err
	}

	s := &Source{
		id:           opts.ID,
		url:          u.String(),
		branch:       branch,
		filter:       filter,
		maxFileBytes: source.FileLimit(opts.MaxFileBytes),
		links:        links,
	}
	if token != "" {
		s.auth = &githttp.BasicAuth{Username: username, Password: token}
		s.secrets = secretForms(username, token)
	}
	s.app = opts.App
	if u.Scheme == "file" {
		s.localPath = u.Path
	}
	if opts.CacheDir != "" {
		s.dir = filepath.Join(filepath.Clean(opts.CacheDir), cacheName(opts.ID))
		s.objects = cache.NewObjectLRU(objectCacheBytes)
	}
	return s, nil
}

// badOption builds New's errors: which option of the source is wrong, and how.
type badOption func(field, format string, args ...any) error

// parseURL checks Options.URL: https, http or file, with a host or a path.
func parseURL(raw string, bad badOption) (*url.URL, error) {
	if raw == "" {
		return nil, bad("URL", "is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse errors quote the whole URL, credentials included.
		return nil, bad("URL", "is not a valid URL")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch u.Scheme {
	case "https", "http":
		if u.Host == "" {
			return nil, bad("URL", "has no host")
		}
	case "file":
		if u.User != nil {
			return nil, bad("URL", "is a file URL and cannot carry credentials")
		}
		if u.Path == "" {
			return nil, bad("URL", "is a file URL without a path")
		}
	case "":
		return nil, bad("URL", "needs a scheme: https://, http:// or file:// (SSH and scp-like addresses are not supported)")
	default:
		return nil, bad("URL", "has scheme %q; only https, http and file are supported", u.Scheme)
	}
	return u, nil
}

// credentialsOf is the user name and token the source fetches with, from
// Options and the URL's user info, which it removes from u. Both are empty
// for an anonymous source or one that authenticates as a GitHub App.
func credentialsOf(u *url.URL, opts Options, bad badOption) (username, token string, err error) {
	username, token = opts.Username, strings.TrimSpace(opts.Token)
	if u.User != nil {
		user := u.User.Username()
		pass, hasPass := u.User.Password()
		switch {
		case hasPass && token != "":
			return "", "", bad("URL", "carries a password and Token is set too; keep the token in Token only")
		case hasPass:
			token = pass
			if username == "" {
				username = user
			}
		case token == "":
			token = user
		case username == "":
			username = user
		}
		u.User = nil
	}
	if opts.App != nil {
		switch {
		case token != "" || username != "":
			return "", "", bad("App", "is set together with a token or user name (in Token, Username or the URL); set one")
		case u.Scheme == "file":
			return "", "", bad("App", "is set but a file URL takes no credentials")
		}
	}
	if token == "" && username != "" {
		return "", "", bad("Username", "is set but Token is empty")
	}
	if token != "" && u.Scheme == "file" {
		return "", "", bad("Token", "is set but a file URL takes no credentials")
	}
	if token != "" && username == "" {
		username = DefaultUsername
	}
	return username, token, nil
}

// linksOf checks the link templates of Options and builds the source's
// links to its files and commits.
func linksOf(u *url.URL, branch string, opts Options, bad badOption) (source.Links, error) {
	if opts.ViewURL != "" && !strings.Contains(opts.ViewURL, "{path}") {
		return nil, bad("ViewURL", "must contain {path}")
	}
	if opts.EditURL != "" && !strings.Contains(opts.EditURL, "{path}") {
		return nil, bad("EditURL", "must contain {path}")
	}
	if opts.CommitURL != "" && !strings.Contains(opts.CommitURL, "{revision}") {
		return nil, bad("CommitURL", "must contain {revision}")
	}
	links := linksFor(u, branch, opts.ViewURL, opts.EditURL, opts.CommitURL)
	if opts.EditURL != "" && links == nil {
		return nil, bad("EditURL", "needs ViewURL for a file URL")
	}
	if opts.CommitURL != "" && links == nil {
		return nil, bad("CommitURL", "needs ViewURL for a file URL")
	}
	return links, nil
}

// ID implements source.Source.
func (s *Source) ID() string { return s.id }

// String names the source for logs, without credentials.
func (s *Source) String() string {
	return fmt.Sprintf("git source %q (%s, branch %s)", s.id, s.url, s.branch)
}

// Format makes every fmt verb go through String, so that %+v or %#v of a
// Source cannot print the token held inside it.
func (s *Source) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// Fetch implements source.Source: it brings the clone up to date and reads
// the files of the branch head.
func (s *Source) Fetch(ctx context.Context, since string) (*source.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.objects != nil {
		// What go-git decoded for this fetch is of no use to the next,
		// which reads other objects, mostly.
		defer s.objects.Clear()
	}
	snap, err := s.fetch(ctx, since)
	var dmg *damageError
	if errors.As(err, &dmg) && s.dir != "" && ctx.Err() == nil {
		// The on-disk clone is unreadable (interrupted write, disk
		// trouble, someone else's files): start over from a fresh clone
		// rather than failing until someone clears the cache by hand.
		s.repo, s.last = nil, nil
		if rmErr := removeCache(s.dir); rmErr != nil {
			return nil, fmt.Errorf("%s: removing damaged cache: %w", s, rmErr)
		}
		snap, err = s.fetch(ctx, since)
	}
	var fe *FetchError
	switch {
	case err == nil, errors.As(err, &fe):
		return snap, err
	case errors.As(err, &dmg):
		return nil, fmt.Errorf("%s: %w", s, dmg.err)
	default:
		return nil, fmt.Errorf("%s: %w", s, err)
	}
}

func (s *Source) fetch(ctx context.Context, since string) (*source.Snapshot, error) {
	if s.app != nil {
		if err := s.appAuth(ctx); err != nil {
			return nil, err
		}
	}
	head, err := s.update(ctx)
	if err != nil {
		s.forgetRefused(err)
		return nil, err
	}
	snap := &source.Snapshot{Revision: head.String(), Links: s.links}
	if snap.Revision == since {
		snap.Unchanged = true
		return snap, nil
	}
	if err := s.read(ctx, head, since, snap); err != nil {
		return nil, err
	}
	return snap, nil
}

// forgetRefused drops an installation token the server refused (revoked,
// suspended), so the next fetch mints anew.
func (s *Source) forgetRefused(err error) {
	if s.app != nil && s.auth != nil && errors.Is(err, transport.ErrAuthenticationRequired) {
		s.app.Forget(s.auth.Password)
	}
}

// appAuth sets the app's installation token as the password of this
// fetch. Token hands out a token good for at least its renewal margin,
// so one fetch (its few requests) runs with one token.
func (s *Source) appAuth(ctx context.Context) error {
	tok, err := s.app.Token(ctx)
	if err != nil {
		op := "fetch"
		if s.repo == nil {
			op = "clone"
		}
		return &FetchError{Op: op, URL: s.url, Branch: s.branch, Err: err}
	}
	if s.auth == nil || s.auth.Password != tok {
		s.auth = &githttp.BasicAuth{Username: DefaultUsername, Password: tok}
		// The last token stays among the secrets too: an error may still
		// quote it.
		s.secrets = append(secretForms(DefaultUsername, tok), s.secrets...)
		if len(s.secrets) > 20 {
			s.secrets = s.secrets[:20]
		}
	}
	return nil
}
