package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/central-config/central-config/internal/kafka/drift"
)

// driftFindingsDesc describes the drift findings gauge.
var driftFindingsDesc = prometheus.NewDesc("central_config_kafka_drift_findings",
	"Differences between a Kafka cluster and the declared topology, by kind, as of the cluster's last successful discovery "+
		"compared with the current topology; absent while the cluster is unreachable or the topology is not complete.",
	[]string{"cluster", "kind"}, nil)

// RegisterDrift registers on reg the drift findings gauge, which findings
// computes at scrape time, so it always agrees with GET
// /central-config/kafka/drift: findings compare the last discovery with
// the topology of the moment. A registry that has one keeps it.
func RegisterDrift(reg prometheus.Registerer, findings func(context.Context) []drift.Cluster) {
	register(reg, prometheus.Collector(&driftCollector{findings: findings}))
}

// driftCollector is the drift findings gauge.
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
