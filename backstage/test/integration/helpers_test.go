//go:build backstage

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/central-config/central-config/internal/proctest"
)

// process is a server the test started: its output goes to a log file that
// is printed when the test fails.
type process struct {
	*proctest.Process
	t    testing.TB
	name string
	log  string
}

// start runs name (a label for logs) as a child that the kernel kills if
// the test binary dies first.
func start(t testing.TB, name, dir string, env []string, argv ...string) *process {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		fatalf(t, "%v", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = f
	cmd.Stderr = f
	proc, err := proctest.Start(cmd)
	if err != nil {
		_ = f.Close()
		fatalf(t, "start %s: %v", name, err)
	}
	p := &process{Process: proc, t: t, name: name, log: logPath}
	t.Cleanup(func() {
		p.stop()
		_ = f.Close()
		if t.Failed() {
			p.printLog(120)
		}
	})
	return p
}

// stop ends the process with SIGTERM (a graceful shutdown), SIGKILL after
// 30 seconds.
func (p *process) stop() {
	if p.Stop(30 * time.Second) {
		p.t.Logf("%s did not stop within 30s of SIGTERM; killed it", p.name)
	}
}

// output is what the process printed so far.
func (p *process) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func (p *process) printLog(lines int) {
	all := strings.Split(strings.TrimRight(p.output(), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	p.t.Logf("last %d lines of the %s log (%s):\n%s", len(all), p.name, p.log, strings.Join(all, "\n"))
}

// eventually retries check until it returns nil, failing the test with the
// last error after timeout. It gives up early when one of the watched
// processes exited.
func eventually(t testing.TB, timeout time.Duration, what string, check func() error, watch ...*process) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = check(); err == nil {
			return
		}
		for _, p := range watch {
			if p.Exited() {
				fatalf(t, "%s: %s exited (%v) while waiting: %v", what, p.name, p.Err(), err)
			}
		}
		if time.Now().After(deadline) {
			fatalf(t, "%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// buildEngine builds the engine from this tree into dir.
func buildEngine(t testing.TB, root, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "central-config")
	build := exec.Command("go", "build", "-o", bin, "./cmd/central-config")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fatalf(t, "go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatalf(t, "%v", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

var client = &http.Client{Timeout: 30 * time.Second}

// send sends an empty request, with a bearer token unless "".
func send(method, url, token string) (*http.Response, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return client.Do(req)
}

// getJSON GETs url with a bearer token and decodes a 200 JSON answer into v.
func getJSON(url, token string, v any) error {
	res, err := send(http.MethodGet, url, token)
	if err != nil {
		return err
	}
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", url, res.StatusCode, bytes.TrimSpace(body))
	}
	return json.Unmarshal(body, v)
}

// entity is the part of a Backstage entity the test compares.
type entity struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Description string            `json:"description"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
}

// ref is the entity's ref in the catalog's form: all lower case.
func (e entity) ref() string {
	ns := e.Metadata.Namespace
	if ns == "" {
		ns = "default"
	}
	return strings.ToLower(e.Kind + ":" + ns + "/" + e.Metadata.Name)
}

// catalog reads the Backstage catalog API with a static access token.
type catalog struct {
	baseURL string
	token   string
}

// entities returns every entity in the catalog by ref, following the
// cursor of GET /api/catalog/entities/by-query.
func (c catalog) entities() (map[string]entity, error) {
	out := map[string]entity{}
	cursor := ""
	for page := 0; page < 100; page++ {
		q := url.Values{"limit": {"200"}}
		if cursor != "" {
			q = url.Values{"cursor": {cursor}, "limit": {"200"}}
		}
		var res struct {
			Items    []entity `json:"items"`
			PageInfo struct {
				NextCursor string `json:"nextCursor"`
			} `json:"pageInfo"`
		}
		if err := getJSON(c.baseURL+"/api/catalog/entities/by-query?"+q.Encode(), c.token, &res); err != nil {
			return nil, err
		}
		for _, e := range res.Items {
			out[e.ref()] = e
		}
		if res.PageInfo.NextCursor == "" {
			return out, nil
		}
		cursor = res.PageInfo.NextCursor
	}
	return nil, errors.New("more than 100 pages of entities")
}

// engine reads the central-config engine's API.
type engine struct {
	baseURL string
	token   string
}

func (e engine) entities() (generation int64, byRef map[string]entity, err error) {
	var res struct {
		Generation int64    `json:"generation"`
		Entities   []entity `json:"entities"`
	}
	if err := getJSON(e.baseURL+"/central-config/entities", e.token, &res); err != nil {
		return 0, nil, err
	}
	byRef = map[string]entity{}
	for _, x := range res.Entities {
		byRef[x.ref()] = x
	}
	return res.Generation, byRef, nil
}

type lastSync struct {
	Generation int64 `json:"generation"`
	Sources    []struct {
		ID          string  `json:"id"`
		State       string  `json:"state"`
		Revision    *string `json:"revision"`
		EntityCount int     `json:"entityCount"`
		LastRun     *struct {
			Revision *string `json:"revision"`
			Outcome  string  `json:"outcome"`
		} `json:"lastRun"`
		FileErrors []struct {
			File    string `json:"file"`
			Line    int    `json:"line"`
			Message string `json:"message"`
		} `json:"fileErrors"`
	} `json:"sources"`
	Catalog struct {
		Acks []struct {
			Consumer   string `json:"consumer"`
			Generation int64  `json:"generation"`
			Lagging    bool   `json:"lagging"`
		} `json:"acks"`
	} `json:"catalog"`
}

// waitFirstSync waits up to a minute for the engine (its process proc) to
// publish a first generation.
func (e engine) waitFirstSync(t testing.TB, proc *process) {
	t.Helper()
	eventually(t, 60*time.Second, "the engine's first sync", func() error {
		ls, err := e.lastSync()
		if err != nil {
			return err
		}
		if ls.Generation == 0 {
			return fmt.Errorf("generation 0, sources %+v", ls.Sources)
		}
		return nil
	}, proc)
}

func (e engine) lastSync() (lastSync, error) {
	var s lastSync
	err := getJSON(e.baseURL+"/central-config/last-sync", e.token, &s)
	return s, err
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		fatalf(t, "%v", err)
	}
}

// post sends an empty POST with a bearer token and returns the status.
func post(t testing.TB, url, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		fatalf(t, "%v", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		fatalf(t, "%v", err)
	}
	_ = res.Body.Close()
	return res.StatusCode
}

// backstageDatabases lists the databases Backstage created on the server
// of dbURL.
func backstageDatabases(t testing.TB, dbURL string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		fatalf(t, "%v", err)
	}
	defer func() { _ = conn.Close(ctx) }()
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'backstage%' ORDER BY datname")
	if err != nil {
		fatalf(t, "%v", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		fatalf(t, "%v", err)
	}
	return names
}

// failures holds every failure message so far. CI keeps only the tail of a
// run's output, and the process logs printed on failure would push the
// reason out of it; summarizeFailures repeats the messages after the logs.
var failures struct {
	sync.Mutex
	msgs []string
}

func record(msg string) {
	failures.Lock()
	defer failures.Unlock()
	failures.msgs = append(failures.msgs, msg)
}

func fatalf(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	record(msg)
	t.Fatal(msg)
}

func errorf(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	record(msg)
	t.Error(msg)
}

// summarizeFailures must be called first in a test: its cleanup then runs
// last, after the processes' logs.
func summarizeFailures(t testing.TB) {
	t.Cleanup(func() {
		failures.Lock()
		defer failures.Unlock()
		if len(failures.msgs) > 0 {
			t.Logf("%d failure(s), repeated after the logs:\n- %s", len(failures.msgs), strings.Join(failures.msgs, "\n- "))
		}
	})
}

// TestAProcessLeavesNoLogFileOpen: start writes a process's output to a
// log file; once the test that started it has ended, the file is closed.
func TestAProcessLeavesNoLogFileOpen(t *testing.T) {
	var log string
	t.Run("a process that exits at once", func(t *testing.T) {
		log = start(t, "true", t.TempDir(), nil, "true").log
	})
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if strings.TrimSuffix(target, " (deleted)") == log {
			t.Errorf("file descriptor %s still holds the log %s", fd.Name(), log)
		}
	}
}
