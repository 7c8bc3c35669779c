// Package enginetest runs the real engine binary for black-box tests: it
// builds `central-config` once per test binary, starts `serve` as a child
// process on a free port with a given config, and lets a test read its HTTP
// API, its logs and its peak memory, and stop or kill it. Tests of what a
// user or an attacker sees of the service (limits, status after faults)
// use it instead of calling the packages in-process.
package enginetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/logtest"
	"github.com/central-config/central-config/internal/proctest"
)

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// Binary builds the engine (without the race detector: it is a separate
// process, and memory figures must be the real ones) and returns its
// path; the build is shared by every test of the test binary.
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "enginetest-")
		if build.err != nil {
			return
		}
		root, err := moduleRoot()
		if err != nil {
			build.err = err
			return
		}
		build.bin = filepath.Join(build.dir, "central-config")
		cmd := exec.Command("go", "build", "-o", build.bin, "./cmd/central-config")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("enginetest: not inside the module")
	}
	return filepath.Dir(mod), nil
}

// Engine is a running `central-config serve` process.
type Engine struct {
	t testing.TB
	// URL is the API's base, http://127.0.0.1:PORT.
	URL string
	// Dir is the engine's scratch folder (config, database, cache).
	Dir string

	proc *proctest.Process
	logs *logtest.Buffer
}

// Options start an engine.
type Options struct {
	// Config is the app-config YAML; "{{dir}}" in it is replaced by the
	// engine's scratch folder, so a test can place the database there.
	Config string
	// Env adds environment variables (KEY=value).
	Env []string
	// Dir is the scratch folder to use (for a restart on the same
	// database); a new one when empty.
	Dir string
	// NoWait returns without waiting for the engine to open its database.
	NoWait bool
}

// Start runs `central-config --config CONFIG serve --listen 127.0.0.1:PORT`
// and waits until it has opened its database. The process is stopped when the test
// ends, and its log printed if the test failed.
func Start(t testing.TB, opts Options) *Engine {
	t.Helper()
	bin := Binary(t)
	dir := opts.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	cfg := filepath.Join(dir, "app-config.yaml")
	if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(opts.Config, "{{dir}}", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	e := &Engine{t: t, URL: "http://" + addr, Dir: dir, logs: &logtest.Buffer{}}
	cmd := exec.Command(bin, "--config", cfg, "serve", "--listen", addr)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), opts.Env...)
	cmd.Stdout = e.logs
	cmd.Stderr = e.logs
	var err error
	if e.proc, err = proctest.Start(cmd); err != nil {
		t.Fatalf("start engine: %v", err)
	}
	t.Cleanup(func() {
		e.Stop()
		if t.Failed() {
			t.Logf("engine log (last 60 lines):\n%s", tail(e.Logs(), 60))
		}
	})
	if !opts.NoWait {
		// /healthz answers as soon as serve listens; the API once the
		// database is open and migrated, when /readyz stops saying
		// migrating (it may still fail for other reasons a test sets up).
		e.Eventually(30*time.Second, "the engine has opened its database", func() error {
			code, body, err := e.Get("/readyz")
			if err == nil && code != http.StatusOK && bytes.Contains(body, []byte(`"migrating: `)) {
				err = fmt.Errorf("status %d %s", code, body)
			}
			return err
		})
	}
	return e
}

// Stop ends the engine with SIGTERM (a graceful shutdown), SIGKILL after
// 20 seconds; it returns once the process has exited.
func (e *Engine) Stop() { e.proc.Stop(20 * time.Second) }

// Kill ends the engine with SIGKILL, as a crash would, and waits for it.
func (e *Engine) Kill() { e.proc.Kill() }

// Exited reports whether the process has ended.
func (e *Engine) Exited() bool { return e.proc.Exited() }

// Pid is the process id.
func (e *Engine) Pid() int { return e.proc.Pid() }

// Logs returns everything the engine has written so far.
func (e *Engine) Logs() string { return e.logs.String() }

// PeakRSS is the process's peak resident memory so far (VmHWM), in bytes.
func (e *Engine) PeakRSS() int64 {
	e.t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", e.Pid()))
	if err != nil {
		e.t.Fatalf("peak RSS: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				e.t.Fatalf("peak RSS: %q: %v", line, err)
			}
			return kb << 10
		}
	}
	e.t.Fatalf("peak RSS: no VmHWM in /proc/%d/status", e.Pid())
	return 0
}

// client has a timeout, so a stalled engine fails a test instead of
// hanging it.
var client = &http.Client{Timeout: 10 * time.Second}

// Get requests path and returns the status and body.
func (e *Engine) Get(path string) (int, []byte, error) {
	return e.Do(http.MethodGet, path, "", nil)
}

// Do sends a request with an optional bearer token and body.
func (e *Engine) Do(method, path, token string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, e.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// GetJSON requests path, requires 200 and decodes the body into v.
func (e *Engine) GetJSON(path string, v any) error {
	code, body, err := e.Get(path)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", path, code, tail(string(body), 3))
	}
	return json.Unmarshal(body, v)
}

// Eventually retries check every 100ms until it returns nil, and fails
// the test with its last error after timeout, or at once when the engine
// has exited.
func (e *Engine) Eventually(timeout time.Duration, what string, check func() error) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if e.Exited() {
			e.t.Fatalf("%s: the engine exited (%v): last error: %v\n%s", what, e.proc.Err(), err, tail(e.Logs(), 40))
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not after %s: %v", what, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// FreeAddr returns a loopback address with a port free right now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
