// Package github reads a config repository through the GitHub REST API
// (github.com or GitHub Enterprise Server), without a git binary or a local
// clone: one cheap conditional request tells whether the branch moved, and
// only then is the commit's tarball downloaded.
package github

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	gh "github.com/google/go-github/v75/github"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/source/githubauth"
)

// DefaultMaxArchiveBytes is the uncompressed tarball size a source accepts
// when Options.MaxArchiveBytes is zero.
const DefaultMaxArchiveBytes int64 = 512 << 20

// DefaultWebURL is the browser base of github.com, used for links when
// neither WebURL nor BaseURL is set.
const DefaultWebURL = "https://github.com"

// mediaTypeSHA makes the commit endpoint answer with the bare SHA, which is
// a few bytes instead of the full commit JSON.
const mediaTypeSHA = "application/vnd.github.sha"

// Options configures a GitHub source.
type Options struct {
	// ID is the source's stable name from config.
	ID string
	// Owner is the user or organisation that owns the repository.
	Owner string
	// Repo is the repository name, without the owner.
	Repo string
	// Branch is the branch whose head is read.
	Branch string
	// Token authenticates API calls; empty reads public repositories with
	// the low unauthenticated rate limit.
	Token string
	// App, instead of Token, authenticates API calls with a GitHub App's
	// installation token, minted and renewed as it nears its expiry.
	App *githubauth.Installation
	// BaseURL is the GitHub Enterprise API base, for example
	// "https://ghe.example.com/api/v3/"; empty means api.github.com.
	BaseURL string
	// WebURL is the browser base used for file links; empty means
	// https://github.com, or the host of BaseURL for GitHub Enterprise.
	WebURL string
	// Paths are doublestar globs of the files to read (source.NewFilter).
	Paths []string
	// MaxFileBytes is the largest file read into memory; see
	// source.FileLimit for the default.
	MaxFileBytes int64
	// MaxArchiveBytes caps the uncompressed tarball size; zero means
	// DefaultMaxArchiveBytes.
	MaxArchiveBytes int64
	// HTTPClient carries proxies, timeouts and TLS settings; nil means a
	// plain http.Client.
	HTTPClient *http.Client
}

// String describes the options with the token hidden, so that logging a
// config value never leaks it.
func (o Options) String() string {
	tok := ""
	if o.Token != "" {
		tok = "[redacted]"
	}
	app := ""
	if o.App != nil {
		app = o.App.String()
	}
	return fmt.Sprintf("github.Options{ID:%q Owner:%q Repo:%q Branch:%q Token:%q App:%q BaseURL:%q WebURL:%q Paths:%q MaxFileBytes:%d MaxArchiveBytes:%d}",
		o.ID, o.Owner, o.Repo, o.Branch, tok, app, o.BaseURL, o.WebURL, o.Paths, o.MaxFileBytes, o.MaxArchiveBytes)
}

// GoString keeps %#v from printing the token field by field.
func (o Options) GoString() string { return o.String() }

// Source is a source.Source backed by the GitHub REST API. It is safe for
// concurrent use.
type Source struct {
	id, owner, repo, branch string
	webURL                  string
	filter                  *source.Filter
	maxBytes                int64
	maxFileBytes            int64
	client                  *gh.Client
	// download fetches the archive from the URL GitHub redirects to. It
	// sends no Authorization header: that URL carries its own short-lived
	// token and may be on another host.
	download *http.Client
	// redact is replaced in error text as a last line of defence; it is
	// never printed.
	redact string
	// app hands out installation tokens; nil with a static token.
	app *githubauth.Installation

	mu       sync.Mutex
	etag     string // ETag of the last 200 of the commit endpoint
	etagSHA  string // the SHA that answer carried
	rate     gh.Rate
	haveRate bool
	// blockedUntil is when the last rate limit answer allows the next
	// request; blockedBy is that answer.
	blockedUntil time.Time
	blockedBy    RateLimitError
}

var _ source.Source = (*Source)(nil)

var (
	ownerRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$`)
	repoRE  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	shaRE   = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)
)

// New checks the options and returns a source. Errors name the offending
// field.
func New(opts Options) (*Source, error) {
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	filter, err := source.NewFilter(opts.Paths)
	if err != nil {
		return nil, badOption(opts.ID, "Paths: %v", err)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	client, webURL, err := newClient(opts, hc)
	if err != nil {
		return nil, err
	}
	maxBytes := opts.MaxArchiveBytes
	if maxBytes == 0 {
		maxBytes = DefaultMaxArchiveBytes
	}
	return &Source{
		id: opts.ID, owner: opts.Owner, repo: opts.Repo, branch: opts.Branch,
		webURL:       webURL,
		filter:       filter,
		maxBytes:     maxBytes,
		maxFileBytes: source.FileLimit(opts.MaxFileBytes),
		client:       client,
		download:     hc,
		redact:       opts.Token,
		app:          opts.App,
	}, nil
}

// badOption is New's error for source id: which option is wrong, and how.
func badOption(id, format string, args ...any) error {
	return fmt.Errorf("github source %q: "+format, append([]any{id}, args...)...)
}

// checkOptions checks the repository, branch and credentials of opts.
func checkOptions(opts Options) error {
	if strings.TrimSpace(opts.ID) == "" {
		return errors.New("github source: ID is required")
	}
	fail := func(format string, args ...any) error { return badOption(opts.ID, format, args...) }
	switch {
	case opts.Owner == "":
		return fail("Owner is required")
	case !ownerRE.MatchString(opts.Owner):
		return fail("Owner %q is not a GitHub user or organisation name", opts.Owner)
	case opts.Repo == "":
		return fail("Repo is required")
	case strings.Contains(opts.Repo, "/"):
		return fail("Repo %q must be the repository name only; put the owner in Owner", opts.Repo)
	case !repoRE.MatchString(opts.Repo) || opts.Repo == "." || opts.Repo == "..":
		return fail("Repo %q is not a GitHub repository name", opts.Repo)
	case opts.Branch == "":
		return fail("Branch is required")
	}
	if err := checkBranch(opts.Branch); err != nil {
		return fail("Branch %q %v", opts.Branch, err)
	}
	if strings.IndexFunc(opts.Token, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		// The value is deliberately not echoed.
		return fail("Token contains whitespace or control characters (a stray newline from a secret file?)")
	}
	if opts.Token != "" && opts.App != nil {
		return fail("set Token or App, not both")
	}
	if opts.MaxArchiveBytes < 0 {
		return fail("MaxArchiveBytes must not be negative, got %d", opts.MaxArchiveBytes)
	}
	return nil
}

// newClient is the REST API client of opts over hc, with its credentials,
// and the web address of the GitHub it talks to.
func newClient(opts Options, hc *http.Client) (*gh.Client, string, error) {
	api := hc
	if opts.App != nil {
		// Only the API calls carry the installation token; the archive
		// download (hc) carries none.
		api = &http.Client{Transport: &githubauth.Transport{Base: hc.Transport, Tokens: opts.App},
			CheckRedirect: hc.CheckRedirect, Jar: hc.Jar, Timeout: hc.Timeout}
	}
	client := gh.NewClient(api)
	webURL := DefaultWebURL
	if opts.BaseURL != "" {
		u, err := checkHTTPURL(opts.BaseURL)
		if err != nil {
			return nil, "", badOption(opts.ID, "BaseURL: %v", err)
		}
		client, err = client.WithEnterpriseURLs(u.String(), u.String())
		if err != nil {
			return nil, "", badOption(opts.ID, "BaseURL: %v", err)
		}
		webURL = webFromAPI(client.BaseURL)
	}
	if opts.WebURL != "" {
		u, err := checkHTTPURL(opts.WebURL)
		if err != nil {
			return nil, "", badOption(opts.ID, "WebURL: %v", err)
		}
		webURL = strings.TrimSuffix(u.String(), "/")
	}
	if opts.Token != "" {
		client = client.WithAuthToken(opts.Token)
	}
	// The source keeps its own back-off (stillLimited) because go-github's
	// waits until X-RateLimit-Reset after any secondary limit.
	client.DisableRateLimitCheck = true
	// Without this, go-github reads the tarball redirect with a bare round
	// trip and turns 401/403/404 into an untyped "unexpected status code".
	client.RateLimitRedirectionalEndpoints = true
	client.UserAgent = "central-config"
	return client, webURL, nil
}

// checkBranch applies the parts of git's ref-name rules that matter for
// putting the name in a URL path.
func checkBranch(b string) error {
	switch {
	case strings.HasPrefix(b, "/") || strings.HasSuffix(b, "/") || strings.Contains(b, "//"):
		return errors.New("must not start or end with / or contain //")
	case strings.Contains(b, "..") || strings.Contains(b, "@{"):
		return errors.New("must not contain .. or @{")
	case strings.HasSuffix(b, ".") || strings.HasSuffix(b, ".lock"):
		return errors.New("must not end with . or .lock")
	case strings.ContainsAny(b, " ~^:?*[\\"):
		return errors.New("must not contain spaces or any of ~^:?*[\\")
	case strings.IndexFunc(b, unicode.IsControl) >= 0:
		return errors.New("must not contain control characters")
	}
	return nil
}

func checkHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %q", raw)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%q must be an absolute http(s) URL", u.Redacted())
	}
	if u.User != nil {
		return nil, fmt.Errorf("%q must not carry credentials; use Token", u.Redacted())
	}
	return u, nil
}

// webFromAPI guesses the browser base of a GitHub Enterprise API base:
// GHES serves the API under /api/v3 on the web host, GHE.com (data
// residency) on an api. subdomain.
func webFromAPI(api *url.URL) string {
	u := *api
	u.RawQuery, u.Fragment = "", ""
	p := strings.TrimSuffix(u.Path, "/")
	if strings.HasSuffix(p, "/api/v3") {
		u.Path = strings.TrimSuffix(p, "/api/v3")
	} else {
		u.Path = p
		u.Host = strings.TrimPrefix(u.Host, "api.")
	}
	u.RawPath = ""
	return strings.TrimSuffix(u.String(), "/")
}

// ID implements source.Source.
func (s *Source) ID() string { return s.id }

// String names the repository and branch, never the token.
func (s *Source) String() string {
	return fmt.Sprintf("github:%s/%s@%s", s.owner, s.repo, s.branch)
}

// GoString keeps %#v from printing the fields, among them the token.
func (s *Source) GoString() string { return s.String() }

// RateLimit reports the core API quota as of the last response: requests
// left, requests per hour and when it refills. limit is 0 until the first
// response, so metrics can tell "unknown" from "exhausted".
func (s *Source) RateLimit() (remaining, limit int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.haveRate {
		return 0, 0, time.Time{}
	}
	return s.rate.Remaining, s.rate.Limit, s.rate.Reset.Time
}

func (s *Source) noteRate(resp *gh.Response) {
	if resp == nil || (resp.Rate.Limit == 0 && resp.Rate.Reset.IsZero()) {
		return
	}
	s.mu.Lock()
	s.rate, s.haveRate = resp.Rate, true
	s.mu.Unlock()
}

// Fetch implements source.Source.
func (s *Source) Fetch(ctx context.Context, since string) (*source.Snapshot, error) {
	if rl := s.stillLimited(); rl != nil {
		return nil, &FetchError{Op: "resolve branch " + s.branch, Repo: s.owner + "/" + s.repo, Err: rl}
	}
	sha, err := s.resolve(ctx)
	if err != nil {
		return nil, s.fail("resolve branch "+s.branch, s.branch, err)
	}
	links := source.GitHubLinks(s.webURL, s.owner, s.repo, s.branch)
	if sha == since {
		return &source.Snapshot{Revision: sha, Unchanged: true, Links: links}, nil
	}

	arc, err := s.fetchArchive(ctx, sha, s.filter.Match)
	if err != nil {
		return nil, s.fail("download archive of "+short(sha), sha, err)
	}
	snap := &source.Snapshot{Revision: sha, Links: links}
	for p, content := range arc.files {
		snap.Files = append(snap.Files, source.File{Path: p, Content: content})
	}
	for p, size := range arc.tooLarge {
		snap.TooLarge(p, size, s.maxFileBytes)
	}
	chains, err := s.addLinks(ctx, sha, arc, snap)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(snap.Files, func(a, b source.File) int { return strings.Compare(a.Path, b.Path) })
	byPath := func(a, b source.FileProblem) int { return strings.Compare(a.Path, b.Path) }
	slices.SortFunc(snap.Problems, byPath)
	slices.SortFunc(snap.Ignored, byPath)

	if since == "" {
		return snap, nil
	}
	raw, err := s.compare(ctx, since, sha)
	if err != nil {
		return nil, s.fail("compare "+short(since)+"..."+short(sha), sha, err)
	}
	if raw == nil {
		return snap, nil
	}
	changed := map[string]bool{}
	for p := range raw {
		if s.filter.Match(p) {
			changed[p] = true
		}
	}
	// A link's content changes with anything on its chain, which compare
	// reports under the target's path, not the link's.
	for lp, chain := range chains {
		if slices.ContainsFunc(chain, func(p string) bool { return raw[p] }) {
			changed[lp] = true
		}
	}
	snap.Changed = make([]string, 0, len(changed))
	for p := range changed {
		snap.Changed = append(snap.Changed, p)
	}
	slices.Sort(snap.Changed)
	return snap, nil
}

// addLinks adds the symlinks that pass the filter to snap: the target's
// content at the link's path, or a FileProblem. It returns, per link, the
// paths its chain went through.
//
// Links are resolved after the whole stream is read because a target may
// come after its link in the tarball, or lie outside Paths and so not be
// kept; those targets cost a second pass over the (immutable) tarball of
// the same commit.
func (s *Source) addLinks(ctx context.Context, sha string, arc *archive, snap *source.Snapshot) (map[string][]string, error) {
	chains := map[string][]string{}
	targets := map[string]string{} // link path -> file path
	need := map[string]bool{}
	for lp := range arc.links {
		if !s.filter.Match(lp) {
			continue
		}
		target, chain, problem := arc.resolve(lp)
		chains[lp] = chain
		if problem != "" {
			snap.Problems = append(snap.Problems, source.FileProblem{Path: lp, Code: diag.CodeSymlink, Message: problem})
			continue
		}
		targets[lp] = target
		_, read := arc.files[target]
		_, big := arc.tooLarge[target]
		if !read && !big {
			need[target] = true
		}
	}
	if len(need) > 0 {
		extra, err := s.fetchArchive(ctx, sha, func(p string) bool { return need[p] })
		if err != nil {
			return nil, s.fail("download archive of "+short(sha)+" for symlink targets", sha, err)
		}
		maps.Copy(arc.files, extra.files)
		maps.Copy(arc.tooLarge, extra.tooLarge)
	}
	for lp, target := range targets {
		if size, ok := arc.tooLarge[target]; ok {
			snap.TooLarge(lp, size, s.maxFileBytes)
			continue
		}
		content, ok := arc.files[target]
		if !ok {
			// Only if the second download disagrees with the first.
			snap.Problems = append(snap.Problems, source.FileProblem{Path: lp, Code: diag.CodeSymlink,
				Message: fmt.Sprintf("symlink target %q could not be read", target)})
			continue
		}
		snap.Files = append(snap.Files, source.File{Path: lp, Content: content})
	}
	return chains, nil
}

// resolve returns the commit SHA at the head of the branch. The request is
// conditional: GitHub does not count a 304 against the rate limit, so
// polling an unchanged branch is free.
func (s *Source) resolve(ctx context.Context) (string, error) {
	u := fmt.Sprintf("repos/%s/%s/commits/%s", s.owner, s.repo, escapeRef(s.branch))
	req, err := s.client.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", mediaTypeSHA)
	s.mu.Lock()
	etag, etagSHA := s.etag, s.etagSHA
	s.mu.Unlock()
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}

	var buf bytes.Buffer
	resp, err := s.client.Do(ctx, req, &limitedWriter{w: &buf, n: 1024})
	s.noteRate(resp)
	if err != nil {
		var er *gh.ErrorResponse
		if etag != "" && errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotModified {
			return etagSHA, nil
		}
		return "", err
	}
	sha := strings.TrimSpace(buf.String())
	if !shaRE.MatchString(sha) {
		return "", fmt.Errorf("GitHub answered something that is not a commit SHA (%d bytes); is BaseURL a GitHub API?", len(sha))
	}
	if et := resp.Header.Get("ETag"); et != "" {
		s.mu.Lock()
		s.etag, s.etagSHA = et, sha
		s.mu.Unlock()
	}
	return sha, nil
}

// limitedWriter stops a misbehaving server from filling memory with what
// should be a 40-byte SHA.
type limitedWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if len(p) > l.n {
		return 0, errors.New("commit SHA answer is too long")
	}
	l.n -= len(p)
	return l.w.Write(p)
}

// fetchArchive downloads the tarball of sha and keeps the regular files
// that keep accepts.
func (s *Source) fetchArchive(ctx context.Context, sha string, keep func(string) bool) (*archive, error) {
	link, resp, err := s.client.Repositories.GetArchiveLink(ctx, s.owner, s.repo, gh.Tarball,
		&gh.RepositoryContentGetOptions{Ref: sha}, 3)
	s.noteRate(resp)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link.String(), nil)
	if err != nil {
		return nil, errors.New("GitHub redirected to an invalid archive URL")
	}
	req.Header.Set("User-Agent", "central-config")
	dl, err := s.download.Do(req)
	if err != nil {
		// The URL's query holds a download token; name the host only.
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("GET archive from %s: %w", link.Host, ue.Err)
		}
		return nil, err
	}
	defer func() { _ = dl.Body.Close() }()
	if dl.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("archive download from %s answered HTTP %d", link.Host, dl.StatusCode)
	}
	return readArchive(dl.Body, s.maxBytes, s.maxFileBytes, keep)
}

// compare returns every path (before and after renames) that differs
// between since and sha, or nil when GitHub cannot tell exactly.
func (s *Source) compare(ctx context.Context, since, sha string) (map[string]bool, error) {
	if !shaRE.MatchString(since) {
		return nil, nil
	}
	// Files come on the first page whatever its size; one commit per page
	// keeps the answer small.
	cmp, resp, err := s.client.Repositories.CompareCommits(ctx, s.owner, s.repo, since, sha, &gh.ListOptions{PerPage: 1})
	s.noteRate(resp)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		_ = s.noteLimit(s.classify(short(since), err))
		// The snapshot is complete already; nil Changed is always correct,
		// so a failed compare (unknown since, rate limit, 5xx) only costs
		// the caller a full re-read.
		return nil, nil
	}
	// Compare is a three-dot diff from the merge base. After a force push
	// (diverged) or a reset to an older commit (behind) it misses the
	// paths that only since changed.
	switch cmp.GetStatus() {
	case "ahead", "identical":
	default:
		return nil, nil
	}
	// GitHub lists at most 300 files and silently drops the rest.
	if len(cmp.Files) >= 300 {
		return nil, nil
	}
	raw := map[string]bool{}
	for _, f := range cmp.Files {
		if n := f.GetFilename(); n != "" {
			raw[n] = true
		}
		if n := f.GetPreviousFilename(); n != "" {
			raw[n] = true
		}
	}
	return raw, nil
}

// escapeRef escapes each segment of a branch name; GitHub does not accept
// %2F for the slashes of "feature/x".
func escapeRef(ref string) string {
	parts := strings.Split(ref, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
