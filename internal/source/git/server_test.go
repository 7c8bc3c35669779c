package git

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
	"testing"
)

// gitHTTPBackend is git's own smart HTTP server, run as a CGI program so
// the tests talk to a real git server rather than to go-git.
const gitHTTPBackend = "/usr/lib/git-core/git-http-backend"

// testToken is the only password the test server accepts.
const testToken = "t0ken-5ecret-for-tests-8c1f"

// testServer serves the bare repositories under root over smart HTTP,
// behind HTTP basic auth.
type testServer struct {
	t    *testing.T
	root string
	srv  *httptest.Server

	mu      sync.Mutex
	uploads []string // bodies of git-upload-pack requests, for negotiation checks
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	if _, err := os.Stat(gitHTTPBackend); err != nil {
		t.Skipf("git-http-backend not available: %v", err)
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skipf("git not available: %v", err)
	}
	s := &testServer{t: t, root: t.TempDir()}
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
		_, pass, ok := r.BasicAuth()
		if !ok || pass != testToken {
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

// uploadRequests returns and forgets the upload-pack request bodies seen.
func (s *testServer) uploadRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.uploads
	s.uploads = nil
	return out
}

// testRepo is a bare repository on the server plus a work clone to commit
// from.
type testRepo struct {
	t    *testing.T
	bare string
	work string
	// URL is the repository's address on the test server.
	URL string
}

func (s *testServer) newRepo(name string) *testRepo {
	s.t.Helper()
	r := &testRepo{
		t:    s.t,
		bare: filepath.Join(s.root, name+".git"),
		work: s.t.TempDir(),
		URL:  s.srv.URL + "/" + name + ".git",
	}
	runGit(s.t, s.root, "-c", "init.defaultBranch=main", "init", "-q", "--bare", r.bare)
	runGit(s.t, r.work, "-c", "init.defaultBranch=main", "init", "-q", ".")
	runGit(s.t, r.work, "remote", "add", "origin", r.bare)
	return r
}

// deleteFile as a value in commit's map removes the path.
const deleteFile = "\x00delete"

// symlink as a value in commit's map makes the path a symlink to target.
func symlink(target string) string { return "\x00symlink:" + target }

// commit applies changes (path -> content, deleteFile or symlink(target))
// in the work clone, commits and pushes to branch, and returns the commit
// SHA.
func (r *testRepo) commit(branch string, changes map[string]string) string {
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
		case content == deleteFile:
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
	runGit(r.t, r.work, "add", "-A")
	runGit(r.t, r.work, "commit", "-q", "--allow-empty", "-m", "test commit")
	runGit(r.t, r.work, "push", "-q", "origin", "HEAD:refs/heads/"+branch)
	return runGit(r.t, r.work, "rev-parse", "HEAD")
}

// runGit runs the git CLI in dir, isolated from the user's git config.
func runGit(t *testing.T, dir string, args ...string) string {
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
