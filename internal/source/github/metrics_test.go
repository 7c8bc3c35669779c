package github

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestTheRateLimitGaugeFollowsGitHubsHeaders: no series before GitHub
// has answered, then what its last answer said (4998 after a fetch that
// cost two requests), then 0 once the quota is spent, which is what the
// alert "GitHub rate limit near zero" watches.
func TestTheRateLimitGaugeFollowsGitHubsHeaders(t *testing.T) {
	f := newFake(t, "")
	f.push("main", "c1", file("catalog/a.yaml", "a"))
	s := newSource(t, f, nil)
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewRateLimitCollector(s))
	if got := gauges(t, reg); len(got) != 0 {
		t.Fatalf("before any request: %v, want no series: unknown is not zero", got)
	}
	want := func(remaining float64) map[string]float64 {
		return map[string]float64{
			"central_config_github_rate_limit_remaining":               remaining,
			"central_config_github_rate_limit_limit":                   5000,
			"central_config_github_rate_limit_reset_timestamp_seconds": float64(f.reset.Unix()),
		}
	}
	check := func(want map[string]float64) {
		t.Helper()
		got := gauges(t, reg)
		if len(got) != len(want) {
			t.Fatalf("gauges = %v, want %v", got, want)
		}
		for name, v := range want {
			if got[name] != v {
				t.Errorf("%s = %v, want %v", name, got[name], v)
			}
		}
	}
	if _, err := s.Fetch(testContext(t), ""); err != nil {
		t.Fatal(err)
	}
	check(want(4998))
	f.mu.Lock()
	f.remaining = 0
	f.mu.Unlock()
	f.push("main", "c2", file("catalog/a.yaml", "b"))
	if _, err := s.Fetch(testContext(t), ""); err == nil {
		t.Fatal("a fetch with the quota spent must fail")
	}
	check(want(0))
}

// gauges gathers reg and returns each gauge's value for source "cfg",
// checking every series is a gauge labelled with the source.
func gauges(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != 1 || m.GetLabel()[0].GetName() != "source" || m.GetLabel()[0].GetValue() != "cfg" || m.GetGauge() == nil {
				t.Fatalf("%s: unexpected series %v", mf.GetName(), m)
			}
			out[mf.GetName()] = m.GetGauge().GetValue()
		}
	}
	return out
}
