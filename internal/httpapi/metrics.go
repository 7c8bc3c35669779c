package httpapi

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/kafka/drift"
	"github.com/central-config/central-config/internal/store"
)

// Metrics are the engine's Prometheus collectors. The syncer reports runs
// and fetches into them (syncer.Metrics{Observe: m.ObserveRun}) and the API
// reports requests, generations and acks, so one registry shows both.
type Metrics struct {
	runs          *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	entities      *prometheus.GaugeVec
	fileErrors    *prometheus.GaugeVec
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

// fileErrorsMu makes a source's reset-and-set of file error gauges atomic,
// across every Metrics sharing the collectors.
var fileErrorsMu sync.Mutex

// NewMetrics registers the collectors on reg (nil: registered nowhere).
// Calling it again with the same registry returns Metrics sharing the
// already registered collectors, so the syncer's and the API's (New
// calls it too) are one set.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	var r prometheus.Registerer = prometheus.NewRegistry()
	if reg != nil {
		r = reg
	}
	return &Metrics{
		runs: register(r, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "central_config_sync_runs_total",
			Help: "Sync runs finished, by source and outcome (succeeded, degraded, failed, unchanged).",
		}, []string{"source", "outcome"})),
		duration: register(r, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "central_config_sync_duration_seconds",
			Help:    "How long sync runs took, by source.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
		}, []string{"source"})),
		entities: register(r, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "central_config_entities",
			Help: "Entities a source publishes, as of its last run that was not a failure.",
		}, []string{"source"})),
		fileErrors: register(r, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "central_config_file_errors",
			Help: "File problems of severity error in a source's last mapped revision, by code.",
		}, []string{"source", "code"})),
		lastSuccess: register(r, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "central_config_last_success_timestamp_seconds",
			Help: "When a source last synced without failing (succeeded, degraded or unchanged), as a Unix time; read from the database at each scrape, so any replica's runs count.",
		}, []string{"source"})),
		generation: register(r, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "central_config_generation",
			Help: "The global generation of published entities, read from the database at each scrape.",
		})),
		ackGeneration: register(r, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "central_config_catalog_ack_generation",
			Help: "The generation a catalog last acknowledged it applied, by consumer; read from the database at each scrape.",
		}, []string{"consumer"})),
		httpRequests: register(r, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "central_config_http_requests_total",
			Help: "HTTP requests served, by route and status code (\"aborted\" for a handler that panicked mid-response).",
		}, []string{"route", "code"})),
		fetchBytes: register(r, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "central_config_fetch_bytes_total",
			Help: "Bytes fetched from a source.",
		}, []string{"source"})),
		spoolFallback: register(r, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "central_config_spool_fallbacks_total",
			Help: "Runs whose entity JSON waited in memory because the temporary spool file (TMPDIR) could not be created or written.",
		}, []string{"source"})),
		interval: register(r, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "central_config_sync_interval_seconds",
			Help: "A source's configured sync interval (schedule.frequency), for alerts that count missed intervals.",
		}, []string{"source"})),
		failures: register(r, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "central_config_sync_consecutive_failures",
			Help: "Failed runs of a source since its last run that did not fail, as recorded in the database (any replica's runs).",
		}, []string{"source"})),
		discoverySuccess: register(r, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "central_config_kafka_discovery_last_success_timestamp_seconds",
			Help: "When live discovery last listed a Kafka cluster's topics and consumer groups, as a Unix time.",
		}, []string{"cluster"})),
		discoveryErrors: register(r, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "central_config_kafka_discovery_errors_total",
			Help: "Live discoveries of a Kafka cluster that failed (unreachable, authentication, timeout).",
		}, []string{"cluster"})),
	}
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
			m.lastSuccess.WithLabelValues(src).Set(float64(r.FinishedAt.UnixNano()) / 1e9)
		}
	}
	if r.Generation > 0 {
		m.generation.Set(float64(r.Generation))
		m.sawGeneration(r.Generation)
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
	fileErrorsMu.Lock()
	defer fileErrorsMu.Unlock()
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
	m.discoverySuccess.WithLabelValues(cluster).Set(float64(at.UnixNano()) / 1e9)
}

// driftFindingsDesc describes the drift findings gauge.
var driftFindingsDesc = prometheus.NewDesc("central_config_kafka_drift_findings",
	"Differences between a Kafka cluster and the declared topology, by kind, as of the cluster's last successful discovery "+
		"compared with the current topology; absent while the cluster is unreachable or the topology is not complete.",
	[]string{"cluster", "kind"}, nil)

// driftCollector computes the drift findings gauge at scrape time, so it
// always agrees with GET /central-config/kafka/drift: findings compare
// the last discovery with the topology of the moment.
type driftCollector struct {
	findings func(context.Context) []drift.Cluster
}

func (c *driftCollector) Describe(ch chan<- *prometheus.Desc) { ch <- driftFindingsDesc }

func (c *driftCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, cl := range c.findings(ctx) {
		if cl.State != drift.StateOK {
			continue
		}
		counts := map[drift.Kind]int{}
		for _, f := range cl.Findings {
			counts[f.Kind]++
		}
		for _, k := range drift.Kinds {
			ch <- prometheus.MustNewConstMetric(driftFindingsDesc, prometheus.GaugeValue, float64(counts[k]), cl.Cluster, string(k))
		}
	}
}

func (m *Metrics) setGeneration(g int64) {
	m.generation.Set(float64(g))
	m.sawGeneration(g)
}

// sawGeneration raises newest to g.
func (m *Metrics) sawGeneration(g int64) {
	for {
		cur := m.newest.Load()
		if g <= cur || m.newest.CompareAndSwap(cur, g) {
			return
		}
	}
}

// newestGeneration is the highest generation this process has seen.
func (m *Metrics) newestGeneration() int64 { return m.newest.Load() }

// refresh sets the gauges whose truth is the configuration and the
// shared database: each source's interval, last success and consecutive
// failures, the generation and what each catalog acknowledged. It runs
// before each scrape, so every replica reports the same values, also
// right after a restart and when another replica did the syncing. A
// database that does not answer (readiness says so) leaves the last
// values.
func (m *Metrics) refresh(ctx context.Context, st store.Reader, sy Syncer) {
	if sy != nil {
		for _, id := range sy.SourceIDs() {
			m.interval.WithLabelValues(id).Set(sy.Interval(id).Seconds())
			// Every source's counter exists, at 0, so rate() and
			// increase() see its first fallback.
			m.spoolFallback.WithLabelValues(id)
		}
	}
	if st == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if g, err := st.Generation(ctx); err == nil {
		m.setGeneration(g)
	}
	if acks, err := st.Acks(ctx); err == nil {
		for _, a := range acks {
			m.setAck(a.Consumer, a.Generation)
		}
	}
	statuses, err := st.Statuses(ctx)
	if err != nil {
		return
	}
	configured := map[string]bool{}
	if sy != nil {
		for _, id := range sy.SourceIDs() {
			configured[id] = true
		}
	}
	for _, status := range statuses {
		// A source removed from the config keeps its row; it is no
		// longer this engine's to report.
		if sy != nil && !configured[status.SourceID] {
			continue
		}
		m.failures.WithLabelValues(status.SourceID).Set(float64(status.ConsecutiveFailures))
		if !status.LastSuccessAt.IsZero() {
			m.lastSuccess.WithLabelValues(status.SourceID).Set(float64(status.LastSuccessAt.UnixNano()) / 1e9)
		}
	}
}

func (m *Metrics) setAck(consumer string, g int64) {
	m.ackGeneration.WithLabelValues(consumer).Set(float64(g))
}
