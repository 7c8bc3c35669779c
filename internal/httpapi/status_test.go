package httpapi

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/store"
)

func lastSyncReq() request {
	return request{method: "GET", target: "/central-config/last-sync"}
}

func decodeLastSync(t *testing.T, res response) lastSyncView {
	t.Helper()
	var v lastSyncView
	res.decode(t, &v)
	return v
}

// lastSyncView is the last-sync body as a client reads it.
type lastSyncView struct {
	Generation int64        `json:"generation"`
	Sources    []sourceView `json:"sources"`
	Catalog    struct {
		Acks []struct {
			Consumer   string `json:"consumer"`
			Generation int64  `json:"generation"`
			AckedAt    string `json:"ackedAt"`
			Lagging    bool   `json:"lagging"`
		} `json:"acks"`
	} `json:"catalog"`
}

// sourceView is one source of the last-sync body.
type sourceView struct {
	ID                  string          `json:"id"`
	State               string          `json:"state"`
	Revision            *string         `json:"revision"`
	RevisionURL         *string         `json:"revisionUrl"`
	LastAttemptAt       *string         `json:"lastAttemptAt"`
	NextDueAt           *string         `json:"nextDueAt"`
	ConsecutiveFailures int             `json:"consecutiveFailures"`
	EntityCount         int             `json:"entityCount"`
	LocationCount       int             `json:"locationCount"`
	IntervalSeconds     int64           `json:"intervalSeconds"`
	RunningRunID        *int64          `json:"runningRunId"`
	LastRun             *runView        `json:"lastRun"`
	ErrorCount          int             `json:"errorCount"`
	WarningCount        int             `json:"warningCount"`
	FailedFiles         int             `json:"failedFiles"`
	FileErrors          []fileErrorView `json:"fileErrors"`
}

type runView struct {
	ID              int64           `json:"id"`
	Source          string          `json:"source"`
	Trigger         string          `json:"trigger"`
	Outcome         string          `json:"outcome"`
	FinishedAt      *string         `json:"finishedAt"`
	DurationSeconds *float64        `json:"durationSeconds"`
	Revision        *string         `json:"revision"`
	RevisionURL     *string         `json:"revisionUrl"`
	Reason          *string         `json:"reason"`
	ReasonCode      *string         `json:"reasonCode"`
	Errors          []fileErrorView `json:"errors"`
	ErrorCount      int             `json:"errorCount"`
	WarningCount    int             `json:"warningCount"`
}

// fileErrorView is a file problem as a client reads it.
type fileErrorView struct {
	store.FileError
	URL *string `json:"url"`
}

// withLastRun replaces platform's last run.
func withLastRun(r store.Run) func(*fakeStore, *fakeSyncer) {
	return func(f *fakeStore, _ *fakeSyncer) {
		r.ID, r.SourceID, r.Trigger = 9, "platform", store.TriggerSchedule
		if r.StartedAt.IsZero() {
			r.StartedAt, r.FinishedAt = ago(time.Minute), ago(time.Minute-time.Second)
		}
		f.runs[9] = r
		st := f.statuses["platform"]
		st.LastRunID = 9
		f.statuses["platform"] = st
	}
}

func TestLastSync(t *testing.T) {
	state := func(source, want string) func(*testing.T, *env, response) {
		return func(t *testing.T, _ *env, res response) {
			for _, s := range decodeLastSync(t, res).Sources {
				if s.ID == source {
					if s.State != want {
						t.Errorf("%s: state = %q, want %q", source, s.State, want)
					}
					return
				}
			}
			t.Errorf("source %s is missing", source)
		}
	}
	runCases(t, []apiCase{
		{name: "overview", setup: seed, req: lastSyncReq(), status: 200, check: func(t *testing.T, e *env, res response) {
			v := decodeLastSync(t, res)
			if v.Generation != 3 {
				t.Errorf("generation = %d, want 3", v.Generation)
			}
			var ids []string
			for _, s := range v.Sources {
				ids = append(ids, s.ID)
			}
			if !slices.Equal(ids, []string{"platform", "teams"}) {
				t.Fatalf("sources = %v, want config order [platform teams]", ids)
			}
			p, tm := v.Sources[0], v.Sources[1]
			if p.State != "synced" || p.IntervalSeconds != 300 || p.EntityCount != 3 || p.LastRun == nil || p.LastRun.ID != 5 ||
				p.Revision == nil || *p.Revision != "aaa333" || p.RunningRunID != nil {
				t.Errorf("platform = %+v", p)
			}
			if tm.State != "failed" || tm.ConsecutiveFailures != 1 || tm.LastRun == nil || tm.LastRun.Reason == nil ||
				!strings.Contains(*tm.LastRun.Reason, "authentication") || tm.IntervalSeconds != 3600 {
				t.Errorf("teams = %+v", tm)
			}
			acks := v.Catalog.Acks
			if len(acks) != 2 || acks[0].Consumer != "backstage" || acks[0].Lagging || acks[1].Consumer != "backstage-staging" || !acks[1].Lagging {
				t.Errorf("acks = %+v", acks)
			}
			if g, _ := metricValue(t, e.reg, "central_config_generation", nil); g != 3 {
				t.Errorf("central_config_generation = %v, want 3", g)
			}
		}},
		{name: "configured but never run", req: lastSyncReq(), status: 200, check: func(t *testing.T, _ *env, res response) {
			v := decodeLastSync(t, res)
			if len(v.Sources) != 2 {
				t.Fatalf("sources = %+v", v.Sources)
			}
			for _, s := range v.Sources {
				if s.State != "never" || s.LastRun != nil || s.LastAttemptAt != nil || s.Revision != nil || s.NextDueAt != nil {
					t.Errorf("%s = %+v, want state never and nulls", s.ID, s)
				}
			}
			if v.Catalog.Acks == nil {
				t.Error("acks is null, want []")
			}
		}},
		{name: "first run in progress", setup: func(_ *fakeStore, s *fakeSyncer) { s.running["teams"] = 7 },
			req: lastSyncReq(), status: 200, check: func(t *testing.T, _ *env, res response) {
				state("teams", "syncing")(t, nil, res)
				if id := decodeLastSync(t, res).Sources[1].RunningRunID; id == nil || *id != 7 {
					t.Errorf("runningRunId = %v, want 7", id)
				}
			}},
		{name: "running wins over failed", setup: both(seed, func(_ *fakeStore, s *fakeSyncer) { s.running["teams"] = 8 }),
			req: lastSyncReq(), status: 200, check: state("teams", "syncing")},
		{name: "last run failed", setup: both(seed, withLastRun(store.Run{Outcome: store.Failed, Reason: "refused: too many deletions",
			ReasonCode: store.ReasonGuardRefused})),
			req: lastSyncReq(), status: 200, check: func(t *testing.T, e *env, res response) {
				state("platform", "failed")(t, e, res)
				last := decodeLastSync(t, res).Sources[0].LastRun
				if last == nil || last.ReasonCode == nil || *last.ReasonCode != "guard-refused" {
					t.Errorf("last run = %+v, want reasonCode guard-refused", last)
				}
			}},
		{name: "a run without a reason has no reason code", setup: both(seed, withLastRun(store.Run{Outcome: store.Succeeded})),
			req: lastSyncReq(), status: 200, check: func(t *testing.T, _ *env, res response) {
				if last := decodeLastSync(t, res).Sources[0].LastRun; last == nil || last.ReasonCode != nil || last.Reason != nil {
					t.Errorf("last run = %+v, want reason and reasonCode null", last)
				}
			}},
		{name: "last run degraded", setup: both(seed, withLastRun(store.Run{Outcome: store.Degraded,
			Errors: []store.FileError{{File: "a.yaml", Severity: "error", Code: "parse", Message: "bad"}}})),
			req: lastSyncReq(), status: 200, check: func(t *testing.T, e *env, res response) {
				state("platform", "degraded")(t, e, res)
				if p := decodeLastSync(t, res).Sources[0]; p.ErrorCount != 1 || p.WarningCount != 0 {
					t.Errorf("counts = %d errors, %d warnings; want 1, 0", p.ErrorCount, p.WarningCount)
				}
			}},
		{name: "file errors in the last run", setup: both(seed, withLastRun(store.Run{Outcome: store.Succeeded,
			Errors: []store.FileError{{File: "a.yaml", Severity: "error", Code: "parse", Message: "bad"}}})),
			req: lastSyncReq(), status: 200, check: state("platform", "degraded")},
		{name: "warnings only", setup: both(seed, withLastRun(store.Run{Outcome: store.Succeeded,
			Errors: []store.FileError{{File: "a.yaml", Severity: "warning", Code: "dangling-ref", Message: "x"}}})),
			req: lastSyncReq(), status: 200, check: func(t *testing.T, e *env, res response) {
				state("platform", "synced")(t, e, res)
				if p := decodeLastSync(t, res).Sources[0]; p.WarningCount != 1 || p.LastRun == nil || len(p.LastRun.Errors) != 1 {
					t.Errorf("platform = %+v, want one warning in the last run", p)
				}
			}},
		{name: "unchanged after degraded keeps failed files", setup: both(seed, withLastRun(store.Run{Outcome: store.Unchanged}),
			failedFile),
			req: lastSyncReq(), status: 200, check: func(t *testing.T, e *env, res response) {
				state("platform", "degraded")(t, e, res)
				if p := decodeLastSync(t, res).Sources[0]; p.FailedFiles != 1 {
					t.Errorf("failedFiles = %d, want 1", p.FailedFiles)
				}
			}},
		{name: "published locations are counted apart from entities", setup: both(seed, func(f *fakeStore, _ *fakeSyncer) {
			st := f.statuses["platform"]
			st.LocationCount = 2
			f.statuses["platform"] = st
			r := f.runs[5]
			r.Counts.Locations = 2
			f.runs[5] = r
		}), req: lastSyncReq(), status: 200, check: func(t *testing.T, _ *env, res response) {
			p := decodeLastSync(t, res).Sources[0]
			if p.EntityCount != 3 || p.LocationCount != 2 || p.LastRun == nil {
				t.Fatalf("platform = %+v, want entityCount 3 and locationCount 2", p)
			}
			var counts struct {
				Sources []struct {
					LastRun struct {
						Counts store.Counts `json:"counts"`
					} `json:"lastRun"`
				} `json:"sources"`
			}
			res.decode(t, &counts)
			if c := counts.Sources[0].LastRun.Counts; c.Entities != 3 || c.Locations != 2 {
				t.Errorf("lastRun.counts = %+v, want 3 entities and 2 locations", c)
			}
			if tm := decodeLastSync(t, res).Sources[1]; tm.LocationCount != 0 {
				t.Errorf("teams locationCount = %d, want 0", tm.LocationCount)
			}
		}},
		{name: "last run pruned", setup: both(seed, func(f *fakeStore, _ *fakeSyncer) { delete(f.runs, 5) }),
			req: lastSyncReq(), status: 200, check: func(t *testing.T, e *env, res response) {
				state("platform", "synced")(t, e, res)
				if p := decodeLastSync(t, res).Sources[0]; p.LastRun != nil {
					t.Errorf("lastRun = %+v, want null", p.LastRun)
				}
			}},
		{name: "unconfigured source in the store is left out", setup: both(seed, func(f *fakeStore, _ *fakeSyncer) {
			f.statuses["gone"] = store.SourceStatus{SourceID: "gone", LastRunID: 1}
		}), req: lastSyncReq(), status: 200, check: func(t *testing.T, _ *env, res response) {
			if n := len(decodeLastSync(t, res).Sources); n != 2 {
				t.Errorf("%d sources, want the 2 configured", n)
			}
		}},
		{name: "generation unavailable", setup: both(seed, failing("Generation")), req: lastSyncReq(), status: 500, code: "internal"},
		{name: "statuses unavailable", setup: both(seed, failing("Statuses")), req: lastSyncReq(), status: 500, code: "internal"},
		{name: "run unavailable", setup: both(seed, failing("Run")), req: lastSyncReq(), status: 500, code: "internal"},
		{name: "acks unavailable", setup: both(seed, failing("Acks")), req: lastSyncReq(), status: 500, code: "internal"},
	})
}

func TestListSyncs(t *testing.T) {
	many := func(f *fakeStore, s *fakeSyncer) {
		seed(f, s)
		for id := int64(6); id <= 250; id++ {
			f.runs[id] = store.Run{ID: id, SourceID: "platform", Trigger: store.TriggerSchedule, StartedAt: ago(time.Minute),
				FinishedAt: ago(time.Minute - time.Second), Outcome: store.Unchanged, Revision: "aaa333"}
		}
	}
	list := func(target string) request { return request{method: "GET", target: target} }
	decode := func(t *testing.T, res response) ([]int64, *string) {
		var v struct {
			Runs []runView `json:"runs"`
			Next *string   `json:"next"`
		}
		res.decode(t, &v)
		var ids []int64
		for _, r := range v.Runs {
			ids = append(ids, r.ID)
		}
		return ids, v.Next
	}
	runCases(t, []apiCase{
		{name: "newest first, last page", setup: seed, req: list("/central-config/syncs"), status: 200, check: func(t *testing.T, _ *env, res response) {
			ids, next := decode(t, res)
			if !slices.Equal(ids, []int64{5, 4, 3, 2, 1}) || next != nil {
				t.Errorf("ids = %v, next = %v; want [5 4 3 2 1], null", ids, next)
			}
		}},
		{name: "default limit 20 with next", setup: many, req: list("/central-config/syncs"), status: 200, check: func(t *testing.T, e *env, res response) {
			ids, next := decode(t, res)
			if len(ids) != 20 || ids[0] != 250 || ids[19] != 231 {
				t.Fatalf("ids = %v", ids)
			}
			if next == nil || *next != "/central-config/syncs?before=231&limit=20" {
				t.Fatalf("next = %v", next)
			}
			ids2, _ := decode(t, e.do(t, list(*next)))
			if len(ids2) != 20 || ids2[0] != 230 {
				t.Errorf("next page = %v", ids2)
			}
		}},
		{name: "source filter kept in next", setup: many, req: list("/central-config/syncs?source=platform&limit=2"), status: 200,
			check: func(t *testing.T, _ *env, res response) {
				ids, next := decode(t, res)
				if !slices.Equal(ids, []int64{250, 249}) || next == nil || *next != "/central-config/syncs?before=249&limit=2&source=platform" {
					t.Errorf("ids = %v, next = %v", ids, next)
				}
			}},
		{name: "source filter", setup: seed, req: list("/central-config/syncs?source=teams"), status: 200, check: func(t *testing.T, _ *env, res response) {
			if ids, _ := decode(t, res); !slices.Equal(ids, []int64{4, 2}) {
				t.Errorf("ids = %v, want [4 2]", ids)
			}
		}},
		{name: "before", setup: seed, req: list("/central-config/syncs?before=3"), status: 200, check: func(t *testing.T, _ *env, res response) {
			if ids, _ := decode(t, res); !slices.Equal(ids, []int64{2, 1}) {
				t.Errorf("ids = %v, want [2 1]", ids)
			}
		}},
		{name: "limit capped at 200", setup: many, req: list("/central-config/syncs?limit=1000"), status: 200, check: func(t *testing.T, _ *env, res response) {
			ids, next := decode(t, res)
			if len(ids) != 200 || next == nil || !strings.Contains(*next, "limit=200") {
				t.Errorf("%d runs, next %v; want 200 and a next page", len(ids), next)
			}
		}},
		{name: "empty history", req: list("/central-config/syncs"), status: 200, check: func(t *testing.T, _ *env, res response) {
			if !strings.Contains(string(res.body), `"runs":[]`) {
				t.Errorf("body = %s, want runs []", res.body)
			}
		}},
		{name: "limit zero", req: list("/central-config/syncs?limit=0"), status: 400, code: "bad-request"},
		{name: "limit not a number", req: list("/central-config/syncs?limit=ten"), status: 400, code: "bad-request"},
		{name: "before not a number", req: list("/central-config/syncs?before=x"), status: 400, code: "bad-request"},
		{name: "store error", setup: failing("Runs"), req: list("/central-config/syncs"), status: 500, code: "internal"},
	})
}

func TestGetSync(t *testing.T) {
	get := func(id string) request { return request{method: "GET", target: "/central-config/syncs/" + id} }
	runCases(t, []apiCase{
		{name: "degraded run with errors", setup: seed, req: get("3"), status: 200, check: func(t *testing.T, _ *env, res response) {
			var r runView
			res.decode(t, &r)
			if r.ID != 3 || r.Outcome != "degraded" || len(r.Errors) != 2 || r.ErrorCount != 1 || r.WarningCount != 1 ||
				r.Trigger != "webhook" || r.DurationSeconds == nil || *r.DurationSeconds != 1 {
				t.Errorf("run = %+v", r)
			}
		}},
		{name: "running run", setup: func(f *fakeStore, _ *fakeSyncer) {
			f.runs[7] = store.Run{ID: 7, SourceID: "teams", Trigger: store.TriggerManual, StartedAt: testNow, Outcome: store.Running}
		}, req: get("7"), status: 200, check: func(t *testing.T, _ *env, res response) {
			var r runView
			res.decode(t, &r)
			if r.Outcome != "running" || r.FinishedAt != nil || r.DurationSeconds != nil || r.Revision != nil || r.Errors == nil {
				t.Errorf("run = %+v, want running with null finish and [] errors", r)
			}
		}},
		{name: "unknown", setup: seed, req: get("99"), status: 404, code: "not-found"},
		{name: "not a number", req: get("abc"), status: 400, code: "bad-request"},
		{name: "zero", req: get("0"), status: 400, code: "bad-request"},
		{name: "store error", setup: failing("Run"), req: get("1"), status: 500, code: "internal"},
	})
}

func TestTriggerSync(t *testing.T) {
	post := func(body string) request {
		return request{method: "POST", target: "/central-config/sync", body: body, auth: true,
			header: map[string]string{"Content-Type": "application/json"}}
	}
	triggered := func(want ...string) func(*testing.T, *env, response) {
		return func(t *testing.T, e *env, res response) {
			var v struct {
				Runs []triggeredRun `json:"runs"`
			}
			res.decode(t, &v)
			var got []string
			for _, r := range v.Runs {
				if r.RunID == 0 {
					t.Errorf("run of %s has no id", r.Source)
				}
				got = append(got, r.Source)
			}
			if !slices.Equal(got, want) {
				t.Errorf("runs = %v, want %v", got, want)
			}
			calls := e.syncer.calls()
			if len(calls) != len(want) {
				t.Fatalf("TriggerRun calls = %v, want %v", calls, want)
			}
			for _, c := range calls {
				if c.trigger != store.TriggerManual {
					t.Errorf("trigger = %q, want manual", c.trigger)
				}
			}
		}
	}
	none := func(t *testing.T, e *env, _ response) {
		if calls := e.syncer.calls(); len(calls) != 0 {
			t.Errorf("TriggerRun called: %v", calls)
		}
	}
	runCases(t, []apiCase{
		{name: "no body syncs all", req: post(""), status: 202, check: triggered("platform", "teams")},
		{name: "empty object syncs all", req: post("{}"), status: 202, check: triggered("platform", "teams")},
		{name: "one source", req: post(`{"source":"teams"}`), status: 202, check: triggered("teams")},
		{name: "unknown source", req: post(`{"source":"nope"}`), status: 404, code: "unknown-source", check: none},
		{name: "not JSON", req: post(`source=teams`), status: 400, code: "bad-request", check: none},
		{name: "two values", req: post(`{} {}`), status: 400, code: "bad-request", check: none},
		{name: "too large", req: post(`{"source":"` + strings.Repeat("x", 1<<20) + `"}`), status: 413, code: "payload-too-large", check: none},
		{name: "store error", setup: func(_ *fakeStore, s *fakeSyncer) { s.triggerErr = errStore }, req: post(""), status: 500, code: "internal"},
	})
}

func TestCatalogAck(t *testing.T) {
	ack := func(body string) request {
		return request{method: "POST", target: "/central-config/catalog-acks", body: body, auth: true}
	}
	acked := func(consumer string, gen int64) func(*testing.T, *env, response) {
		return func(t *testing.T, e *env, res response) {
			if len(res.body) != 0 {
				t.Errorf("204 with body %q", res.body)
			}
			a, ok := e.store.acks[consumer]
			if !ok || a.Generation != gen || !a.AckedAt.Equal(testNow) {
				t.Errorf("ack of %s = %+v, want generation %d at %v", consumer, a, gen, testNow)
			}
			if v, _ := metricValue(t, e.reg, "central_config_catalog_ack_generation", map[string]string{"consumer": consumer}); v != float64(gen) {
				t.Errorf("central_config_catalog_ack_generation{consumer=%s} = %v, want %d", consumer, v, gen)
			}
		}
	}
	notAcked := func(t *testing.T, e *env, _ response) {
		if e.store.callCount("Ack") != 0 {
			t.Error("Ack was called")
		}
	}
	runCases(t, []apiCase{
		{name: "ack", setup: seed, req: ack(`{"consumer":"backstage-prod","generation":2}`), status: 204, check: acked("backstage-prod", 2)},
		{name: "default consumer", setup: seed, req: ack(`{"generation":3}`), status: 204, check: acked("backstage", 3)},
		{name: "generation zero", req: ack(`{"generation":0}`), status: 204, check: acked("backstage", 0)},
		{name: "ahead of current", setup: seed, req: ack(`{"generation":4}`), status: 400, code: "bad-request", check: notAcked},
		{name: "negative", setup: seed, req: ack(`{"generation":-1}`), status: 400, code: "bad-request", check: notAcked},
		{name: "no generation", setup: seed, req: ack(`{"consumer":"backstage"}`), status: 400, code: "bad-request", check: notAcked},
		{name: "no body", setup: seed, req: ack(``), status: 400, code: "bad-request", check: notAcked},
		{name: "not JSON", setup: seed, req: ack(`generation=1`), status: 400, code: "bad-request", check: notAcked},
		{name: "generation a string", setup: seed, req: ack(`{"generation":"1"}`), status: 400, code: "bad-request", check: notAcked},
		{name: "bad consumer", setup: seed, req: ack(`{"consumer":"a b","generation":1}`), status: 400, code: "bad-request", check: notAcked},
		{name: "too large", setup: seed, req: ack(`{"consumer":"` + strings.Repeat("x", 1<<20) + `","generation":1}`), status: 413,
			code: "payload-too-large", check: notAcked},
		{name: "generation unavailable", setup: both(seed, failing("Generation")), req: ack(`{"generation":1}`), status: 500, code: "internal"},
		{name: "ack fails", setup: both(seed, failing("Ack")), req: ack(`{"generation":1}`), status: 500, code: "internal"},
	})
}

func TestHealth(t *testing.T) {
	get := func(target string) request { return request{method: "GET", target: target} }
	body := func(want string) func(*testing.T, *env, response) {
		return func(t *testing.T, _ *env, res response) {
			if !strings.Contains(string(res.body), want) {
				t.Errorf("body = %q, want it to contain %q", res.body, want)
			}
		}
	}
	runCases(t, []apiCase{
		{name: "healthz", req: get("/healthz"), status: 200, check: body("ok")},
		{name: "healthz with a failing store", setup: failing("Ping"), req: get("/healthz"), status: 200, check: body("ok")},
		{name: "readyz", req: get("/readyz"), status: 200, check: body("ok")},
		{name: "readyz with a failing store", setup: failing("Ping"), req: get("/readyz"), status: 503, code: "not-ready", check: body(errStore.Error())},
		{name: "healthz needs no token", opts: protectReads, req: get("/healthz"), status: 200},
		{name: "readyz needs no token", opts: protectReads, req: get("/readyz"), status: 200},
		{name: "metrics needs no token", opts: protectReads, req: get("/metrics"), status: 200},
		{name: "metrics", req: get("/metrics"), status: 200, check: body("# TYPE central_config_generation gauge")},
		{name: "openapi", req: get("/openapi.yaml"), status: 200, check: func(t *testing.T, _ *env, res response) {
			if string(res.body) != string(openapiYAML) || !strings.HasPrefix(res.header.Get("Content-Type"), "application/yaml") {
				t.Errorf("served %s, %d bytes; want the embedded document", res.header.Get("Content-Type"), len(res.body))
			}
		}},
	})
}

// TestReadAuth checks every read endpoint is open by default and needs
// the token with ProtectReads.
func TestReadAuth(t *testing.T) {
	reads := []string{
		"/openapi.yaml", "/central-config/last-sync", "/central-config/syncs", "/central-config/syncs/1", "/central-config/entities",
	}
	var cases []apiCase
	for _, target := range reads {
		cases = append(cases,
			apiCase{name: target + " open", setup: seed, req: request{method: "GET", target: target}, status: 200},
			apiCase{name: target + " protected without token", setup: seed, opts: protectReads,
				req: request{method: "GET", target: target}, status: 401, code: "unauthorized", check: bearerChallenge},
			apiCase{name: target + " protected wrong token", setup: seed, opts: protectReads,
				req: request{method: "GET", target: target, header: map[string]string{"Authorization": "Bearer nope"}}, status: 401,
				code: "unauthorized", check: bearerChallenge},
			apiCase{name: target + " protected with token", setup: seed, opts: protectReads,
				req: request{method: "GET", target: target, auth: true}, status: 200},
			apiCase{name: target + " protected, no token configured", setup: seed, opts: func(o *Options) { o.ProtectReads, o.Token = true, "" },
				req: request{method: "GET", target: target, auth: true}, status: 403, code: "token-not-configured", check: mentionsToken},
		)
	}
	runCases(t, cases)
}

func bearerChallenge(t *testing.T, _ *env, res response) {
	t.Helper()
	if h := res.header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
		t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", h)
	}
}

func mentionsToken(t *testing.T, _ *env, res response) {
	t.Helper()
	if !strings.Contains(string(res.body), "server.token must be set") {
		t.Errorf("body = %s, want it to say server.token must be set", res.body)
	}
}

// TestWriteAuth checks both write endpoints refuse without the right
// token and do nothing then.
func TestWriteAuth(t *testing.T) {
	writes := []request{
		{method: "POST", target: "/central-config/sync", body: `{"source":"teams"}`},
		{method: "POST", target: "/central-config/catalog-acks", body: `{"generation":1}`},
	}
	nothingDone := func(t *testing.T, e *env, res response) {
		if len(e.syncer.calls()) != 0 || e.store.callCount("Ack") != 0 {
			t.Errorf("a write happened: %v, %d acks", e.syncer.calls(), e.store.callCount("Ack"))
		}
	}
	var cases []apiCase
	for _, w := range writes {
		with := func(h string) request {
			r := w
			r.header = map[string]string{"Authorization": h}
			return r
		}
		ok := http.StatusAccepted
		if strings.HasSuffix(w.target, "acks") {
			ok = http.StatusNoContent
		}
		cases = append(cases,
			apiCase{name: w.target + " no token configured", setup: seed, opts: noToken, req: with("Bearer " + testToken), status: 403,
				code: "token-not-configured", check: func(t *testing.T, e *env, res response) { mentionsToken(t, e, res); nothingDone(t, e, res) }},
			apiCase{name: w.target + " no credentials", setup: seed, req: w, status: 401, code: "unauthorized",
				check: func(t *testing.T, e *env, res response) { bearerChallenge(t, e, res); nothingDone(t, e, res) }},
			apiCase{name: w.target + " wrong token", setup: seed, req: with("Bearer " + testToken + "x"), status: 401, code: "unauthorized",
				check: func(t *testing.T, e *env, res response) { bearerChallenge(t, e, res); nothingDone(t, e, res) }},
			apiCase{name: w.target + " token prefix", setup: seed, req: with("Bearer " + testToken[:4]), status: 401, code: "unauthorized", check: nothingDone},
			apiCase{name: w.target + " basic auth", setup: seed, req: with("Basic " + testToken), status: 401, code: "unauthorized", check: nothingDone},
			apiCase{name: w.target + " empty bearer", setup: seed, req: with("Bearer "), status: 401, code: "unauthorized", check: nothingDone},
			apiCase{name: w.target + " scheme is case-insensitive", setup: seed, req: with("bearer " + testToken), status: ok},
		)
	}
	runCases(t, cases)
}

func TestUnmatched(t *testing.T) {
	tests := []struct {
		name, method, target string
		status               int
		allow                string
	}{
		{"unknown path", "GET", "/central-config/nope", 404, ""},
		{"root", "GET", "/", 404, ""},
		{"GET on a POST route", "GET", "/central-config/sync", 405, "POST"},
		{"DELETE on a GET route", "DELETE", "/central-config/entities", 405, "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			req := request{method: tt.method, target: tt.target}.build()
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code != tt.status || rec.Header().Get("Allow") != tt.allow {
				t.Fatalf("%d Allow %q, want %d Allow %q", rec.Code, rec.Header().Get("Allow"), tt.status, tt.allow)
			}
			checkErrorShape(t, rec.Body.Bytes())
		})
	}
}

func TestLastSyncIsServedFromMemoryWithinTheCacheTTL(t *testing.T) {
	e := newEnv(t, seed, func(o *Options) { o.StatusCacheTTL = time.Hour })
	first := e.do(t, request{method: "GET", target: "/central-config/last-sync"})
	e.store.fail["Statuses"] = errStore
	second := e.do(t, request{method: "GET", target: "/central-config/last-sync"})
	if first.status != 200 || second.status != 200 || string(first.body) != string(second.body) {
		t.Fatalf("within the TTL the same answer is served without the store: %d %d", first.status, second.status)
	}
	e = newEnv(t, seed, func(o *Options) { o.StatusCacheTTL = time.Hour })
	e.store.fail["Statuses"] = errStore
	if res := e.do(t, request{method: "GET", target: "/central-config/last-sync"}); res.status != 500 {
		t.Fatalf("an error is not cached as an answer: %d", res.status)
	}
	delete(e.store.fail, "Statuses")
	if res := e.do(t, request{method: "GET", target: "/central-config/last-sync"}); res.status != 200 {
		t.Fatalf("after an error the next request computes again: %d", res.status)
	}
}

// TestStaleLastSyncIsRebuiltOnce: readers arriving while a stale answer is
// being rebuilt wait for that rebuild instead of each reading every source.
func TestStaleLastSyncIsRebuiltOnce(t *testing.T) {
	e := newEnv(t, seed, func(o *Options) { o.StatusCacheTTL = time.Nanosecond })
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.store.onEnter = func(method string) {
		if method == "Generation" {
			once.Do(func() { close(entered) })
			<-release
		}
	}
	const readers = 20
	results := make(chan response, readers)
	go func() { results <- e.do(t, lastSyncReq()) }()
	<-entered
	for range readers - 1 {
		go func() { results <- e.do(t, lastSyncReq()) }()
	}
	time.Sleep(100 * time.Millisecond) // let them all arrive (a wrong build would read the store each)
	close(release)
	var first []byte
	for range readers {
		res := <-results
		if res.status != 200 {
			t.Fatalf("status %d: %s", res.status, res.body)
		}
		if first == nil {
			first = res.body
		} else if string(res.body) != string(first) {
			t.Errorf("readers got different answers")
		}
	}
	if n := e.store.callCount("Generation"); n != 1 {
		t.Errorf("the store was read %d times for %d concurrent readers of a stale answer, want once", n, readers)
	}
}

// TestLastSyncWhileTheStoreIsDown: the last answer is served, flagged,
// with the runs that ended since counted and the newest shown.
func TestLastSyncWhileTheStoreIsDown(t *testing.T) {
	e := newEnv(t, seed, nil)
	before := decodeLastSync(t, e.do(t, lastSyncReq()))
	e.store.mu.Lock()
	e.store.fail["Statuses"] = errStore
	e.store.mu.Unlock()
	e.syncer.mu.Lock()
	e.syncer.unrecorded = map[string][]store.Run{"platform": {
		{SourceID: "platform", Trigger: store.TriggerSchedule, StartedAt: ago(2 * time.Minute), FinishedAt: ago(2 * time.Minute), Outcome: store.Failed, Reason: "store: connection refused"},
		{SourceID: "platform", Trigger: store.TriggerSchedule, StartedAt: ago(time.Minute), FinishedAt: ago(time.Minute), Outcome: store.Failed,
			Reason: "store: connection refused", ReasonCode: store.ReasonStoreUnavailable},
	}}
	e.syncer.mu.Unlock()
	res := e.do(t, lastSyncReq())
	if res.status != 200 || res.header.Get(storeHeader) != "unavailable" {
		t.Fatalf("store down: %d %q %s", res.status, res.header.Get(storeHeader), res.body)
	}
	var flag struct {
		StoreUnavailable bool   `json:"storeUnavailable"`
		Message          string `json:"message"`
	}
	res.decode(t, &flag)
	if !flag.StoreUnavailable || !strings.Contains(flag.Message, "unavailable") {
		t.Errorf("not flagged: %s", res.body)
	}
	var full struct {
		Sources []struct {
			ID                  string    `json:"id"`
			State               string    `json:"state"`
			ConsecutiveFailures int       `json:"consecutiveFailures"`
			LastAttemptAt       time.Time `json:"lastAttemptAt"`
			LastRun             struct {
				Outcome    string `json:"outcome"`
				Reason     string `json:"reason"`
				ReasonCode string `json:"reasonCode"`
			} `json:"lastRun"`
		} `json:"sources"`
	}
	res.decode(t, &full)
	p := full.Sources[0]
	if p.ID != "platform" || p.ConsecutiveFailures != before.Sources[0].ConsecutiveFailures+2 || p.State != string(store.StateFailed) ||
		!p.LastAttemptAt.Equal(ago(time.Minute)) || p.LastRun.Outcome != "failed" || p.LastRun.Reason != "store: connection refused" ||
		p.LastRun.ReasonCode != "store-unavailable" {
		t.Errorf("platform during the outage: %+v (before: %+v)", p, before.Sources[0])
	}
	if full.Sources[1].ConsecutiveFailures != before.Sources[1].ConsecutiveFailures {
		t.Errorf("teams changed: %+v", full.Sources[1])
	}

	// Without a last answer, the error.
	e = newEnv(t, both(seed, failing("Statuses")), nil)
	if res := e.do(t, lastSyncReq()); res.status != 500 {
		t.Errorf("store down from the start: %d", res.status)
	}
}

func TestInfosAreCountedNeitherAsErrorsNorAsWarnings(t *testing.T) {
	errs, warnings := store.Run{Errors: []store.FileError{
		{File: "a.yaml", Severity: "error", Code: "parse"},
		{File: "b.yaml", Severity: "warning", Code: "dangling-ref"},
		{File: "c.yaml", Severity: "info", Code: "placeholder-url"},
		{File: "c.yaml", Severity: "info", Code: "placeholder-url"},
	}}.Problems()
	if errs != 1 || warnings != 1 {
		t.Fatalf("errorCount %d, warningCount %d, want 1 and 1", errs, warnings)
	}
}
