package github

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/source/githubauth/apptest"
)

// The fake speaks the parts of the GitHub REST API the source uses, with
// GitHub's headers and error bodies, as go-github v75 parses them.

const (
	testToken = "ghp_S3cr3tT0kenThatMustNeverLeak0123456789"
	testOwner = "acme"
	testRepo  = "config"
	// dlToken stands for the short-lived token GitHub puts in the
	// codeload URL of a private repository's archive.
	dlToken = "dl-token-abc"
)

type compareFile struct {
	Filename         string `json:"filename"`
	Status           string `json:"status"`
	PreviousFilename string `json:"previous_filename,omitempty"`
}

type compareAnswer struct {
	Status string
	Files  []compareFile
}

type fakeGitHub struct {
	t      *testing.T
	srv    *httptest.Server
	prefix string // "" for api.github.com, "/api/v3" for GitHub Enterprise

	mu       sync.Mutex
	branches map[string]string        // branch -> commit SHA
	tarballs map[string][]byte        // commit SHA -> .tar.gz
	compares map[string]compareAnswer // "base...head" -> answer

	limit, remaining int
	reset            time.Time
	// primaryStatus is what an exhausted quota answers: 403 or 429.
	primaryStatus int
	// secondaryStatus, when set, makes every API call hit a secondary
	// limit with that status, and Retry-After: retryAfter when > 0.
	secondaryStatus int
	retryAfter      int

	hits        map[string]int // "commits", "commits-304", "tarball", "codeload", "compare"
	auth        string         // Authorization of the last API request
	ifNoneMatch string         // If-None-Match of the last commit request

	// echo401 makes a refused request's message quote its Authorization,
	// as a careless proxy might.
	echo401 bool
	// message403, when set, answers every repository request 403 with it.
	message403 string

	// apps is GitHub's App API: installations and their tokens, which
	// the repository endpoints accept as well as testToken.
	apps *apptest.Apps
}

func newFake(t *testing.T, prefix string) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{
		t: t, prefix: prefix,
		branches: map[string]string{}, tarballs: map[string][]byte{}, compares: map[string]compareAnswer{},
		limit: 5000, remaining: 5000, reset: time.Now().Add(time.Hour).Truncate(time.Second),
		primaryStatus: http.StatusForbidden,
		hits:          map[string]int{},
		apps:          apptest.New(),
	}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// push makes branch point at a new commit with the given tree.
func (f *fakeGitHub) push(branch, seed string, entries ...entry) string {
	sha := fmt.Sprintf("%x", sha1.Sum([]byte(seed)))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.branches[branch] = sha
	f.tarballs[sha] = makeTarball(f.t, sha, entries...)
	return sha
}

func (f *fakeGitHub) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[name]
}

func (f *fakeGitHub) resetHits() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits = map[string]int{}
}

func (f *fakeGitHub) rateHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(f.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(f.remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(f.reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(f.limit-f.remaining))
	h.Set("X-RateLimit-Resource", "core")
}

func (f *fakeGitHub) jsonError(w http.ResponseWriter, status int, message, doc string) {
	f.rateHeaders(w)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"message": message, "documentation_url": doc, "status": strconv.Itoa(status),
	})
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/codeload/") || strings.HasPrefix(r.URL.Path, "/_codeload/") {
		f.codeload(w, r)
		return
	}
	if f.apps.Handle(w, r, f.prefix) {
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, f.prefix+"/")
	if !ok || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	f.auth = r.Header.Get("Authorization")
	if !f.authorized(rest) {
		// GitHub answers an expired installation token as any other.
		msg := "Bad credentials"
		if f.echo401 {
			msg += ": " + f.auth
		}
		f.jsonError(w, http.StatusUnauthorized, msg, "https://docs.github.com/rest")
		return
	}
	if f.message403 != "" {
		f.jsonError(w, http.StatusForbidden, f.message403, "https://docs.github.com/rest")
		return
	}
	if f.secondaryStatus != 0 {
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		}
		f.jsonError(w, f.secondaryStatus,
			"You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ABCD:1234.",
			"https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits")
		return
	}
	if f.remaining <= 0 {
		f.jsonError(w, f.primaryStatus, "API rate limit exceeded for user ID 1.",
			"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit")
		return
	}

	// repos/{owner}/{repo}/{endpoint}/{tail}
	parts := strings.SplitN(rest, "/", 5)
	if len(parts) < 5 || parts[0] != "repos" {
		f.jsonError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
		return
	}
	if parts[1] != testOwner || parts[2] != testRepo {
		f.remaining--
		f.jsonError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/commits/commits#get-a-commit")
		return
	}
	switch endpoint, tail := parts[3], parts[4]; endpoint {
	case "commits":
		f.commit(w, r, tail)
	case "tarball":
		f.tarball(w, r, tail)
	case "compare":
		f.compare(w, tail)
	default:
		f.jsonError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
	}
}

// authorized accepts testToken, or an installation token that may read
// the repository of the path.
func (f *fakeGitHub) authorized(rest string) bool {
	if f.auth == "Bearer "+testToken || f.auth == "token "+testToken {
		return true
	}
	tok, ok := strings.CutPrefix(f.auth, "Bearer ")
	parts := strings.SplitN(rest, "/", 4)
	return ok && len(parts) >= 3 && parts[0] == "repos" && f.apps.Authorized(tok, parts[1], parts[2])
}

func etagOf(sha string) string { return `W/"` + fmt.Sprintf("%x", sha1.Sum([]byte("etag"+sha))) + `"` }

func (f *fakeGitHub) commit(w http.ResponseWriter, r *http.Request, ref string) {
	f.hits["commits"]++
	if got := r.Header.Get("Accept"); got != "application/vnd.github.sha" {
		f.t.Errorf("commit request Accept = %q, want application/vnd.github.sha", got)
	}
	f.ifNoneMatch = r.Header.Get("If-None-Match")
	sha, ok := f.branches[ref]
	if !ok {
		f.remaining--
		f.jsonError(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+ref,
			"https://docs.github.com/rest/commits/commits#get-a-commit")
		return
	}
	etag := etagOf(sha)
	w.Header().Set("ETag", etag)
	if f.ifNoneMatch == etag {
		// GitHub does not count a 304 against the quota.
		f.hits["commits-304"]++
		f.rateHeaders(w)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	f.remaining--
	f.rateHeaders(w)
	w.Header().Set("Content-Type", "application/vnd.github.sha; charset=utf-8")
	_, _ = w.Write([]byte(sha))
}

func (f *fakeGitHub) tarball(w http.ResponseWriter, r *http.Request, ref string) {
	f.hits["tarball"]++
	f.remaining--
	if _, ok := f.tarballs[ref]; !ok {
		f.jsonError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar")
		return
	}
	f.rateHeaders(w)
	// github.com sends the download to another host; GHES to its own.
	loc := "https://codeload.github.com/codeload/"
	if f.prefix != "" {
		loc = "http://" + r.Host + "/_codeload/"
	}
	w.Header().Set("Location", loc+testOwner+"/"+testRepo+"/legacy.tar.gz/"+ref+"?token="+dlToken)
	w.WriteHeader(http.StatusFound)
}

func (f *fakeGitHub) codeload(w http.ResponseWriter, r *http.Request) {
	f.hits["codeload"]++
	if a := r.Header.Get("Authorization"); a != "" {
		f.t.Errorf("archive download carried an Authorization header; the API token must stay with the API")
	}
	if r.URL.Query().Get("token") != dlToken {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	sha := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	body, ok := f.tarballs[sha]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-gzip")
	_, _ = w.Write(body)
}

func (f *fakeGitHub) compare(w http.ResponseWriter, basehead string) {
	f.hits["compare"]++
	f.remaining--
	ans, ok := f.compares[basehead]
	if !ok {
		f.jsonError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/commits/commits#compare-two-commits")
		return
	}
	files := make([]map[string]any, 0, len(ans.Files))
	for _, cf := range ans.Files {
		m := map[string]any{"sha": "0000000000000000000000000000000000000000", "filename": cf.Filename, "status": cf.Status,
			"additions": 1, "deletions": 1, "changes": 2}
		if cf.PreviousFilename != "" {
			m["previous_filename"] = cf.PreviousFilename
		}
		files = append(files, m)
	}
	f.rateHeaders(w)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"url": "https://api.github.com/repos/acme/config/compare/" + basehead, "status": ans.Status,
		"ahead_by": 1, "behind_by": 0, "total_commits": 1, "commits": []any{}, "files": files,
	})
}

type entry struct {
	name, body, link string
	dir              bool
}

func file(name, body string) entry     { return entry{name: name, body: body} }
func symlink(name, to string) entry    { return entry{name: name, link: to} }
func folder(name string) entry         { return entry{name: name, dir: true} }
func bigFile(name string, n int) entry { return entry{name: name, body: strings.Repeat("x", n)} }

// makeTarball builds an archive shaped like GitHub's: a pax global header
// carrying the commit SHA, then everything under owner-repo-sha7/.
func makeTarball(t *testing.T, sha string, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header",
		PAXRecords: map[string]string{"comment": sha}}))
	top := testOwner + "-" + testRepo + "-" + sha[:7] + "/"
	must(tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: top, Mode: 0o775}))
	for _, e := range entries {
		switch {
		case e.dir:
			must(tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: top + e.name + "/", Mode: 0o775}))
		case e.link != "":
			must(tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: top + e.name, Linkname: e.link, Mode: 0o777}))
		default:
			must(tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: top + e.name, Size: int64(len(e.body)), Mode: 0o664}))
			_, err := tw.Write([]byte(e.body))
			must(err)
		}
	}
	must(tw.Close())
	must(zw.Close())
	return buf.Bytes()
}

// toServer sends every request, whatever its host, to the fake, so the
// source runs with its github.com defaults.
type toServer struct{ target *url.URL }

func (ts toServer) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host = ts.target.Scheme, ts.target.Host
	return http.DefaultTransport.RoundTrip(r)
}

// newSource returns a source for acme/config@main talking to f as if it
// were api.github.com; edit adjusts the options first.
func newSource(t *testing.T, f *fakeGitHub, edit func(*Options)) *Source {
	t.Helper()
	target, _ := url.Parse(f.srv.URL)
	opts := Options{
		ID: "cfg", Owner: testOwner, Repo: testRepo, Branch: "main", Token: testToken,
		HTTPClient: &http.Client{Transport: toServer{target}},
	}
	if edit != nil {
		edit(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
