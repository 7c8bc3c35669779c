package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

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

// countingWriter is a ResponseWriter that records how the body arrives.
type countingWriter struct {
	header  http.Header
	status  int
	writes  int
	flushes int
	buf     bytes.Buffer
}

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *countingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	w.writes++
	return w.buf.Write(b)
}
func (w *countingWriter) Flush() { w.flushes++ }

// bigCatalog is 100k entities at generation 2, built once.
var bigCatalog = sync.OnceValue(func() []store.Entity {
	out := make([]store.Entity, 100_000)
	for i := range out {
		name := "svc-" + strconv.Itoa(1_000_000+i)
		out[i] = entity("platform", "component:default/"+name, "Component:default/"+name, 2)
	}
	return out
})

// TestEntitiesStream serves 100k entities and checks the body goes out
// while the store is still handing them over.
func TestEntitiesStream(t *testing.T) {
	const n = 100_000
	tests := []struct {
		name, target string
		key          string
	}{
		{"full", "/central-config/entities", "entities"},
		{"delta", "/central-config/entities?since=1", "upserts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var w *countingWriter
			var writtenAtHalf, writesAtHalf int
			e := newEnv(t, func(f *fakeStore, _ *fakeSyncer) {
				f.generation = 2
				f.entities = bigCatalog()
				f.onEntity = func(i int) {
					if i == n/2 {
						writtenAtHalf, writesAtHalf = w.buf.Len(), w.writes
					}
				}
			}, nil)
			w = &countingWriter{header: http.Header{}}
			req := request{method: "GET", target: tt.target}
			e.h.ServeHTTP(w, req.build())
			if w.status != 200 {
				t.Fatalf("status %d: %s", w.status, w.buf.Bytes())
			}
			if writesAtHalf < n/2 || writtenAtHalf < 5<<20 {
				t.Errorf("at entity %d only %d writes, %d bytes were out: the body is buffered", n/2, writesAtHalf, writtenAtHalf)
			}
			if w.writes <= n {
				t.Errorf("%d writes for %d entities", w.writes, n)
			}
			// checkSpec decodes and validates the whole body; count here.
			if !bytes.HasPrefix(w.buf.Bytes(), []byte(`{"kind":"`+tt.name+`"`)) || bytes.Count(w.buf.Bytes(), []byte(`"apiVersion"`)) != n {
				t.Errorf("want %d %s in %.200s...", n, tt.key, w.buf.Bytes())
			}
			checkSpec(t, req.build(), response{status: w.status, header: w.header, body: w.buf.Bytes()})
		})
	}
}

// TestEntitiesAbort checks a store failure mid-stream breaks the transfer
// instead of ending a short list that looks complete.
func TestEntitiesAbort(t *testing.T) {
	tests := []struct {
		name, target string
		setup        func(*fakeStore, *fakeSyncer)
	}{
		{"full list", "/central-config/entities", func(f *fakeStore, _ *fakeSyncer) { f.failAt = 2 }},
		{"delta", "/central-config/entities?since=0", func(f *fakeStore, _ *fakeSyncer) { f.failAt = 1 }},
		{"delta pruned mid-read", "/central-config/entities?since=0", func(f *fakeStore, _ *fakeSyncer) {
			f.failAt, f.failErr = 1, store.ErrTooOld
		}},
		{"corrupt body", "/central-config/entities", func(f *fakeStore, _ *fakeSyncer) { f.entities[1].Body = []byte(`{"kind":`) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, both(seed, tt.setup), nil)
			srv := httptest.NewServer(e.h)
			defer srv.Close()
			// The connection is cut: before the response head (the
			// client's Get fails) or within the body (reading fails).
			res, err := http.Get(srv.URL + tt.target)
			if err == nil {
				body, rerr := io.ReadAll(res.Body)
				_ = res.Body.Close()
				if rerr == nil {
					t.Fatalf("the transfer ended cleanly with %d %s", res.StatusCode, body)
				}
				if json.Valid(body) {
					t.Errorf("the truncated body is valid JSON: %s", body)
				}
			}
			if v, _ := metricValue(t, e.reg, "central_config_http_requests_total",
				map[string]string{"route": "/central-config/entities", "code": "aborted"}); v != 1 {
				t.Errorf("aborted requests = %v, want 1", v)
			}
		})
	}
}
