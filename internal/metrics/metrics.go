// Package metrics holds the engine's Prometheus collectors: what sync
// runs, fetches and Kafka discovery report, what the HTTP API serves, and
// the gauges read from the configuration and the shared database at each
// scrape. Their names, labels and help texts are a contract:
// deploy/prometheus/alerts.yaml, the Helm chart's PrometheusRule and
// docs/operations.md name them.
package metrics

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/store"
)

// Metrics are the engine's collectors. The syncer reports runs and
// fetches into them (syncer.Metrics{Observe: m.ObserveRun}), the Kafka
// monitor its discoveries and the API requests, generations and acks, so
// one registry shows them all.
type Metrics struct {
	runs          *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	entities      *prometheus.GaugeVec
	fileErrors    *fileErrorGauge
	lastSuccess   *prometheus.GaugeVec
	generation    prometheus.Gauge
	ackGeneration *prometheus.GaugeVec
	httpRequests  *prometheus.CounterVec
	fetchBytes    *prometheus.CounterVec
	spoolFallback *prometheus.CounterVec
	// From config and the shared database, refreshed at each scrape.
	interval *prometheus.GaugeVec
	failures *prometheus.GaugeVec
	// Kafka discovery, per configured cluster.
	discoverySuccess *prometheus.GaugeVec
	discoveryErrors  *prometheus.CounterVec

	// newest is the highest generation this process has seen: read from
	// the store (entity and ack requests, scrapes) or committed by its
	// syncer. During a store outage the entity list in memory is served
	// only when it is at this generation.
	newest atomic.Int64
}

// fileErrorGauge is the file errors gauge and the lock that makes a
// source's reset-and-set of it atomic. A registry holds one, so every
// Metrics sharing the collectors shares the lock too.
type fileErrorGauge struct {
	*prometheus.GaugeVec
	mu sync.Mutex
}

// New registers the collectors on reg (nil: registered nowhere). Calling
// it again with the same registry returns Metrics sharing the already
// registered collectors, so the syncer's and the API's are one set.
func New(reg *prometheus.Registry) *Metrics {
	var r prometheus.Registerer = prometheus.NewRegistry()
	if reg != nil {
		r = reg
	}
	return &Metrics{
		runs: counter(r, "central_config_sync_runs_total",
			"Sync runs finished, by source and outcome (succeeded, degraded, failed, unchanged).", "source", "outcome"),
		duration: register(r, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "central_config_sync_duration_seconds",
			Help:    "How long sync runs took, by source.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
		}, []string{"source"})),
		entities: gauge(r, "central_config_entities",
			"Entities a source publishes, as of its last run that was not a failure.", "source"),
		fileErrors: register(r, &fileErrorGauge{GaugeVec: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "central_config_file_errors",
			Help: "File problems of severity error in a source's last mapped revision, by code.",
		}, []string{"source", "code"})}),
		lastSuccess: gauge(r, "central_config_last_success_timestamp_seconds",
			"When a source last synced without failing (succeeded, degraded or unchanged), as a Unix time; read from the database at each scrape, so any replica's runs count.", "source"),
		generation: register(r, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "central_config_generation",
			Help: "The global generation of published entities, read from the database at each scrape.",
		})),
		ackGeneration: gauge(r, "central_config_catalog_ack_generation",
			"The generation a catalog last acknowledged it applied, by consumer; read from the database at each scrape.", "consumer"),
		httpRequests: counter(r, "central_config_http_requests_total",
			"HTTP requests served, by route and status code (\"aborted\" for a handler that panicked mid-response).", "route", "code"),
		fetchBytes: counter(r, "central_config_fetch_bytes_total", "Bytes fetched from a source.", "source"),
		spoolFallback: counter(r, "central_config_spool_fallbacks_total",
			"Runs whose entity JSON waited in memory because the temporary spool file (TMPDIR) could not be created or written.", "source"),
		interval: gauge(r, "central_config_sync_interval_seconds",
			"A source's configured sync interval (schedule.frequency), for alerts that count missed intervals.", "source"),
		failures: gauge(r, "central_config_sync_consecutive_failures",
			"Failed runs of a source since its last run that did not fail, as recorded in the database (any replica's runs).", "source"),
		discoverySuccess: gauge(r, "central_config_kafka_discovery_last_success_timestamp_seconds",
			"When live discovery last listed a Kafka cluster's topics and consumer groups, as a Unix time.", "cluster"),
		discoveryErrors: counter(r, "central_config_kafka_discovery_errors_total",
			"Live discoveries of a Kafka cluster that failed (unreachable, authentication, timeout).", "cluster"),
	}
}

// counter registers a counter with labels.
func counter(r prometheus.Registerer, name, help string, labels ...string) *prometheus.CounterVec {
	return register(r, prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels))
}

// gauge registers a gauge with labels.
func gauge(r prometheus.Registerer, name, help string, labels ...string) *prometheus.GaugeVec {
	return register(r, prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels))
}

// register registers c, or returns the collector of the same description
// already registered.
func register[C prometheus.Collector](r prometheus.Registerer, c C) C {
	if err := r.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

// ObserveRun records a finished run; it has the signature of
// syncer.Metrics.Observe.
func (m *Metrics) ObserveRun(r store.Run) {
	if m == nil || r.Outcome == "" || r.Outcome == store.Running {
		return
	}
	src := r.SourceID
	m.runs.WithLabelValues(src, string(r.Outcome)).Inc()
	if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() && !r.FinishedAt.Before(r.StartedAt) {
		m.duration.WithLabelValues(src).Observe(r.Duration().Seconds())
	}
	switch r.Outcome {
	case store.Succeeded, store.Degraded, store.Unchanged:
		m.entities.WithLabelValues(src).Set(float64(r.Counts.Entities))
		if !r.FinishedAt.IsZero() {
			m.lastSuccess.WithLabelValues(src).Set(unixSeconds(r.FinishedAt))
		}
	}
	if r.Generation > 0 {
		m.SetGeneration(r.Generation)
	}
	// An unchanged run, or one that failed before mapping (fetch error),
	// says nothing new about the files: keep the last mapped state.
	if r.Outcome == store.Unchanged || (r.Outcome == store.Failed && len(r.Errors) == 0) {
		return
	}
	counts := map[string]int{}
	for _, e := range r.Errors {
		if e.Severity == string(diag.Error) {
			counts[e.Code]++
		}
	}
	m.fileErrors.mu.Lock()
	defer m.fileErrors.mu.Unlock()
	m.fileErrors.DeletePartialMatch(prometheus.Labels{"source": src})
	for code, n := range counts {
		m.fileErrors.WithLabelValues(src, code).Set(float64(n))
	}
}

// ObserveFetchBytes counts bytes a source's fetch transferred.
func (m *Metrics) ObserveFetchBytes(source string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.fetchBytes.WithLabelValues(source).Add(float64(n))
}

// ObserveSpoolFallback counts a run whose entity spool fell back to
// memory.
func (m *Metrics) ObserveSpoolFallback(source string) {
	if m == nil {
		return
	}
	m.spoolFallback.WithLabelValues(source).Inc()
}

// ObserveDiscovery records the outcome of one live discovery of a Kafka
// cluster; it has the signature of live.Options.Observe.
func (m *Metrics) ObserveDiscovery(cluster string, at time.Time, err error) {
	if m == nil {
		return
	}
	errs := m.discoveryErrors.WithLabelValues(cluster) // present from the first discovery on, also at 0
	if err != nil {
		errs.Inc()
		return
	}
	m.discoverySuccess.WithLabelValues(cluster).Set(unixSeconds(at))
}

// ObserveRequest counts one HTTP request served on a route, by status
// code ("aborted" for a handler that panicked mid-response).
func (m *Metrics) ObserveRequest(route, code string) {
	m.httpRequests.WithLabelValues(route, code).Inc()
}

// SetGeneration records the global generation read from the store or
// committed by a run.
func (m *Metrics) SetGeneration(g int64) {
	m.generation.Set(float64(g))
	for {
		cur := m.newest.Load()
		if g <= cur || m.newest.CompareAndSwap(cur, g) {
			return
		}
	}
}

// NewestGeneration is the highest generation this process has seen.
func (m *Metrics) NewestGeneration() int64 { return m.newest.Load() }

// SetAck records the generation a catalog acknowledged.
func (m *Metrics) SetAck(consumer string, g int64) {
	m.ackGeneration.WithLabelValues(consumer).Set(float64(g))
}

// Database is what Refresh reads from the shared database.
type Database interface {
	Generation(ctx context.Context) (int64, error)
	Acks(ctx context.Context) ([]store.Ack, error)
	Statuses(ctx context.Context) ([]store.SourceStatus, error)
}

// Sources are the configured sources and their sync intervals.
type Sources interface {
	SourceIDs() []string
	Interval(sourceID string) time.Duration
}

// Refresh sets the gauges whose truth is the configuration and the
// shared database: each source's interval, last success and consecutive
// failures, the generation and what each catalog acknowledged. It runs
// before each scrape, so every replica reports the same values, also
// right after a restart and when another replica did the syncing. A
// database that does not answer (readiness says so) leaves the last
// values. Either may be nil.
func (m *Metrics) Refresh(ctx context.Context, db Database, sources Sources) {
	var configured map[string]bool
	if sources != nil {
		configured = map[string]bool{}
		for _, id := range sources.SourceIDs() {
			configured[id] = true
			m.interval.WithLabelValues(id).Set(sources.Interval(id).Seconds())
			// Every source's counter exists, at 0, so rate() and
			// increase() see its first fallback.
			m.spoolFallback.WithLabelValues(id)
		}
	}
	if db == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if g, err := db.Generation(ctx); err == nil {
		m.SetGeneration(g)
	}
	if acks, err := db.Acks(ctx); err == nil {
		for _, a := range acks {
			m.SetAck(a.Consumer, a.Generation)
		}
	}
	statuses, err := db.Statuses(ctx)
	if err != nil {
		return
	}
	for _, status := range statuses {
		// A source removed from the config keeps its row; it is no
		// longer this engine's to report.
		if configured != nil && !configured[status.SourceID] {
			continue
		}
		m.failures.WithLabelValues(status.SourceID).Set(float64(status.ConsecutiveFailures))
		if !status.LastSuccessAt.IsZero() {
			m.lastSuccess.WithLabelValues(status.SourceID).Set(unixSeconds(status.LastSuccessAt))
		}
	}
}

// unixSeconds is t as a Unix time in seconds, with its fraction.
func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
