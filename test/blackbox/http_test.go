package blackbox

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/enginetest"
	"github.com/central-config/central-config/internal/store/pgtest"
	"github.com/central-config/central-config/internal/testrepo"
)

const (
	testToken  = "test-token"
	testSecret = "webhook-secret"
	webhook    = "/central-config/webhooks/github"
)

// dirEngine starts an engine with SQLite and one dir source that syncs
// only when asked; extra is appended under centralConfig.
func dirEngine(t *testing.T, repo, extra string) *enginetest.Engine {
	t.Helper()
	return engineOf(t, `dir: {path: "`+repo+`"}`, extra)
}

// webhookEngine starts an engine with SQLite and one git source of
// acme/platform-config, on a server that does not answer, that syncs only
// when asked: for what a webhook starts.
func webhookEngine(t *testing.T) *enginetest.Engine {
	t.Helper()
	return engineOf(t, `git: {url: "http://127.0.0.1:1/acme/platform-config.git"}`, "")
}

// engineOf starts an engine with SQLite, the webhook secret testSecret
// and one source "central" read from src (its YAML: "dir: {...}") that
// syncs only when asked; extra is appended under centralConfig.
func engineOf(t *testing.T, src, extra string) *enginetest.Engine {
	t.Helper()
	return enginetest.Start(t, enginetest.Options{Config: `centralConfig:
  sources:
    - id: central
      ` + src + `
      schedule: {frequency: {hours: 1}, initialDelay: {hours: 1}}
  database: {connection: "{{dir}}/engine.db"}
  cacheDir: "{{dir}}/cache"
  webhooks: {github: {secret: ` + testSecret + `}}
` + extra})
}

// openFDs counts the engine process's open file descriptors.
func openFDs(t *testing.T, e *enginetest.Engine) int {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", e.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// slowBody opens a connection that sends a webhook request announcing a
// 20 MB body and then one byte of it.
func slowBody(t *testing.T, e *enginetest.Engine) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=%s\r\nContent-Type: application/json\r\nContent-Length: 20000000\r\n\r\n{",
		webhook, strings.Repeat("0", 64))
	return c
}

// Item 14: connections that trickle a body are bounded in number (the
// engine's file descriptors stay bounded), cut off after the read
// timeout, and the probes keep answering while they hold every slot.
func TestSlowBodiesAreBoundedAndProbesKeepAnswering(t *testing.T) {
	repo := t.TempDir()
	testrepo.WriteFile(t, filepath.Join(repo, "teams.yaml"), "apiVersion: central-config.io/v1\nteams:\n  - name: a\n")
	e := dirEngine(t, repo, "  server: {maxConnections: 40, readTimeout: {seconds: 3}}\n")
	base := openFDs(t, e)

	var conns []net.Conn
	for range 200 {
		c := slowBody(t, e)
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	time.Sleep(500 * time.Millisecond)
	if n := openFDs(t, e); n > base+40+20 {
		t.Errorf("%d open files with 200 slow clients (%d before): the connections are not limited", n, base)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		start := time.Now()
		code, body, err := e.Get(p)
		if err != nil || code != http.StatusOK {
			t.Errorf("%s under a slow-body attack: %d %s %v (after %s)", p, code, body, err, time.Since(start))
		}
	}

	// The first connection (accepted, within the limit) is cut off after
	// the read timeout rather than waiting for its 20 MB.
	_ = conns[0].SetReadDeadline(time.Now().Add(15 * time.Second))
	start := time.Now()
	_, err := io.ReadAll(conns[0])
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a slow body still open after %s: no read timeout", time.Since(start))
	}
}

// Item 15: unsigned webhook bodies are refused without being read, and
// bodies with a (wrong) signature are read a few at a time: 40
// concurrent ~26 MB posts leave the engine's peak memory small.
func TestWebhookBodiesDoNotExhaustMemory(t *testing.T) {
	repo := t.TempDir()
	testrepo.WriteFile(t, filepath.Join(repo, "teams.yaml"), "apiVersion: central-config.io/v1\nteams:\n  - name: a\n")
	e := dirEngine(t, repo, "")
	for _, tc := range []struct {
		name string
		size int
		sig  string
		want int
	}{
		{"unsigned 26 MB", 26_000_000, "", http.StatusUnauthorized},
		{"wrongly signed 25 MiB", 25<<20 - 100, "sha256=" + strings.Repeat("0", 64), http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := bytes.Repeat([]byte("x"), tc.size)
			var wg sync.WaitGroup
			codes := make([]int, 40)
			for i := range codes {
				wg.Go(func() {
					req, _ := http.NewRequest(http.MethodPost, e.URL+webhook, bytes.NewReader(body))
					req.Header.Set("X-GitHub-Event", "push")
					if tc.sig != "" {
						req.Header.Set("X-Hub-Signature-256", tc.sig)
					}
					resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
					if err != nil {
						codes[i] = -1
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					codes[i] = resp.StatusCode
				})
			}
			wg.Wait()
			for i, c := range codes {
				// A refused body may also end as a closed connection
				// (-1): the engine does not read what it refuses.
				if c != tc.want && c != -1 {
					t.Errorf("request %d: status %d, want %d", i, c, tc.want)
				}
			}
			rss := e.PeakRSS()
			t.Logf("peak RSS after 40 concurrent %s bodies: %d MiB", tc.name, rss>>20)
			if rss > 300<<20 {
				t.Errorf("peak RSS %d MiB after 40 concurrent %s bodies, want under 300 MiB", rss>>20, tc.name)
			}
		})
	}
}

// forgedSlowWebhook opens a connection that sends a webhook request with
// a well-formed but forged signature, announcing length bytes, and then
// one byte of the body.
func forgedSlowWebhook(t *testing.T, e *enginetest.Engine, length int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=%s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{",
		webhook, strings.Repeat("ab", 32), length)
	return c
}

// Forged signatures that trickle their body do not block real
// deliveries: with 40 of them in flight (small and 20 MB announced), a
// correctly signed push is answered 202 at once and starts a run, and
// the forged requests are cut off within seconds.
func TestForgedSlowWebhooksDoNotBlockRealDeliveries(t *testing.T) {
	e := webhookEngine(t)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for i := range 40 {
		length := 1000
		if i%2 == 1 {
			length = 20_000_000
		}
		conns = append(conns, forgedSlowWebhook(t, e, length))
	}
	time.Sleep(500 * time.Millisecond)

	body := []byte(`{"ref":"refs/heads/main","after":"abc","repository":{"full_name":"acme/platform-config"},"pad":"` +
		strings.Repeat("x", 4000) + `"}`)
	req, _ := http.NewRequest(http.MethodPost, e.URL+webhook, bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", "a-real-delivery")
	req.Header.Set("X-Hub-Signature-256", sign(body))
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	t.Logf("a signed push with 40 forged slow webhooks in flight: %d in %s", resp.StatusCode, time.Since(start))
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(b), `"runId"`) {
		t.Fatalf("signed push with 40 forged slow webhooks in flight: %d %s (after %s)", resp.StatusCode, b, time.Since(start))
	}
	e.Eventually(10*time.Second, "the push starts a run", func() error {
		var runs struct {
			Runs []struct {
				Trigger string `json:"trigger"`
			} `json:"runs"`
		}
		if err := e.GetJSON("/central-config/syncs", &runs); err != nil {
			return err
		}
		if len(runs.Runs) != 1 || runs.Runs[0].Trigger != "webhook" {
			return errorf("runs: %+v", runs.Runs)
		}
		return nil
	})

	// The forged requests are cut off within seconds, not held for the
	// read timeout.
	cut := time.Now()
	for i, c := range conns[:4] {
		_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
		if _, err := io.ReadAll(c); errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("forged request %d still open after %s", i, time.Since(cut))
		}
	}
	t.Logf("the forged requests were closed %s after the push", time.Since(cut))
}

func sign(body []byte) string {
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Item 17: replays of one signed delivery start one run, and are told so.
func TestWebhookReplaysStartOneRun(t *testing.T) {
	e := webhookEngine(t)
	body := []byte(`{"ref":"refs/heads/main","after":"abc","repository":{"full_name":"acme/platform-config"}}`)
	post := func() (int, []byte) {
		req, _ := http.NewRequest(http.MethodPost, e.URL+webhook, bytes.NewReader(body))
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
		req.Header.Set("X-Hub-Signature-256", sign(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, b := post(); code != http.StatusAccepted || !strings.Contains(string(b), `"runId"`) {
		t.Fatalf("first delivery: %d %s", code, b)
	}
	for i := range 50 {
		code, b := post()
		if code != http.StatusAccepted || !strings.Contains(string(b), `"replay":true`) || strings.Contains(string(b), `"runId"`) {
			t.Fatalf("replay %d: %d %s", i, code, b)
		}
		if i == 0 {
			// Let the first run end, so a replay would start a new one.
			time.Sleep(time.Second)
		}
	}
	var runs struct {
		Runs []struct {
			Trigger string `json:"trigger"`
		} `json:"runs"`
	}
	if err := e.GetJSON("/central-config/syncs?limit=200", &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs.Runs) != 1 {
		t.Errorf("%d runs after 1 delivery and 50 replays, want 1", len(runs.Runs))
	}
}

// Item 18: errors echo at most a short prefix of what the client sent.
func TestErrorsDoNotEchoLongInput(t *testing.T) {
	repo := t.TempDir()
	testrepo.WriteFile(t, filepath.Join(repo, "teams.yaml"), "apiVersion: central-config.io/v1\nteams:\n  - name: a\n")
	e := dirEngine(t, repo, "  server: {token: "+testToken+"}\n")
	long := strings.Repeat("a", 3000)
	for _, tc := range []struct {
		name, method, path string
		body               []byte
		// cut: the engine may refuse the request by closing the
		// connection while it is still being sent.
		cut bool
	}{
		{"404 of a 10,000-character path", http.MethodGet, "/" + strings.Repeat("p", 10000), nil, false},
		{"404 of a 1 MB path", http.MethodGet, "/" + strings.Repeat("p", 1<<20), nil, true},
		{"405 of a long path", http.MethodDelete, "/central-config/syncs/" + long, nil, false},
		{"unknown source with a long name", http.MethodPost, "/central-config/sync", []byte(`{"source":"` + long + `"}`), false},
		{"bad depth", http.MethodGet, "/central-config/kafka/topology?depth=" + long, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, b, err := e.Do(tc.method, tc.path, testToken, tc.body)
			if err != nil && tc.cut {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if code < 400 || len(b) > 500 {
				t.Errorf("status %d with a %d-byte body, want an error of at most 500 bytes: %.300s", code, len(b), b)
			}
		})
	}
}

// writeRepo writes a synthetic repository of about n entities.
func writeRepo(t *testing.T, n int) string {
	t.Helper()
	repo := t.TempDir()
	for _, f := range testrepo.Generate(n) {
		testrepo.WriteFile(t, filepath.Join(repo, f.Path), string(f.Content))
	}
	return repo
}

// pgEngine starts an engine on a fresh PostgreSQL database with one dir
// source that syncs only when asked, and syncs it once; server adds keys
// of centralConfig.server (", key: value").
func pgEngine(t *testing.T, url, repo, server string) *enginetest.Engine {
	t.Helper()
	return pgEngineEvery(t, url, repo, server, "{hours: 1}")
}

// pgEngineEvery is pgEngine with the source syncing every frequency too.
func pgEngineEvery(t *testing.T, url, repo, server, frequency string) *enginetest.Engine {
	t.Helper()
	e := enginetest.Start(t, enginetest.Options{Config: `centralConfig:
  sources:
    - id: central
      dir: {path: "` + repo + `"}
      schedule: {frequency: ` + frequency + `, initialDelay: {hours: 1}}
  database: {client: pg, connection: "` + url + `"}
  cacheDir: "{{dir}}/cache"
  server: {token: ` + testToken + server + `}
`})
	syncNow(t, e)
	return e
}

// syncNow starts a run and waits for it to finish.
func syncNow(t *testing.T, e *enginetest.Engine) {
	t.Helper()
	runPath := "/central-config/syncs/" + strconv.FormatInt(startRun(t, e), 10)
	e.Eventually(60*time.Second, "the run finishes", func() error {
		var run struct {
			Outcome string `json:"outcome"`
		}
		if err := e.GetJSON(runPath, &run); err != nil {
			return err
		}
		if run.Outcome == "running" {
			return errorf("still running")
		}
		return nil
	})
}

// startRun asks e to sync the source "central" now and returns the id of
// the run it started.
func startRun(t *testing.T, e *enginetest.Engine) int64 {
	t.Helper()
	code, b, err := e.Do(http.MethodPost, "/central-config/sync", testToken, []byte(`{"source":"central"}`))
	if err != nil || code != http.StatusAccepted {
		t.Fatalf("sync now: %d %s %v", code, b, err)
	}
	var started struct {
		Runs []struct {
			RunID int64 `json:"runId"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &started); err != nil || len(started.Runs) != 1 {
		t.Fatalf("sync now: %s %v", b, err)
	}
	return started.Runs[0].RunID
}

// Item 16: clients that read a little of the entity list and stop hold
// neither the database's connections nor the sync: readiness and status
// answer, a sync completes, and the slow clients are cut off with a
// warning after the write timeout.
func TestSlowEntityReadersDoNotHoldTheDatabase(t *testing.T) {
	pg := pgtest.Start(t)
	repo := writeRepo(t, 25000)
	e := pgEngine(t, pg.URL("slow_readers")+"&pool_max_conns=8", repo, ", writeTimeout: {seconds: 5}")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for i := range 20 {
		c, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		// A tiny receive buffer, so the response backs up at once.
		_ = c.(*net.TCPConn).SetReadBuffer(4096)
		conns = append(conns, c)
		_, _ = fmt.Fprintf(c, "GET /central-config/entities HTTP/1.1\r\nHost: x\r\n\r\n")
		buf := make([]byte, 1024)
		if _, err := io.ReadFull(bufio.NewReader(c), buf); err != nil {
			t.Fatalf("slow reader %d gets no response: %v", i, err)
		}
	}
	for _, p := range []string{"/readyz", "/central-config/last-sync"} {
		start := time.Now()
		code, b, err := e.Get(p)
		if err != nil || code != http.StatusOK {
			t.Errorf("%s with 20 slow entity readers: %d %.200s %v", p, code, b, err)
		}
		t.Logf("%s with 20 slow entity readers: %d in %s", p, code, time.Since(start))
	}
	testrepo.WriteFile(t, filepath.Join(repo, "teams", "extra.yaml"), "apiVersion: central-config.io/v1\nteams:\n  - name: extra\n")
	start := time.Now()
	syncNow(t, e)
	t.Logf("a sync with 20 slow entity readers took %s", time.Since(start))
	e.Eventually(30*time.Second, "a warning about the slow clients", func() error {
		if !strings.Contains(e.Logs(), `"level":"WARN","msg":"entities: client too slow`) {
			return errorf("no warning in the log")
		}
		return nil
	})
}

// Item 9: with PostgreSQL down the engine serves the last entity list and
// status it had, flagged, with the runs that failed since, while
// readiness says the store is down; an entity list older than a
// generation the engine published is not served (503 store-unavailable).
func TestStoreOutageServesTheLastState(t *testing.T) {
	pg := pgtest.Start(t)
	repo := t.TempDir()
	testrepo.WriteFile(t, filepath.Join(repo, "teams.yaml"), "apiVersion: central-config.io/v1\nteams:\n  - name: a\n  - name: b\n")
	e := pgEngineEvery(t, pg.URL("outage"), repo, "", "{seconds: 1}")
	code, entities, err := e.Get("/central-config/entities")
	if err != nil || code != http.StatusOK {
		t.Fatalf("entities: %d %v", code, err)
	}
	if code, _, err := e.Get("/central-config/last-sync"); err != nil || code != http.StatusOK {
		t.Fatalf("last-sync: %d %v", code, err)
	}

	pg.Stop()
	defer pg.Start()
	resp, err := http.Get(e.URL + "/central-config/entities")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, entities) || resp.Header.Get("X-Central-Config-Store") != "unavailable" {
		t.Errorf("entities with the store down: %d, store header %q, same body %v: %.300s", resp.StatusCode,
			resp.Header.Get("X-Central-Config-Store"), bytes.Equal(body, entities), body)
	}
	var status struct {
		StoreUnavailable bool   `json:"storeUnavailable"`
		Message          string `json:"message"`
		Sources          []struct {
			ID                  string `json:"id"`
			State               string `json:"state"`
			ConsecutiveFailures int    `json:"consecutiveFailures"`
			LastRun             struct {
				Outcome string `json:"outcome"`
			} `json:"lastRun"`
		} `json:"sources"`
	}
	e.Eventually(30*time.Second, "last-sync flags the outage and shows the failed runs", func() error {
		if err := e.GetJSON("/central-config/last-sync", &status); err != nil {
			return err
		}
		if !status.StoreUnavailable || status.Message == "" || len(status.Sources) != 1 {
			return errorf("not flagged: %+v", status)
		}
		if src := status.Sources[0]; src.ConsecutiveFailures < 1 || src.LastRun.Outcome != "failed" || src.State != "failed" {
			return errorf("no failed run shown: %+v", src)
		}
		return nil
	})
	if code, b, _ := e.Get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("readyz with the store down: %d %s", code, b)
	}

	pg.Start()
	e.Eventually(30*time.Second, "entities from the store again", func() error {
		resp, err := http.Get(e.URL + "/central-config/entities")
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Central-Config-Store") != "" {
			return errorf("%d, store header %q", resp.StatusCode, resp.Header.Get("X-Central-Config-Store"))
		}
		return nil
	})

	// A newer generation is published and nobody reads the full list
	// (the provider reads deltas): in the next outage the list in memory
	// is older than what was published, and is not served.
	testrepo.WriteFile(t, filepath.Join(repo, "more.yaml"), "apiVersion: central-config.io/v1\nteams:\n  - name: c\n")
	syncNow(t, e)
	pg.Stop()
	resp, err = http.Get(e.URL + "/central-config/entities")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"store-unavailable"`) ||
		resp.Header.Get("X-Central-Config-Store") != "unavailable" {
		t.Errorf("entities with the store down and an older list in memory: %d, store header %q: %.300s", resp.StatusCode,
			resp.Header.Get("X-Central-Config-Store"), body)
	}
}
