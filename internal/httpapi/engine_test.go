package httpapi

import (
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/central-config/central-config/internal/metrics"
	gitsource "github.com/central-config/central-config/internal/source/git"
	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/store"
	"github.com/central-config/central-config/internal/store/sqlite"
	"github.com/central-config/central-config/internal/syncer"
)

// realEngine is the API over the real engine: a SQLite store, the syncer
// and a git server speaking smart HTTP; only the clock of the API is
// real too. Responses are checked against openapi.yaml like every other.
type realEngine struct {
	repo  *gittest.Repo
	store store.Store
	h     *env
}

// repoAddress is how the engine reaches the test repository: its URL and
// token.
type repoAddress func(*gittest.Repo) (url, token string)

func overHTTP(r *gittest.Repo) (string, string) { return r.URL, gittest.Token }
func overFile(r *gittest.Repo) (string, string) { return "file://" + filepath.ToSlash(r.Dir()), "" }

func newRealEngine(t *testing.T) *realEngine { return newRealEngineOver(t, overHTTP) }

func newRealEngineOver(t *testing.T, addr repoAddress) *realEngine {
	t.Helper()
	repo := gittest.NewServer(t).NewRepo("config")
	repo.Commit("main", map[string]string{
		"teams.yaml": "apiVersion: central-config.io/v1\nteams:\n  - name: payments\n",
		"svc.yaml":   "apiVersion: central-config.io/v1\nservices:\n  - name: gateway\n    owner: payments\n",
	})
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "engine.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	url, token := addr(repo)
	src, err := gitsource.New(gitsource.Options{ID: "main", URL: url, Token: token, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	sy, err := syncer.New(syncer.Options{Store: st, Metrics: &syncer.Metrics{Observe: m.ObserveRun},
		Sources: []syncer.Source{{Source: src, Interval: time.Hour, Repo: "acme/platform-config", Branch: "main"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sy.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	h := New(Options{Store: st, Syncer: sy, Token: testToken, WebhookSecret: testSecret, Registry: reg, Metrics: m,
		Log: slog.New(slog.DiscardHandler)})
	return &realEngine{repo: repo, store: st, h: &env{h: h, reg: reg}}
}

// waitGeneration waits until the engine publishes generation g.
func (e *realEngine) waitGeneration(t *testing.T, g int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		cur, err := e.store.Generation(context.Background())
		if err == nil && cur >= g {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("generation %d not reached (at %d, %v)", g, cur, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncNow triggers a run of the source and waits for its outcome.
func (e *realEngine) syncNow(t *testing.T, want string) {
	t.Helper()
	var started struct {
		Runs []triggeredRun `json:"runs"`
	}
	res := e.h.do(t, request{method: "POST", target: "/central-config/sync", auth: true, body: `{"source":"main"}`})
	res.decode(t, &started)
	if res.status != 202 || len(started.Runs) != 1 {
		t.Fatalf("sync: %d %s", res.status, res.body)
	}
	target := "/central-config/syncs/" + strconv.FormatInt(started.Runs[0].RunID, 10)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var run runView
		e.h.do(t, request{method: "GET", target: target}).decode(t, &run)
		if run.Outcome != "running" {
			if run.Outcome != want {
				t.Fatalf("run %d: outcome %s, want %s (reason %v, errors %+v)", run.ID, run.Outcome, want, run.Reason, run.Errors)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d still running", run.ID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTheRealEngineShowsCurrentFileErrorsWithLinks(t *testing.T) {
	const badService = "apiVersion: central-config.io/v1\nservices:\n  - name: gateway\n    owner: payments\n  - name: Not A Name!\n    owner: payments\n"
	const goodService = "apiVersion: central-config.io/v1\nservices:\n  - name: gateway\n    owner: payments\n  - name: ledger\n    owner: payments\n"
	for _, tc := range []struct {
		name  string
		addr  repoAddress
		links bool
	}{
		{"a git source on an HTTP(S) host links revisions and files", overHTTP, true},
		{"a file:// repository has no links", overFile, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newRealEngineOver(t, tc.addr)
			e.waitGeneration(t, 1)
			base := strings.TrimSuffix(e.repo.URL, ".git")
			// source is the status once the syncer has let go of the run
			// whose record syncNow saw finished (a moment later).
			source := func() sourceView {
				t.Helper()
				deadline := time.Now().Add(10 * time.Second)
				for {
					res := e.h.do(t, lastSyncReq())
					if strings.Contains(string(res.body), gittest.Token) {
						t.Fatalf("last-sync shows the repository token: %s", res.body)
					}
					src := decodeLastSync(t, res).Sources[0]
					if src.State != "syncing" || time.Now().After(deadline) {
						return src
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			wantURL := func(u string) string {
				if !tc.links {
					return "<null>"
				}
				return u
			}

			broken := e.repo.Commit("main", map[string]string{"svc.yaml": badService})
			e.syncNow(t, "degraded")
			// The next run finds the same revision and reads nothing; the
			// file is still broken and the status page must still say why.
			e.syncNow(t, "unchanged")
			src := source()
			if src.State != "degraded" || src.FailedFiles != 1 || src.LastRun == nil || src.LastRun.Outcome != "unchanged" {
				t.Fatalf("source = %+v, want degraded with one failed file after an unchanged run", src)
			}
			if len(src.FileErrors) != 1 {
				t.Fatalf("fileErrors = %+v, want the broken file's error", src.FileErrors)
			}
			fe := src.FileErrors[0]
			if fe.File != "svc.yaml" || fe.Line < 1 || fe.Column < 1 || fe.Message == "" || fe.Severity != "error" {
				t.Errorf("file error = %+v, want svc.yaml with line, column and message", fe)
			}
			if got, want := urlOrNull(fe.URL), wantURL(base+"/blob/"+broken+"/svc.yaml#L"+strconv.Itoa(fe.Line)); got != want {
				t.Errorf("file error url = %s, want %s", got, want)
			}
			if got, want := urlOrNull(src.RevisionURL), wantURL(base+"/commit/"+broken); got != want {
				t.Errorf("revisionUrl = %s, want %s", got, want)
			}
			if got, want := urlOrNull(src.LastRun.RevisionURL), wantURL(base+"/commit/"+broken); got != want {
				t.Errorf("lastRun.revisionUrl = %s, want %s", got, want)
			}

			fixed := e.repo.Commit("main", map[string]string{"svc.yaml": goodService})
			e.syncNow(t, "succeeded")
			src = source()
			if src.State != "synced" || src.FailedFiles != 0 || len(src.FileErrors) != 0 {
				t.Errorf("after the fix: source = %+v, want synced without file errors", src)
			}
			if got, want := urlOrNull(src.RevisionURL), wantURL(base+"/commit/"+fixed); got != want {
				t.Errorf("revisionUrl = %s, want %s", got, want)
			}
		})
	}
}

func TestTheRealEngineServesEntitiesDeltasAndWebhookSyncs(t *testing.T) {
	e := newRealEngine(t)
	e.waitGeneration(t, 1)

	var full struct {
		Kind       string           `json:"kind"`
		Generation int64            `json:"generation"`
		Entities   []map[string]any `json:"entities"`
	}
	res := e.h.do(t, request{method: "GET", target: "/central-config/entities"})
	res.decode(t, &full)
	if res.status != 200 || res.header.Get("ETag") != `"1"` || full.Kind != "full" || len(full.Entities) != 2 {
		t.Fatalf("full list: %d %s %+v", res.status, res.header.Get("ETag"), full)
	}
	if res := e.h.do(t, request{method: "GET", target: "/central-config/entities", header: map[string]string{"If-None-Match": `"1"`}}); res.status != 304 {
		t.Fatalf("unchanged generation must be 304, got %d", res.status)
	}

	// A bad signature changes nothing.
	e.repo.Commit("main", map[string]string{"svc.yaml": "apiVersion: central-config.io/v1\nservices:\n  - name: gateway\n    owner: payments\n  - name: ledger\n    owner: payments\n"})
	if res := e.h.do(t, delivery("push", pushPayload(t, nil), "not-the-secret")); res.status != 401 {
		t.Fatalf("a mis-signed push must be refused, got %d", res.status)
	}
	time.Sleep(200 * time.Millisecond)
	if g, _ := e.store.Generation(context.Background()); g != 1 {
		t.Fatalf("a mis-signed push must not sync (generation %d)", g)
	}

	// A signed push to the tracked branch syncs the new commit.
	res = e.h.do(t, delivery("push", pushPayload(t, nil), testSecret))
	if res.status != 202 {
		t.Fatalf("push: %d %s", res.status, res.body)
	}
	e.waitGeneration(t, 2)
	var delta struct {
		Kind     string           `json:"kind"`
		Upserts  []map[string]any `json:"upserts"`
		Removals []string         `json:"removals"`
	}
	res = e.h.do(t, request{method: "GET", target: "/central-config/entities?since=1"})
	res.decode(t, &delta)
	// The changed file's two services come back (the file's revision moved
	// for both); the team's file did not change and is not sent.
	if delta.Kind != "delta" || len(delta.Upserts) != 2 || len(delta.Removals) != 0 {
		t.Fatalf("delta since 1: %+v", delta)
	}

	// The catalog acknowledges; last-sync shows it, and whether it lags.
	if res := e.h.do(t, request{method: "POST", target: "/central-config/catalog-acks", auth: true, body: `{"consumer":"backstage","generation":2}`}); res.status != 204 {
		t.Fatalf("ack: %d %s", res.status, res.body)
	}
	var status struct {
		Generation int64 `json:"generation"`
		Sources    []struct {
			State       string `json:"state"`
			EntityCount int    `json:"entityCount"`
		} `json:"sources"`
		Catalog struct {
			Acks []struct {
				Generation int64 `json:"generation"`
				Lagging    bool  `json:"lagging"`
			} `json:"acks"`
		} `json:"catalog"`
	}
	e.h.do(t, request{method: "GET", target: "/central-config/last-sync"}).decode(t, &status)
	if status.Generation != 2 || status.Sources[0].State != "synced" || status.Sources[0].EntityCount != 3 ||
		len(status.Catalog.Acks) != 1 || status.Catalog.Acks[0].Lagging {
		t.Fatalf("last-sync: %+v", status)
	}

	// Manual sync with a broken file: degraded, old entities kept.
	e.repo.Commit("main", map[string]string{"svc.yaml": "apiVersion: central-config.io/v1\nservices: [\n"})
	res = e.h.do(t, request{method: "POST", target: "/central-config/sync", auth: true})
	if res.status != 202 {
		t.Fatalf("sync: %d", res.status)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		e.h.do(t, request{method: "GET", target: "/central-config/last-sync"}).decode(t, &status)
		if status.Sources[0].State == "degraded" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if status.Sources[0].State != "degraded" || status.Sources[0].EntityCount != 3 || status.Generation != 2 {
		t.Fatalf("a broken file keeps the entities and shows degraded: %+v", status)
	}
}
