// Package gittest runs a real git server for tests: git's own smart HTTP
// server (git-http-backend) behind net/http/cgi, with HTTP basic auth, over
// bare repositories a test creates and commits to with the git CLI.
package gittest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// gitHTTPBackend is git's own smart HTTP server, run as a CGI program so
// the tests talk to a real git server rather than to go-git.
const gitHTTPBackend = "/usr/lib/git-core/git-http-backend"

// Token is the only password the server accepts.
const Token = "t0ken-5ecret-for-tests-8c1f"

// Server serves the bare repositories under root over smart HTTP, behind
// HTTP basic auth.
type Server struct {
	t    testing.TB
	root string
	srv  *httptest.Server
	down atomic.Bool
	// check, when set, decides basic auth instead of Token.
	check atomic.Pointer[func(username, password string) bool]

	mu      sync.Mutex
	uploads []string // bodies of git-upload-pack requests, for negotiation checks
}

// NewServer starts a server that lives until the test ends. It fails the
// test (never skips) when git or git-http-backend is missing.
func NewServer(t testing.TB) *Server {
	t.Helper()
	if _, err := os.Stat(gitHTTPBackend); err != nil {
		t.Fatalf("git-http-backend is required for the git server tests: %v", err)
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is required for the git server tests: %v", err)
	}
	s := &Server{t: t, root: t.TempDir()}
	backend := &cgi.Handler{
		Path: gitHTTPBackend,
		Env: []string{
			"GIT_PROJECT_ROOT=" + s.root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
			"HOME=" + s.root,
		},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.down.Load() {
			// Drop the connection without an answer, as a dead server's
			// host would.
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		user, pass, ok := r.BasicAuth()
		if !ok || !s.accepts(user, pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			w.WriteHeader(http.StatusUnauthorized)
			// A careless server that echoes what it got: the client
			// must keep this out of its errors all the same.
			fmt.Fprintf(w, "bad credentials %q (Authorization: %s)\n", pass, r.Header.Get("Authorization"))
			return
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
			body, _ := io.ReadAll(r.Body)
			s.mu.Lock()
			s.uploads = append(s.uploads, string(body))
			s.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// SetPasswordCheck makes the server accept the credentials check
// approves instead of Token: for passwords that change, such as a GitHub
// App's installation tokens.
func (s *Server) SetPasswordCheck(check func(username, password string) bool) { s.check.Store(&check) }

func (s *Server) accepts(user, pass string) bool {
	if c := s.check.Load(); c != nil {
		return (*c)(user, pass)
	}
	return pass == Token
}

// Close stops the server for good (a server that went away).
func (s *Server) Close() { s.srv.Close() }

// SetDown makes the server drop every connection (down) or serve again.
func (s *Server) SetDown(down bool) { s.down.Store(down) }

// UploadRequests returns and forgets the upload-pack request bodies seen.
func (s *Server) UploadRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.uploads
	s.uploads = nil
	return out
}

// Repo is a bare repository on the server plus a work clone to commit
// from.
type Repo struct {
	t    testing.TB
	bare string
	work string
	// URL is the repository's address on the test server.
	URL string
}

// Dir is the bare repository's folder, for file:// URLs and clones.
func (r *Repo) Dir() string { return r.bare }

// NewRepo creates an empty bare repository named name on the server.
func (s *Server) NewRepo(name string) *Repo {
	s.t.Helper()
	r := &Repo{
		t:    s.t,
		bare: filepath.Join(s.root, name+".git"),
		work: s.t.TempDir(),
		URL:  s.srv.URL + "/" + name + ".git",
	}
	Run(s.t, s.root, "-c", "init.defaultBranch=main", "init", "-q", "--bare", r.bare)
	Run(s.t, r.work, "-c", "init.defaultBranch=main", "init", "-q", ".")
	Run(s.t, r.work, "remote", "add", "origin", r.bare)
	return r
}

// Delete as a value in Commit's map removes the path.
const Delete = "\x00delete"

// Symlink as a value in Commit's map makes the path a symlink to target.
func Symlink(target string) string { return "\x00symlink:" + target }

// Commit applies changes (path -> content, Delete or Symlink(target)) in
// the work clone, commits and pushes to branch, and returns the commit SHA.
func (r *Repo) Commit(branch string, changes map[string]string) string {
	r.t.Helper()
	for p, content := range changes {
		full := filepath.Join(r.work, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.RemoveAll(full); err != nil {
			r.t.Fatal(err)
		}
		switch {
		case content == Delete:
		case strings.HasPrefix(content, "\x00symlink:"):
			if err := os.Symlink(strings.TrimPrefix(content, "\x00symlink:"), full); err != nil {
				r.t.Fatal(err)
			}
		default:
			if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
				r.t.Fatal(err)
			}
		}
	}
	Run(r.t, r.work, "add", "-A")
	Run(r.t, r.work, "commit", "-q", "--allow-empty", "-m", "test commit")
	Run(r.t, r.work, "push", "-q", "origin", "HEAD:refs/heads/"+branch)
	return Run(r.t, r.work, "rev-parse", "HEAD")
}

// Run runs the git CLI in dir, isolated from the user's git config, and
// returns its trimmed output.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0", "HOME="+dir,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
