package live

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/drift"
)

// Defaults of a Monitor, documented in docs/configuration.md.
const (
	DefaultInterval = 5 * time.Minute
	DefaultTimeout  = 10 * time.Second
)

// Options configure a Monitor.
type Options struct {
	Clusters []Cluster
	// Interval is the time between two rounds; DefaultInterval when 0.
	Interval time.Duration
	// Timeout bounds the discovery of one cluster; DefaultTimeout when 0.
	Timeout time.Duration
	Log     *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Observe, when set, is told the outcome of every discovery (for
	// metrics); err is nil on success.
	Observe func(cluster string, at time.Time, err error)
}

// Monitor discovers each cluster on an interval and keeps the last
// observation of each. It is safe for concurrent use.
type Monitor struct {
	opts Options

	mu  sync.Mutex
	obs []drift.Observation // in the order of Options.Clusters
}

// NewMonitor returns a Monitor; Run starts it.
func NewMonitor(opts Options) *Monitor {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Monitor{opts: opts, obs: make([]drift.Observation, len(opts.Clusters))}
	for i, c := range opts.Clusters {
		m.obs[i] = drift.Observation{Scope: c.Scope, State: drift.StateNever}
	}
	return m
}

// Run discovers every cluster at once, then every Interval, until ctx
// ends.
func (m *Monitor) Run(ctx context.Context) {
	for {
		m.DiscoverAll(ctx)
		timer := time.NewTimer(m.opts.Interval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// DiscoverAll discovers every cluster, concurrently, and returns when all
// are done (each within Timeout).
func (m *Monitor) DiscoverAll(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range m.opts.Clusters {
		wg.Go(func() { m.discover(ctx, i) })
	}
	wg.Wait()
}

func (m *Monitor) discover(ctx context.Context, i int) {
	c := m.opts.Clusters[i]
	dctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	observed, err := Discover(dctx, c)
	cancel()
	if ctx.Err() != nil {
		return // shutting down: the failure says nothing of the cluster
	}
	now := m.opts.Now()
	o := drift.Observation{Scope: c.Scope, State: drift.StateOK, CheckedAt: now, Observed: observed}
	if err != nil {
		o = drift.Observation{Scope: c.Scope, State: drift.StateUnreachable, CheckedAt: now, Error: err.Error()}
	}
	m.mu.Lock()
	before := m.obs[i].State
	m.obs[i] = o
	m.mu.Unlock()

	name := c.Scope.Cluster
	switch {
	case err != nil && before != drift.StateUnreachable:
		m.opts.Log.Warn("kafka cluster unreachable; drift is unknown until it answers", "cluster", name, "error", o.Error)
	case err != nil:
		m.opts.Log.Debug("kafka cluster still unreachable", "cluster", name, "error", o.Error)
	case before == drift.StateUnreachable:
		m.opts.Log.Info("kafka cluster reachable again", "cluster", name, "topics", len(observed.Topics), "groups", len(observed.Groups))
	default:
		m.opts.Log.Debug("kafka cluster discovered", "cluster", name, "topics", len(observed.Topics), "groups", len(observed.Groups))
	}
	if m.opts.Observe != nil {
		m.opts.Observe(name, now, err)
	}
}

// Observations returns the last observation of every cluster, in the
// order of Options.Clusters.
func (m *Monitor) Observations() []drift.Observation {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]drift.Observation, len(m.obs))
	copy(out, m.obs)
	return out
}

// Report compares the last observations with the topology.
func (m *Monitor) Report(t *kafka.Topology) []drift.Cluster {
	return drift.Report(t, m.Observations())
}
