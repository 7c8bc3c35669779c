package httpapi

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/central-config/central-config/internal/metrics"
	"github.com/central-config/central-config/internal/store"
)

func TestMetricsShareRegistry(t *testing.T) {
	tests := []struct {
		name string
		run  func(syncerSide *metrics.Metrics, reg *prometheus.Registry, e *env)
		// metric and labels expected at value.
		metric string
		labels map[string]string
		value  float64
	}{
		{
			name: "syncer runs show on the API's registry",
			run: func(m *metrics.Metrics, _ *prometheus.Registry, _ *env) {
				m.ObserveRun(store.Run{SourceID: "teams", Outcome: store.Succeeded})
			},
			metric: "central_config_sync_runs_total", labels: map[string]string{"source": "teams", "outcome": "succeeded"}, value: 1,
		},
		{
			name: "fetch bytes add up",
			run: func(m *metrics.Metrics, _ *prometheus.Registry, _ *env) {
				m.ObserveFetchBytes("teams", 1000)
				m.ObserveFetchBytes("teams", 24)
			},
			metric: "central_config_fetch_bytes_total", labels: map[string]string{"source": "teams"}, value: 1024,
		},
		{
			name:   "nothing fetched adds no series",
			run:    func(m *metrics.Metrics, _ *prometheus.Registry, _ *env) { m.ObserveFetchBytes("teams", 0) },
			metric: "central_config_fetch_bytes_total", labels: map[string]string{"source": "teams"}, value: -1,
		},
		{
			name: "Options.Metrics are used",
			run: func(m *metrics.Metrics, _ *prometheus.Registry, e *env) {
				h := New(Options{Store: e.store, Syncer: e.syncer, Registry: prometheus.NewRegistry(), Metrics: m})
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
			},
			metric: "central_config_http_requests_total", labels: map[string]string{"route": "/healthz", "code": "200"}, value: 1,
		},
		{
			name: "requests are counted by route and code",
			run: func(_ *metrics.Metrics, _ *prometheus.Registry, e *env) {
				e.do(t, request{method: "GET", target: "/central-config/syncs/1"})
				e.do(t, request{method: "GET", target: "/central-config/syncs/2"})
			},
			metric: "central_config_http_requests_total", labels: map[string]string{"route": "/central-config/syncs/{id}", "code": "404"}, value: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			m := metrics.New(e.reg) // what the engine wires into the syncer
			tt.run(m, e.reg, e)
			v, ok := metricValue(t, e.reg, tt.metric, tt.labels)
			if tt.value < 0 {
				if ok {
					t.Errorf("%s%v = %v, want no series", tt.metric, tt.labels, v)
				}
				return
			}
			if v != tt.value {
				t.Errorf("%s%v = %v, want %v", tt.metric, tt.labels, v, tt.value)
			}
		})
	}
}

// TestAScrapeReportsTheDatabase: the generation, the catalogs' acks and
// each source's last success and consecutive failures come from the
// shared database at each scrape, so a replica that has just started, or
// that another replica syncs for, reports what is true; the intervals
// come from config. A database that does not answer still gets a scrape.
func TestAScrapeReportsTheDatabase(t *testing.T) {
	success := testNow.Add(-time.Hour)
	e := newEnv(t, func(st *fakeStore, _ *fakeSyncer) {
		st.generation = 12
		st.acks["backstage"] = store.Ack{Consumer: "backstage", Generation: 10, AckedAt: testNow}
		st.statuses["platform"] = store.SourceStatus{SourceID: "platform", LastSuccessAt: success, ConsecutiveFailures: 2}
		st.statuses["retired"] = store.SourceStatus{SourceID: "retired", ConsecutiveFailures: 9}
	}, nil)
	if res := e.do(t, request{method: "GET", target: "/metrics"}); res.status != 200 {
		t.Fatalf("scrape: %d", res.status)
	}
	for _, s := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"central_config_generation", nil, 12},
		{"central_config_catalog_ack_generation", map[string]string{"consumer": "backstage"}, 10},
		{"central_config_last_success_timestamp_seconds", map[string]string{"source": "platform"}, float64(success.Unix())},
		{"central_config_sync_consecutive_failures", map[string]string{"source": "platform"}, 2},
		{"central_config_sync_interval_seconds", map[string]string{"source": "platform"}, 300},
		{"central_config_sync_interval_seconds", map[string]string{"source": "teams"}, 3600},
	} {
		if v, ok := metricValue(t, e.reg, s.name, s.labels); !ok || v != s.want {
			t.Errorf("%s%v = %v (present %v), want %v", s.name, s.labels, v, ok, s.want)
		}
	}
	if v, ok := metricValue(t, e.reg, "central_config_sync_consecutive_failures", map[string]string{"source": "retired"}); ok {
		t.Errorf("a source no longer configured is reported: %v", v)
	}
	e.store.mu.Lock()
	e.store.fail["Statuses"] = errors.New("connection refused")
	e.store.fail["Generation"] = errors.New("connection refused")
	e.store.mu.Unlock()
	if res := e.do(t, request{method: "GET", target: "/metrics"}); res.status != 200 {
		t.Fatalf("a scrape with the database down: %d", res.status)
	}
	if v, _ := metricValue(t, e.reg, "central_config_generation", nil); v != 12 {
		t.Errorf("the last generation is kept while the database is down: %v", v)
	}
}
