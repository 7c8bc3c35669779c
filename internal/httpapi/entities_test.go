package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/logtest"
	"github.com/central-config/central-config/internal/store"
)

type entityList struct {
	Kind       string            `json:"kind"`
	Generation int64             `json:"generation"`
	Since      *int64            `json:"since"`
	Entities   []json.RawMessage `json:"entities"`
	Upserts    []json.RawMessage `json:"upserts"`
	Removals   []string          `json:"removals"`
}

func names(t *testing.T, bodies []json.RawMessage) []string {
	t.Helper()
	var out []string
	for _, b := range bodies {
		var e struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Kind+":"+e.Metadata.Name)
	}
	return out
}

func TestEntities(t *testing.T) {
	get := func(target string, header ...string) request {
		r := request{method: "GET", target: target, header: map[string]string{}}
		for i := 0; i+1 < len(header); i += 2 {
			r.header[header[i]] = header[i+1]
		}
		return r
	}
	notModified := func(t *testing.T, e *env, res response) {
		if len(res.body) != 0 || res.header.Get("ETag") != `"3"` {
			t.Errorf("304 with body %q, ETag %q", res.body, res.header.Get("ETag"))
		}
		if n := e.store.callCount("Entities") + e.store.callCount("Changes"); n != 0 {
			t.Errorf("entities were read %d times for a 304", n)
		}
	}
	runCases(t, []apiCase{
		{name: "full list", setup: seed, req: get("/central-config/entities"), status: 200, check: func(t *testing.T, e *env, res response) {
			h := res.header
			if h.Get("ETag") != `"3"` || h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-cache" {
				t.Errorf("headers = %v", h)
			}
			var l entityList
			res.decode(t, &l)
			if l.Kind != "full" || l.Generation != 3 || l.Since != nil || l.Upserts != nil {
				t.Errorf("list = %+v", l)
			}
			want := []string{"Component:api", "Component:web", "Group:team-a", "System:shop"}
			if got := names(t, l.Entities); !slices.Equal(got, want) {
				t.Errorf("entities = %v, want %v", got, want)
			}
			// Bodies are passed through as stored.
			if !bytes.Equal(l.Entities[0], e.store.entities[0].Body) {
				t.Errorf("body = %s, want %s", l.Entities[0], e.store.entities[0].Body)
			}
			if g, _ := metricValue(t, e.reg, "central_config_generation", nil); g != 3 {
				t.Errorf("central_config_generation = %v, want 3", g)
			}
		}},
		{name: "empty catalog", req: get("/central-config/entities"), status: 200, check: func(t *testing.T, _ *env, res response) {
			if got := strings.TrimSpace(string(res.body)); got != `{"kind":"full","generation":0,"entities":[]}` {
				t.Errorf("body = %s", got)
			}
			if res.header.Get("ETag") != `"0"` {
				t.Errorf("ETag = %q", res.header.Get("ETag"))
			}
		}},
		{name: "If-None-Match current", setup: seed, req: get("/central-config/entities", "If-None-Match", `"3"`), status: 304, check: notModified},
		{name: "If-None-Match weak", setup: seed, req: get("/central-config/entities", "If-None-Match", `W/"3"`), status: 304, check: notModified},
		{name: "If-None-Match list", setup: seed, req: get("/central-config/entities", "If-None-Match", `"1", "3"`), status: 304, check: notModified},
		{name: "If-None-Match stale", setup: seed, req: get("/central-config/entities", "If-None-Match", `"2"`), status: 200,
			check: func(t *testing.T, e *env, res response) {
				if e.store.callCount("Entities") != 1 {
					t.Error("entities not read")
				}
			}},
		{name: "since current", setup: seed, req: get("/central-config/entities?since=3"), status: 304, check: notModified},
		{name: "delta", setup: seed, req: get("/central-config/entities?since=1"), status: 200, check: func(t *testing.T, _ *env, res response) {
			if res.header.Get("ETag") != `"3"` {
				t.Errorf("ETag = %q", res.header.Get("ETag"))
			}
			var l entityList
			res.decode(t, &l)
			if l.Kind != "delta" || l.Generation != 3 || l.Since == nil || *l.Since != 1 || l.Entities != nil {
				t.Errorf("delta = %+v", l)
			}
			if got := names(t, l.Upserts); !slices.Equal(got, []string{"Component:web", "Group:team-a"}) {
				t.Errorf("upserts = %v", got)
			}
			if !slices.Equal(l.Removals, []string{"Component:default/old"}) {
				t.Errorf("removals = %v", l.Removals)
			}
		}},
		{name: "delta with nothing removed", setup: both(seed, func(f *fakeStore, _ *fakeSyncer) { f.removals = nil }),
			req: get("/central-config/entities?since=2"), status: 200, check: func(t *testing.T, _ *env, res response) {
				if !strings.Contains(string(res.body), `"removals":[]`) {
					t.Errorf("body = %s, want removals []", res.body)
				}
			}},
		{name: "entity moved between sources", setup: both(seed, func(f *fakeStore, _ *fakeSyncer) {
			f.entities = append(f.entities, entity("teams", "group:default/moved", "Group:default/moved", 3))
			f.removals = append(f.removals, store.Removal{SourceID: "platform", Key: "group:default/moved", Ref: "Group:default/moved", Generation: 3},
				store.Removal{SourceID: "teams", Key: "component:default/old", Ref: "Component:default/old", Generation: 3})
		}), req: get("/central-config/entities?since=2"), status: 200, check: func(t *testing.T, _ *env, res response) {
			var l entityList
			res.decode(t, &l)
			if got := names(t, l.Upserts); !slices.Contains(got, "Group:moved") {
				t.Errorf("upserts = %v, want the moved entity", got)
			}
			if !slices.Equal(l.Removals, []string{"Component:default/old"}) {
				t.Errorf("removals = %v, want only the old component, once", l.Removals)
			}
		}},
		{name: "since ahead", setup: seed, req: get("/central-config/entities?since=4"), status: 400, code: "generation-ahead"},
		{name: "since negative", setup: seed, req: get("/central-config/entities?since=-1"), status: 400, code: "bad-request"},
		{name: "since not a number", setup: seed, req: get("/central-config/entities?since=abc"), status: 400, code: "bad-request"},
		{name: "since pruned", setup: both(seed, func(f *fakeStore, _ *fakeSyncer) { f.oldest = 2 }),
			req: get("/central-config/entities?since=1"), status: 410, code: "generation-too-old", check: func(t *testing.T, _ *env, res response) {
				want := `{"error":{"code":"generation-too-old","message":"generation 1 is older than the retained history; read the full list"}}`
				if got := strings.TrimSpace(string(res.body)); got != want {
					t.Errorf("body = %s, want %s", got, want)
				}
				if res.header.Get("ETag") != "" {
					t.Error("an error has an ETag")
				}
			}},
		{name: "generation unavailable", setup: both(seed, failing("Generation")), req: get("/central-config/entities"), status: 500, code: "internal"},
		{name: "entities unavailable", setup: both(seed, failing("Entities")), req: get("/central-config/entities"), status: 500, code: "internal"},
		{name: "changes unavailable", setup: both(seed, failing("Changes")), req: get("/central-config/entities?since=1"), status: 500, code: "internal"},
		{name: "entities fail before the first", setup: both(seed, func(f *fakeStore, _ *fakeSyncer) { f.failAt = 0 }),
			req: get("/central-config/entities"), status: 500, code: "internal"},
		{name: "pruned before the first", setup: both(seed, func(f *fakeStore, _ *fakeSyncer) { f.failAt, f.failErr = 0, store.ErrTooOld }),
			req: get("/central-config/entities?since=1"), status: 410, code: "generation-too-old"},
	})
}

// bigCatalog is 100k entities at generation 2, built once.
var bigCatalog = sync.OnceValue(func() []store.Entity {
	out := make([]store.Entity, 100_000)
	for i := range out {
		name := "svc-" + strconv.Itoa(1_000_000+i)
		out[i] = entity("platform", "component:default/"+name, "Component:default/"+name, 2)
	}
	return out
})

// TestEntitiesRenderedOncePerGeneration: readers of one generation share
// one read of the store; a new generation is read again.
func TestEntitiesRenderedOncePerGeneration(t *testing.T) {
	e := newEnv(t, seed, nil)
	get := request{method: "GET", target: "/central-config/entities"}
	first := e.do(t, get)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, get.build())
			if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), first.body) {
				t.Errorf("status %d, same body %v", rec.Code, bytes.Equal(rec.Body.Bytes(), first.body))
			}
		})
	}
	wg.Wait()
	if n := e.store.callCount("Entities"); n != 1 {
		t.Errorf("21 reads of one generation read the store %d times, want 1", n)
	}
	e.store.mu.Lock()
	e.store.generation = 4
	e.store.mu.Unlock()
	if res := e.do(t, get); res.status != 200 || res.header.Get("ETag") != `"4"` || e.store.callCount("Entities") != 2 {
		t.Errorf("after a new generation: %d, ETag %s, %d store reads", res.status, res.header.Get("ETag"), e.store.callCount("Entities"))
	}
}

// TestEntitiesStoreFailureMidRead: a store failure while reading gives an
// error response, never a partial list (which a client would take as
// deletions).
func TestEntitiesStoreFailureMidRead(t *testing.T) {
	runCases(t, []apiCase{
		{name: "full list", setup: both(seed, func(f *fakeStore, _ *fakeSyncer) { f.failAt = 2 }),
			req: request{method: "GET", target: "/central-config/entities"}, status: 500, code: "internal"},
		{name: "delta", setup: both(seed, func(f *fakeStore, _ *fakeSyncer) { f.failAt = 1 }),
			req: request{method: "GET", target: "/central-config/entities?since=0"}, status: 500, code: "internal"},
		{name: "delta pruned mid-read", setup: both(seed, func(f *fakeStore, _ *fakeSyncer) { f.failAt, f.failErr = 1, store.ErrTooOld }),
			req: request{method: "GET", target: "/central-config/entities?since=0"}, status: 410, code: "generation-too-old"},
		{name: "corrupt body", setup: both(seed, func(f *fakeStore, _ *fakeSyncer) { f.entities[1].Body = []byte(`{"kind":`) }),
			req: request{method: "GET", target: "/central-config/entities"}, status: 500, code: "internal"},
	})
}

// TestSlowEntityReaderIsCutOff: a client that stops reading holds no
// store read (another reader is served meanwhile) and is cut off after
// the write timeout, with a warning.
func TestSlowEntityReaderIsCutOff(t *testing.T) {
	logs := &logtest.Buffer{}
	e := newEnv(t, func(f *fakeStore, _ *fakeSyncer) {
		f.generation = 2
		f.entities = bigCatalog()
	}, func(o *Options) {
		o.WriteTimeout = 300 * time.Millisecond
		o.Log = slog.New(slog.NewTextHandler(logs, nil))
	})
	logged := logs.String
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	_ = conn.(*net.TCPConn).SetReadBuffer(4096)
	_, _ = io.WriteString(conn, "GET /central-config/entities?since=1 HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := io.ReadFull(conn, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(srv.URL + "/central-config/entities?since=0")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("another reader meanwhile: %d", res.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logged(), "level=WARN msg=\"entities: client too slow, cut off\"") {
		if time.Now().After(deadline) {
			t.Fatalf("no warning about the slow client; log:\n%s", logged())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestEntitiesWhileTheStoreIsDown: the last full list is served, flagged;
// a delta the client cannot get from it is an error.
func TestEntitiesWhileTheStoreIsDown(t *testing.T) {
	e := newEnv(t, seed, nil)
	get := func(target string, header ...string) response {
		r := request{method: "GET", target: target, header: map[string]string{}}
		for i := 0; i+1 < len(header); i += 2 {
			r.header[header[i]] = header[i+1]
		}
		return e.do(t, r)
	}
	if res := get("/central-config/entities"); res.status != 200 || res.header.Get(storeHeader) != "" {
		t.Fatalf("store up: %d, %s %q", res.status, storeHeader, res.header.Get(storeHeader))
	}
	first := get("/central-config/entities")
	e.store.mu.Lock()
	e.store.fail["Generation"] = errStore
	e.store.mu.Unlock()
	res := get("/central-config/entities")
	if res.status != 200 || !bytes.Equal(res.body, first.body) || res.header.Get(storeHeader) != "unavailable" || res.header.Get("ETag") != `"3"` {
		t.Errorf("store down: %d, %s %q, ETag %s, same body %v", res.status, storeHeader, res.header.Get(storeHeader),
			res.header.Get("ETag"), bytes.Equal(res.body, first.body))
	}
	for _, r := range []response{get("/central-config/entities", "If-None-Match", `"3"`), get("/central-config/entities?since=3")} {
		if r.status != 304 || r.header.Get(storeHeader) != "unavailable" {
			t.Errorf("store down, client current: %d %q", r.status, r.header.Get(storeHeader))
		}
	}
	if r := get("/central-config/entities?since=1"); r.status != 500 {
		t.Errorf("store down, a delta: %d", r.status)
	}
}

// TestEntitiesWhileTheStoreIsDownAfterNewerGenerations: a list in memory
// older than a generation this process has seen (read by a delta, or
// committed by its syncer) is not served during an outage: 503
// store-unavailable, flagged, so a client keeps what it has rather than
// apply a list without the entities published since.
func TestEntitiesWhileTheStoreIsDownAfterNewerGenerations(t *testing.T) {
	for _, tc := range []struct {
		name  string
		newer func(*env)
	}{
		{"a delta read a newer generation", func(e *env) {
			e.store.mu.Lock()
			e.store.generation = 4
			e.store.mu.Unlock()
			if res := e.do(t, request{method: "GET", target: "/central-config/entities?since=3"}); res.status != 200 || res.header.Get("ETag") != `"4"` {
				t.Fatalf("delta: %d %s", res.status, res.body)
			}
		}},
		{"the syncer committed a newer generation", func(e *env) {
			e.h.(*server).metrics.ObserveRun(store.Run{SourceID: "platform", Outcome: store.Succeeded, Generation: 5,
				StartedAt: testNow, FinishedAt: testNow})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, seed, nil)
			if res := e.do(t, request{method: "GET", target: "/central-config/entities"}); res.status != 200 || res.header.Get("ETag") != `"3"` {
				t.Fatalf("full list: %d %s", res.status, res.body)
			}
			tc.newer(e)
			e.store.mu.Lock()
			e.store.fail["Generation"] = errStore
			e.store.mu.Unlock()
			for _, r := range []request{
				{method: "GET", target: "/central-config/entities"},
				{method: "GET", target: "/central-config/entities", header: map[string]string{"If-None-Match": `"3"`}},
				{method: "GET", target: "/central-config/entities?since=3"},
			} {
				res := e.do(t, r)
				if res.status != 503 || res.errorCode(t) != "store-unavailable" || res.header.Get(storeHeader) != "unavailable" ||
					res.header.Get("ETag") != "" {
					t.Errorf("%s %v with the store down and an old list in memory: %d, %s %q, ETag %q: %s", r.target, r.header,
						res.status, storeHeader, res.header.Get(storeHeader), res.header.Get("ETag"), res.body)
				}
			}
		})
	}
}

// TestDeltaBudget: a delta that does not fit in the memory kept for
// deltas is answered 410, so the client reads the shared full list.
func TestDeltaBudget(t *testing.T) {
	defer func(b int64) { deltaBudget = b }(deltaBudget)
	deltaBudget = 100
	e := newEnv(t, seed, nil)
	res := e.do(t, request{method: "GET", target: "/central-config/entities?since=1"})
	if res.status != 410 || res.errorCode(t) != "generation-too-old" || !strings.Contains(string(res.body), "read the full list") {
		t.Errorf("delta over the budget: %d %s", res.status, res.body)
	}
	if n := e.h.(*server).deltaBytes.Load(); n != 0 {
		t.Errorf("%d bytes still counted", n)
	}
	deltaBudget = 1 << 20
	if res := e.do(t, request{method: "GET", target: "/central-config/entities?since=1"}); res.status != 200 || e.h.(*server).deltaBytes.Load() != 0 {
		t.Errorf("delta within the budget: %d, %d bytes still counted", res.status, e.h.(*server).deltaBytes.Load())
	}
}
