//go:build backstage

package integration

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/central-config/central-config/internal/testrepo"
)

// BenchmarkKafkaTopologyPage measures the Kafka topology of 5,000 topics
// and 1,000 applications end to end on one machine: the engine's API
// (directly and through the Backstage proxy) and the page's first paint
// in Chromium, from navigation to Cytoscape's first frame, for the
// opening view (the cluster overview), one cluster, and everything.
// Each iteration measures every view once; run with -benchtime=5x:
//
//	go test -tags backstage -run '^$' -bench KafkaTopologyPage -benchtime 5x -timeout 30m ./backstage/test/integration
func BenchmarkKafkaTopologyPage(b *testing.B) {
	summarizeFailures(b)
	files := map[string]string{}
	for _, f := range append(testrepo.Generate(1000), testrepo.GenerateKafka(5000, 1000, testrepo.Teams(1000))) {
		files[f.Path] = string(f.Content)
	}
	s, _ := newStack(b, stackOptions{engineFrequency: "{ hours: 1 }", backendConfig: browserBackendConfig, files: files})
	eng := s.startEngine()
	backend := s.startBackend()
	s.requireCatalogMatches("every engine entity in the catalog", 10*time.Minute, eng, backend)
	br := newBrowser(b, s.p.root)
	br.signIn(s.catalog.baseURL + "/kafka")
	br.waitText("overview", []string{"too many to draw at once"})

	samples := map[string][]float64{}
	timeGet := func(name, u, token string) {
		var out kafkaTopology
		start := time.Now()
		if err := getJSON(u, token, &out); err != nil {
			fatalf(b, "%s: %v", name, err)
		}
		samples[name] = append(samples[name], float64(time.Since(start).Microseconds())/1000)
	}
	// paint loads path in a fresh navigation and returns the time from
	// navigation start to the performance mark, read in the page.
	paint := func(name, path, mark string, nodes int) {
		br.run("open "+path, chromedp.Navigate(s.catalog.baseURL+path))
		var ms float64
		eventually(b, 3*time.Minute, name+" painted", func() error {
			// A page drawing thousands of nodes answers late: wait for it.
			ctx, cancel := context.WithTimeout(br.ctx, time.Minute)
			defer cancel()
			v, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`String(performance.getEntriesByName(%q)[0]?.startTime ?? -1)`, mark)))
			if err != nil {
				return err
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				return fmt.Errorf("no mark %s yet (%s)", mark, v)
			}
			ms = f
			return nil
		})
		if nodes > 0 {
			if got := br.evalString(cyNodes); got != strconv.Itoa(nodes) {
				errorf(b, "%s: the graph holds %s nodes, the engine serves %d", name, got, nodes)
			}
		}
		samples[name] = append(samples[name], ms)
	}

	all, err := s.engine.kafkaTopology(url.Values{})
	if err != nil {
		fatalf(b, "%v", err)
	}
	one, err := s.engine.kafkaTopology(url.Values{"cluster": {"prod-eu"}})
	if err != nil {
		fatalf(b, "%v", err)
	}
	b.Logf("topology: %d nodes in all, %d in cluster prod-eu", len(all.Elements.Nodes), len(one.Elements.Nodes))

	for b.Loop() {
		timeGet("api-all", s.engine.baseURL+"/central-config/kafka/topology", s.engine.token)
		timeGet("api-all-proxy", s.catalog.baseURL+"/api/proxy/central-config/kafka/topology", s.catalog.token)
		timeGet("api-one-cluster", s.engine.baseURL+"/central-config/kafka/topology?cluster=prod-eu", s.engine.token)
		paint("page-overview", "/kafka", "kafka-overview-painted", 0)
		paint("page-one-cluster", "/kafka?cluster=prod-eu", "kafka-topology-painted", len(one.Elements.Nodes))
		paint("page-everything", "/kafka?all=1", "kafka-topology-painted", len(all.Elements.Nodes))
	}
	br.screenshot("everything")

	names := make([]string, 0, len(samples))
	for n := range samples {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		v := slices.Clone(samples[n])
		slices.Sort(v)
		med := v[len(v)/2]
		b.Logf("%-20s median %7.1f ms  min %7.1f  max %7.1f  (n=%d)", n, med, v[0], v[len(v)-1], len(v))
		b.ReportMetric(med, n+"-ms")
		b.ReportMetric(v[0], n+"-min-ms")
		b.ReportMetric(v[len(v)-1], n+"-max-ms")
	}
}
