package github

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The rate limit gauges: what each GitHub source last saw in GitHub's
// X-RateLimit-* headers (a conditional request answered 304 carries
// them too, without costing quota).
var (
	rateRemainingDesc = prometheus.NewDesc("central_config_github_rate_limit_remaining",
		"Core API requests left in the current hour, as the GitHub source last saw them (X-RateLimit-Remaining); "+
			"the quota belongs to the token, so sources and other tools sharing it draw on the same number.",
		[]string{"source"}, nil)
	rateLimitDesc = prometheus.NewDesc("central_config_github_rate_limit_limit",
		"Core API requests per hour allowed to the GitHub source's token (X-RateLimit-Limit).",
		[]string{"source"}, nil)
	rateResetDesc = prometheus.NewDesc("central_config_github_rate_limit_reset_timestamp_seconds",
		"When the GitHub source's quota refills (X-RateLimit-Reset), as a Unix time.",
		[]string{"source"}, nil)
)

// RateLimitCollector exports the rate limit of GitHub sources to
// Prometheus, read at scrape time from Source.RateLimit. A source that
// has had no answer from GitHub yet has no series (unknown is not zero).
type RateLimitCollector struct {
	sources []*Source
}

var _ prometheus.Collector = (*RateLimitCollector)(nil)

// NewRateLimitCollector returns the collector for the given sources.
func NewRateLimitCollector(sources ...*Source) *RateLimitCollector {
	return &RateLimitCollector{sources: sources}
}

// Describe implements prometheus.Collector.
func (c *RateLimitCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- rateRemainingDesc
	ch <- rateLimitDesc
	ch <- rateResetDesc
}

// Collect implements prometheus.Collector.
func (c *RateLimitCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.sources {
		remaining, limit, reset := s.RateLimit()
		if limit == 0 {
			continue
		}
		ch <- prometheus.MustNewConstMetric(rateRemainingDesc, prometheus.GaugeValue, float64(remaining), s.id)
		ch <- prometheus.MustNewConstMetric(rateLimitDesc, prometheus.GaugeValue, float64(limit), s.id)
		if !reset.IsZero() {
			ch <- prometheus.MustNewConstMetric(rateResetDesc, prometheus.GaugeValue, float64(reset.Unix()), s.id)
		}
	}
}
