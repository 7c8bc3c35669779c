//go:build backstage

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/cdproto/systeminfo"
	"github.com/chromedp/chromedp"
)

// BenchmarkKafkaTopologyPage measures the Kafka topology of 5,000 topics
// and 1,000 applications end to end on one machine: the engine's API
// (directly and through the Backstage proxy) and the page's first paint
// in Chromium, from navigation to the graph's first frame (both graphs
// are large: the plugin's canvas), for the
// opening view (the cluster overview), one cluster, and everything.
// Each iteration measures every view once; run with -benchtime=5x. It
// also prints, per view, the CPU time of Chromium's renderer and GPU
// processes from before the navigation to the mark (read after it, so it
// includes the polling; steadier than wall time on a busy machine) and
// the page's kafka-* performance measures; BENCH_BROWSER_CPU_PROF=DIR
// writes a V8 CPU profile of each view's first load (go run
// ./bench/nodeprof summarises it):
//
//	go test -tags backstage -run '^$' -bench KafkaTopologyPage -benchtime 5x -timeout 30m ./backstage/test/integration
func BenchmarkKafkaTopologyPage(b *testing.B) {
	summarizeFailures(b)
	s := kafkaStack(b, generatedKafka(1000, 5000, 1000), 10*time.Minute)
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
	// paint loads path in a fresh navigation and records the time from
	// navigation start to the performance mark, read in the page, with
	// the browser's CPU time meanwhile and the page's own measures.
	paint := func(name, path, mark string, nodes int) {
		before := br.cpuSeconds()
		stopProfile := br.profile(name)
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
		stopProfile()
		after := br.cpuSeconds()
		if nodes > 0 {
			if got := br.evalString(renderedNodes); got != "canvas "+strconv.Itoa(nodes) {
				errorf(b, "%s: the graph (renderer and nodes) is %q, want canvas %d, the nodes the engine serves", name, got, nodes)
			}
		}
		samples[name] = append(samples[name], ms)
		for _, p := range []string{"renderer", "GPU"} {
			samples[name+"/cpu-"+p] = append(samples[name+"/cpu-"+p], 1000*(after[p]-before[p]))
		}
		for m, d := range br.pageMeasures("kafka-") {
			samples[name+"/"+m] = append(samples[name+"/"+m], d)
		}
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

	// A big graph opens fitted to its canvas.
	br.run("open one cluster", chromedp.Navigate(s.catalog.baseURL+"/kafka?cluster=prod-eu"))
	eventually(b, 3*time.Minute, "one cluster painted", func() error {
		ctx, cancel := context.WithTimeout(br.ctx, time.Minute)
		defer cancel()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String(performance.getEntriesByName("kafka-topology-painted").length)`))
		if err != nil {
			return err
		}
		if v != "1" {
			return fmt.Errorf("no mark yet")
		}
		return nil
	})
	if got := br.evalString(fittedOnCanvas); got != "" {
		errorf(b, "one cluster opens %s", got)
	}

	names := make([]string, 0, len(samples))
	for n := range samples {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		v := slices.Clone(samples[n])
		slices.Sort(v)
		med := v[len(v)/2]
		line := fmt.Sprintf("%-40s median %7.1f ms  min %7.1f  max %7.1f  (n=%d)", n, med, v[0], v[len(v)-1], len(v))
		if strings.Contains(n, "/") {
			// The break-down: printed, as a benchmark's log keeps only
			// its first lines.
			fmt.Println(line)
			continue
		}
		b.Log(line)
		b.ReportMetric(med, n+"-ms")
		b.ReportMetric(v[0], n+"-min-ms")
		b.ReportMetric(v[len(v)-1], n+"-max-ms")
	}
}

// cpuSeconds returns the CPU time Chromium's processes of each type
// (renderer, GPU, browser, ...) have used since they started, in seconds
// (CDP SystemInfo.getProcessInfo).
func (b *browser) cpuSeconds() map[string]float64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	res, err := chromedp.CallBrowser(ctx, systeminfo.GetProcessInfo, cdp.Empty{})
	if err != nil {
		fatalf(b.t, "browser: SystemInfo.getProcessInfo: %v", err)
	}
	out := map[string]float64{}
	for _, p := range res.ProcessInfo {
		out[p.Type] += p.CPUTime
	}
	return out
}

// pageMeasures returns the duration in ms of each performance measure of
// the page whose name starts with prefix.
func (b *browser) pageMeasures(prefix string) map[string]float64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](fmt.Sprintf(
		`Object.fromEntries(performance.getEntriesByType('measure').filter(m => m.name.startsWith(%q)).map(m => [m.name, m.duration]))`, prefix)))
	if err != nil {
		fatalf(b.t, "browser: read the page's measures: %v", err)
	}
	return out
}

// profile starts V8's CPU profiler when BENCH_BROWSER_CPU_PROF names a
// folder and no profile of name was written yet; the func it returns
// stops it and writes DIR/name.cpuprofile.
func (b *browser) profile(name string) (stop func()) {
	b.t.Helper()
	dir := os.Getenv("BENCH_BROWSER_CPU_PROF")
	path := filepath.Join(dir, name+".cpuprofile")
	if dir == "" {
		return func() {}
	}
	if _, err := os.Stat(path); err == nil {
		return func() {}
	}
	if _, err := chromedp.Call(b.ctx, profiler.Enable, cdp.Empty{}); err != nil {
		fatalf(b.t, "browser: Profiler.enable: %v", err)
	}
	if _, err := chromedp.Call(b.ctx, profiler.Start, cdp.Empty{}); err != nil {
		fatalf(b.t, "browser: Profiler.start: %v", err)
	}
	return func() {
		res, err := chromedp.Call(b.ctx, profiler.Stop, cdp.Empty{})
		if err != nil {
			fatalf(b.t, "browser: Profiler.stop: %v", err)
		}
		data, err := json.Marshal(res.Profile)
		if err != nil {
			fatalf(b.t, "%v", err)
		}
		writeFile(b.t, path, string(data))
		b.t.Logf("CPU profile of %s in %s", name, path)
	}
}
