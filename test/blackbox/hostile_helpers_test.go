package blackbox

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/enginetest"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/testrepo"
)

// What the hostile-file tests and the benchmark share: a repository of
// good files plus a hostile one, served to the real engine by a dir or a
// git source, a watchdog on the engine's peak memory, and the wait for a
// sync run to end.

// hostileRSSGoal is the goal: the engine's peak RSS while it syncs a
// repository holding any one hostile file.
const hostileRSSGoal = 300 << 20

// hostileGoodEntities is the size of the good part of every repository.
const hostileGoodEntities = 200

// hostileToken is the token of the engines these tests start.
const hostileToken = "test-token"

// hostileGoodFiles are the good files of every repository (testrepo.Generate).
func hostileGoodFiles() []source.File { return testrepo.Generate(hostileGoodEntities) }

// hostileEntityNames are the names of the entities files define: Generate writes
// every entity as a list item "  - name: X".
func hostileEntityNames(files []source.File) []string {
	var names []string
	for _, f := range files {
		for line := range strings.SplitSeq(string(f.Content), "\n") {
			if name, ok := strings.CutPrefix(line, "  - name: "); ok {
				names = append(names, strings.TrimSpace(name))
			}
		}
	}
	return names
}

// hostileSourceKind is how the engine reads the repository.
type hostileSourceKind string

const (
	hostileDir hostileSourceKind = "dir"
	hostileGit hostileSourceKind = "git"
)

// hostileRepo writes the good files, then extra files and the hostile
// case (when not nil), into a new folder, and returns it.
func hostileRepo(tb testing.TB, c *testrepo.HostileCase, extra ...source.File) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := testrepo.WriteFiles(dir, append(hostileGoodFiles(), extra...)); err != nil {
		tb.Fatal(err)
	}
	if c != nil {
		if err := c.Write(dir); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// hostileSourceConfig is the engine's source entry for the repository in dir:
// the folder itself, or a real git server (git's smart HTTP backend)
// serving one commit of it.
func hostileSourceConfig(tb testing.TB, kind hostileSourceKind, dir string) string {
	tb.Helper()
	switch kind {
	case hostileDir:
		return fmt.Sprintf("dir: {path: %q}", dir)
	case hostileGit:
		srv := gittest.NewServer(tb)
		repo := srv.NewRepo("central")
		// Low compression: the same blobs, committed in seconds instead
		// of a minute for the 200 MB one.
		gittest.Run(tb, dir, "-c", "init.defaultBranch=main", "init", "-q", ".")
		gittest.Run(tb, dir, "-c", "core.compression=1", "add", "-A")
		gittest.Run(tb, dir, "commit", "-q", "-m", "hostile repository")
		gittest.Run(tb, dir, "-c", "pack.compression=1", "push", "-q", repo.Dir(), "HEAD:refs/heads/main")
		return fmt.Sprintf("git: {url: %q, branch: main, token: %q}", repo.URL, gittest.Token)
	}
	tb.Fatalf("unknown source kind %q", kind)
	return ""
}

// hostileEngine starts the engine on one source (id central) that syncs at
// start and then only when asked (POST /central-config/sync).
func hostileEngine(tb testing.TB, src string) *enginetest.Engine {
	tb.Helper()
	return enginetest.Start(tb, enginetest.Options{Config: `centralConfig:
  sources:
    - id: central
      ` + src + `
      schedule: {frequency: {hours: 1}, timeout: {minutes: 10}}
  database: {connection: "{{dir}}/engine.db"}
  cacheDir: "{{dir}}/cache"
  server: {token: ` + hostileToken + `}
`})
}

// hostileWatch is a watchdog on the engine's peak RSS (VmHWM): it kills the
// engine as soon as the peak passes the limit, so that an engine that
// would take 20 GB (as every hostile file did before the fixes) fails its
// test at the limit instead of taking the machine down.
type hostileWatch struct {
	pid   int
	limit int64
	done  chan struct{}
	stop  func()

	mu     sync.Mutex
	peak   int64
	killed bool
}

// hostileWatchRSS starts the watchdog; it stops when the test ends.
func hostileWatchRSS(tb testing.TB, e *enginetest.Engine, limit int64) *hostileWatch {
	w := &hostileWatch{pid: e.Pid(), limit: limit, done: make(chan struct{})}
	w.stop = sync.OnceFunc(func() { close(w.done) })
	tb.Cleanup(w.stop)
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			hwm, err := hostileVmHWM(w.pid)
			if err != nil {
				return // the process is gone
			}
			w.mu.Lock()
			w.peak = max(w.peak, hwm)
			over := w.peak > w.limit
			if over {
				w.killed = true
			}
			w.mu.Unlock()
			if over {
				_ = syscall.Kill(w.pid, syscall.SIGKILL)
				return
			}
			select {
			case <-w.done:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// Peak is the highest VmHWM seen, reading it once more if the process
// is still there.
func (w *hostileWatch) Peak() int64 {
	hwm, err := hostileVmHWM(w.pid)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		w.peak = max(w.peak, hwm)
	}
	return w.peak
}

// Killed reports whether the watchdog killed the engine.
func (w *hostileWatch) Killed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.killed
}

// hostileVmHWM reads a process's peak resident memory, in bytes.
func hostileVmHWM(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status (a zombie?)", pid)
}

func hostileMB(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }

// The parts of GET /central-config/last-sync these tests read.
type hostileLastSync struct {
	Sources []hostileSource `json:"sources"`
}

type hostileSource struct {
	ID           string             `json:"id"`
	State        string             `json:"state"`
	EntityCount  int                `json:"entityCount"`
	RunningRunID *int64             `json:"runningRunId"`
	LastRun      *hostileRun        `json:"lastRun"`
	FileErrors   []hostileFileError `json:"fileErrors"`
}

type hostileRun struct {
	ID              int64              `json:"id"`
	Outcome         string             `json:"outcome"`
	DurationSeconds *float64           `json:"durationSeconds"`
	Reason          *string            `json:"reason"`
	Errors          []hostileFileError `json:"errors"`
}

type hostileFileError struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

func (f hostileFileError) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s [%s]", f.File, f.Line, f.Column, f.Severity, f.Message, f.Code)
}

// hostileAwaitRun waits until the source's last run is newer than run id after
// and has ended, and returns the source's status. Unlike
// enginetest.Eventually it does not fail the test: it returns why it
// stopped waiting (the watchdog killed the engine past its memory limit,
// the engine exited, or timeout), so the benchmark can record it.
func hostileAwaitRun(e *enginetest.Engine, w *hostileWatch, after int64, timeout time.Duration) (*hostileSource, error) {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		if w.Killed() {
			return nil, fmt.Errorf("peak RSS %s passed the limit of %s: the watchdog killed the engine before the run ended", hostileMB(w.Peak()), hostileMB(w.limit))
		}
		if e.Exited() {
			return nil, fmt.Errorf("the engine exited before the run ended (peak RSS %s); last answer: %w; log:\n%s", hostileMB(w.Peak()), last, hostileTail(e.Logs(), 30))
		}
		src, err := hostileSourceStatus(e)
		switch {
		case err != nil:
			last = err
		case src.LastRun == nil || src.LastRun.ID <= after:
			last = fmt.Errorf("no run after run %d yet (state %s)", after, src.State)
		case src.RunningRunID != nil || src.State == "syncing" || src.LastRun.Outcome == "running":
			last = fmt.Errorf("run %d still running", src.LastRun.ID)
		default:
			return src, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no finished run after %s (peak RSS %s): %w", timeout, hostileMB(w.Peak()), last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hostileSourceStatus is the source's entry in /central-config/last-sync.
func hostileSourceStatus(e *enginetest.Engine) (*hostileSource, error) {
	var ls hostileLastSync
	if err := e.GetJSON("/central-config/last-sync", &ls); err != nil {
		return nil, err
	}
	for i := range ls.Sources {
		if ls.Sources[i].ID == "central" {
			return &ls.Sources[i], nil
		}
	}
	return nil, fmt.Errorf("no source central in last-sync: %+v", ls)
}

// hostileSyncNow asks for a run of the source.
func hostileSyncNow(tb testing.TB, e *enginetest.Engine) {
	tb.Helper()
	code, body, err := e.Do(http.MethodPost, "/central-config/sync", hostileToken, []byte(`{"source":"central"}`))
	if err != nil || code/100 != 2 {
		tb.Fatalf("POST /central-config/sync: %d %s %v", code, body, err)
	}
}

// hostileEntity is what these tests read of a published entity.
type hostileEntity struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"metadata"`
}

// hostileServed are the entities GET /central-config/entities serves, by
// name.
func hostileServed(e *enginetest.Engine) (map[string]hostileEntity, error) {
	var full struct {
		Entities []hostileEntity `json:"entities"`
	}
	if err := e.GetJSON("/central-config/entities", &full); err != nil {
		return nil, err
	}
	out := make(map[string]hostileEntity, len(full.Entities))
	for _, en := range full.Entities {
		out[en.Metadata.Name] = en
	}
	return out, nil
}

// hostileMissing lists the names not served, at most five of them, and how many.
func hostileMissing(served map[string]hostileEntity, names []string) string {
	var out []string
	for _, n := range names {
		if _, ok := served[n]; !ok {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d not served (%s)", len(out), len(names), strings.Join(out[:min(5, len(out))], ", "))
}

func hostileTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
