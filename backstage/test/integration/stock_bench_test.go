//go:build backstage

package integration

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkOursVsStock puts central-config and stock Backstage side by side
// on the same machine, the same PostgreSQL binaries and the same entities,
// in one run (ratios are pair by pair, since the machine is shared). For
// each N, bench/genrepo writes a config repository and the very same
// entities as native catalog-info files (one per config file, and a root
// Location listing them):
//
//   - bulk: from the backend's start until all N entities are queryable
//     through the catalog API, (a) through our provider from the engine,
//     (b) through a stock `file` location of the native root;
//   - freshness (N >= 10k): a new service from commit (or, for stock, the
//     write of its document into the root file, each at a random moment
//     within the period of what picks it up) to queryable in the catalog
//     API, through GitHub's push webhook to the engine and the engine's
//     event to the provider (event; BENCH_EVENT_SAMPLES, default 20),
//     through the same event with the engine polling git every second
//     instead of the webhook (poll1s; BENCH_POLL1S_SAMPLES, default 20),
//     through polling only (the engine without its event;
//     BENCH_FRESHNESS_SAMPLES, default 3) and through stock location
//     refresh at Backstage's default processing interval
//     (BENCH_FRESHNESS_SAMPLES). Each probe logs where its time went, from
//     the engine's run row and log line, the provider's log line and ack
//     and the catalog's tables, and each path the medians of those steps;
//   - steady state (N >= 10k): CPU seconds per hour of the Backstage
//     backend, the engine (syncing every minute) and PostgreSQL over two
//     quiet minutes;
//   - catalog tuning (N >= 10k): bulk, steady state and (ours) the event
//     path again, once per setting of BENCH_TUNINGS (default
//     "processing,processing+stitching250,replicas": "processing" is
//     catalog.processingInterval of 30 minutes, "stitching" and
//     "stitching250" the stitch queue polled every 100 or 250 ms instead of
//     every second, "replicas" two backends on the one PostgreSQL; "a+b"
//     combines settings).
//
// Each variant is a sub-benchmark reporting its figures as metrics
// (bulk-s, fresh-event-p95-s, idle-total-cpu-s/h, ...); `make bench`
// (bench/report) turns them into docs/benchmarks.md. Run it alone on a
// quiet machine:
//
//	go test -tags backstage -run '^$' -bench OursVsStock -benchtime 1x -timeout 120m ./backstage/test/integration
//
// BENCH_SIZES (default "1000,10000") picks N; BENCH_FRESHNESS_SAMPLES=0
// skips the slow polling figures, BENCH_TUNINGS="" the tuning;
// BENCH_DETAIL_FROM (default 10000) is the N from which freshness, steady
// state and tuning are measured; BENCH_IDLE_WINDOW (default 2m) is the
// steady-state window, 0 to skip the steady state.
func BenchmarkOursVsStock(b *testing.B) {
	summarizeFailures(b)
	sizes := intsFromEnv(b, "BENCH_SIZES", "1000,10000")
	samples := intsFromEnv(b, "BENCH_FRESHNESS_SAMPLES", "3")[0]
	eventSamples := intsFromEnv(b, "BENCH_EVENT_SAMPLES", "20")[0]
	poll1sSamples := intsFromEnv(b, "BENCH_POLL1S_SAMPLES", "20")[0]
	detailFrom := intsFromEnv(b, "BENCH_DETAIL_FROM", "10000")[0]
	window, err := time.ParseDuration(envOr("BENCH_IDLE_WINDOW", "2m"))
	if err != nil {
		fatalf(b, "BENCH_IDLE_WINDOW: %v", err)
	}
	idleWindow = window
	tunings := strings.FieldsFunc(envOr("BENCH_TUNINGS", "processing,processing+stitching250,replicas"), func(r rune) bool { return r == ',' })
	for _, t := range tunings {
		if _, err := tuning(t); err != nil {
			fatalf(b, "BENCH_TUNINGS: %v", err)
		}
	}
	p := repoPaths(b)
	genrepo := filepath.Join(b.TempDir(), "genrepo")
	if out, err := exec.Command("go", "build", "-o", genrepo, filepath.Join(p.root, "bench/genrepo")).CombinedOutput(); err != nil {
		fatalf(b, "go build: %v\n%s", err, out)
	}
	for b.Loop() {
		for _, n := range sizes {
			repo := benchRepo(b, genrepo, n)
			big := n >= detailFrom
			variant := benchVariant{eventSamples: eventSamples, poll1sSamples: poll1sSamples, samples: samples, steady: big && idleWindow > 0}
			if !big {
				variant = benchVariant{}
			}
			b.Run(fmt.Sprintf("N=%d/central-config", n), func(b *testing.B) {
				runOurs(b, repo, variant).report(b)
			})
			b.Run(fmt.Sprintf("N=%d/stock", n), func(b *testing.B) {
				runStock(b, repo, variant).report(b)
			})
			if !big {
				continue
			}
			for _, t := range tunings {
				tuned, _ := tuning(t)
				tuned.steady = idleWindow > 0
				b.Run(fmt.Sprintf("N=%d/central-config/tuning=%s", n, t), func(b *testing.B) {
					ours := tuned
					ours.eventSamples = eventSamples
					runOurs(b, repo, ours).report(b)
				})
				b.Run(fmt.Sprintf("N=%d/stock/tuning=%s", n, t), func(b *testing.B) {
					runStock(b, repo, tuned).report(b)
				})
			}
		}
	}
}

// catalogTunings are the settings the benchmark tries: catalog config
// lines (under catalog:) and backend replicas.
var catalogTunings = map[string]benchVariant{
	"processing": {catalog: "  processingInterval: { minutes: 30 }\n"},
	"stitching":  {catalog: "  stitchingStrategy:\n    pollingInterval: { milliseconds: 100 }\n"},
	// A middle way between freshness and idle CPU.
	"stitching250": {catalog: "  stitchingStrategy:\n    pollingInterval: { milliseconds: 250 }\n"},
	"replicas":     {replicas: 2},
}

// tuning is the variant of a BENCH_TUNINGS entry: catalogTunings' names
// joined by "+".
func tuning(name string) (benchVariant, error) {
	var v benchVariant
	for _, part := range strings.Split(name, "+") {
		t, ok := catalogTunings[part]
		if !ok {
			return v, fmt.Errorf("unknown tuning %q in %q", part, name)
		}
		v.catalog += t.catalog
		v.replicas = max(v.replicas, t.replicas)
	}
	return v, nil
}

// benchVariant says what one sub-benchmark measures besides bulk.
type benchVariant struct {
	eventSamples, poll1sSamples, samples int
	steady                               bool
	// catalog is extra config under catalog: for the backend.
	catalog string
	// replicas is how many backends share the PostgreSQL (0 means one).
	replicas int
}

type cpuPerHour struct{ backend, engine, postgres float64 }

func (c cpuPerHour) total() float64 { return c.backend + c.engine + c.postgres }

type benchResult struct {
	entities      int
	ready, bulk   time.Duration
	handedOver    time.Duration // ours: the provider's first ack
	event, poll1s []probeTimes
	polled        []probeTimes
	stock         []time.Duration
	cpu           *cpuPerHour
}

// report reports r's figures as metrics of b.
func (r benchResult) report(b *testing.B) {
	b.ReportMetric(float64(r.entities), "entities")
	b.ReportMetric(r.ready.Seconds(), "ready-s")
	b.ReportMetric(r.bulk.Seconds(), "bulk-s")
	if r.handedOver > 0 {
		b.ReportMetric(r.handedOver.Seconds(), "handed-over-s")
	}
	for _, f := range []struct {
		name string
		d    []time.Duration
	}{{"event", seen(r.event)}, {"poll1s", seen(r.poll1s)}, {"polling", seen(r.polled)}, {"refresh", r.stock}} {
		if len(f.d) == 0 {
			continue
		}
		s := slices.Clone(f.d)
		slices.Sort(s)
		b.ReportMetric(percentile(s, 50).Seconds(), "fresh-"+f.name+"-p50-s")
		b.ReportMetric(percentile(s, 95).Seconds(), "fresh-"+f.name+"-p95-s")
		b.ReportMetric(s[0].Seconds(), "fresh-"+f.name+"-min-s")
		b.ReportMetric(s[len(s)-1].Seconds(), "fresh-"+f.name+"-max-s")
		b.ReportMetric(float64(len(s)), "fresh-"+f.name+"-samples")
	}
	summarizeProbes(b, "event (push webhook)", r.event)
	summarizeProbes(b, "poll1s (the engine polls git every second)", r.poll1s)
	summarizeProbes(b, "polling only", r.polled)
	if r.cpu != nil {
		b.ReportMetric(r.cpu.backend, "idle-backend-cpu-s/h")
		b.ReportMetric(r.cpu.engine, "idle-engine-cpu-s/h")
		b.ReportMetric(r.cpu.postgres, "idle-postgres-cpu-s/h")
		b.ReportMetric(r.cpu.total(), "idle-total-cpu-s/h")
	}
}

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func intsFromEnv(b *testing.B, key, def string) []int {
	var out []int
	for _, f := range strings.Split(envOr(key, def), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			fatalf(b, "%s: %v", key, err)
		}
		out = append(out, n)
	}
	return out
}

// generated is one size's repository in both forms.
type generated struct {
	// files is the config repository in the central-config format.
	files map[string]string
	// native is the root catalog-info.yaml of the native rendering.
	native string
	// entities is how many entities both forms hold.
	entities int
}

// benchRepo writes, with bench/genrepo, a repository of about n entities
// and the same entities as native catalog-info files.
func benchRepo(b *testing.B, genrepo string, n int) generated {
	dir := b.TempDir()
	out, err := exec.Command(genrepo, "-entities", strconv.Itoa(n), "-out", filepath.Join(dir, "repo"), "-native", filepath.Join(dir, "native")).CombinedOutput()
	if err != nil {
		fatalf(b, "genrepo: %v\n%s", err, out)
	}
	g := generated{files: exampleFiles(b, filepath.Join(dir, "repo")), native: filepath.Join(dir, "native", "catalog-info.yaml")}
	err = filepath.WalkDir(filepath.Join(dir, "native"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == g.native {
			return err
		}
		raw, err := os.ReadFile(path)
		// One document per entity, each starting with its apiVersion.
		g.entities += strings.Count("\n"+string(raw), "\napiVersion: ")
		return err
	})
	if err != nil {
		fatalf(b, "%v", err)
	}
	return g
}

func runOurs(b *testing.B, repo generated, v benchVariant) benchResult {
	var extra string
	if v.catalog != "" {
		extra = "catalog:\n" + v.catalog
	}
	// The engine polls git every second for the poll1s and polling
	// figures (and the bulk before them, as it always did), and every
	// minute otherwise, as the idle figures want.
	frequency, config := "{ minutes: 1 }", "idle"
	if v.poll1sSamples > 0 || v.samples > 0 {
		frequency, config = "{ seconds: 1 }", ""
	}
	s, git := newStack(b, stackOptions{engineFrequency: frequency, files: repo.files, backendConfig: extra})
	eng := s.startEngineWith(config)
	r := benchResult{entities: repo.entities}
	eventually(b, 5*time.Minute, "engine synced", func() error {
		ls, err := s.engine.lastSync()
		if err == nil && ls.Generation == 0 {
			err = fmt.Errorf("generation 0")
		}
		if err == nil && ls.Sources[0].EntityCount != repo.entities {
			fatalf(b, "the engine publishes %d entities, the native files hold %d", ls.Sources[0].EntityCount, repo.entities)
		}
		return err
	}, eng)
	start := time.Now()
	handedOver := make(chan time.Duration, 1)
	go func() {
		// The provider acks right after its applyMutation: how much of
		// the bulk time is ours (engine read, hand-over) and how much is
		// the catalog's processing and stitching.
		for time.Since(start) < 20*time.Minute {
			if ls, err := s.engine.lastSync(); err == nil && len(ls.Catalog.Acks) > 0 {
				handedOver <- time.Since(start)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		handedOver <- -1
	}()
	backends := s.startBackends(v.replicas)
	r.ready = time.Since(start)
	s.waitCount(repo.entities, 20*time.Minute, append([]*process{eng}, backends...)...)
	r.bulk = time.Since(start)
	r.handedOver = <-handedOver

	p := newProber(b, s, git, eng, config, backends)
	for range v.poll1sSamples {
		r.poll1s = append(r.poll1s, p.probe(time.Second, false))
	}
	if v.eventSamples > 0 {
		// GitHub's push webhook starts the run; the engine's own
		// schedule is a realistic minute.
		p.useEngine("idle")
		for range v.eventSamples {
			r.event = append(r.event, p.probe(time.Second, true))
		}
	}
	if v.samples > 0 {
		// Polling only: the engine polls git every second, without its
		// event to Backstage.
		p.useEngine("quiet")
		for range v.samples {
			r.polled = append(r.polled, p.probe(pollSeconds*time.Second, false))
		}
		for _, l := range strings.Split(backends[0].output(), "\n") {
			if strings.Contains(l, "central-config-provider") {
				b.Logf("backend: %s", l)
			}
		}
	}
	if v.steady {
		// Idle at a realistic interval: an engine syncing every second
		// costs PostgreSQL a run row update each time.
		p.useEngine("idle")
		cpu := idleCPU(b, p.eng, backends...)
		r.cpu = &cpu
	}
	return r
}

// startBackends starts n backend replicas (at least one) on the stack's
// PostgreSQL: the stack's own (the one the engine notifies and the
// benchmark reads), then, once it answers (it has created the databases),
// the others, each on a port of its own.
func (s *stack) startBackends(n int) []*process {
	backends := []*process{s.startBackend()}
	for i := 2; i <= n; i++ {
		port := freePort(s.t)
		config := filepath.Join(s.dir, fmt.Sprintf("app-config.replica-%d.yaml", i))
		writeFile(s.t, config, fmt.Sprintf("backend:\n  baseUrl: http://127.0.0.1:%[1]d\n  listen: 127.0.0.1:%[1]d\n", port))
		argv := append(slices.Clone(s.backendArgs), "--config", config)
		backends = append(backends, start(s.t, fmt.Sprintf("backend-%d", i), filepath.Join(s.p.app, "packages/backend"), s.env, argv...))
	}
	return backends
}

func runStock(b *testing.B, repo generated, v benchVariant) benchResult {
	// The same backend with a file location and no engine: the provider's
	// polls find nothing to reach (it logs and changes nothing).
	s, _ := newStack(b, stackOptions{engineFrequency: "{ hours: 1 }", backendConfig: fmt.Sprintf(`catalog:
  locations:
    - type: file
      target: %s
`, repo.native) + v.catalog})
	r := benchResult{entities: repo.entities}
	start := time.Now()
	backends := s.startBackends(v.replicas)
	r.ready = time.Since(start)
	s.waitCount(repo.entities, 30*time.Minute, backends...)
	r.bulk = time.Since(start)

	for i := range v.samples {
		// At a random moment within the processing interval (100-150 s
		// by default), like the polling samples.
		time.Sleep(rand.N(125 * time.Second))
		name := fmt.Sprintf("bench-probe-%d", i)
		f, err := os.OpenFile(repo.native, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			fatalf(b, "%v", err)
		}
		written := time.Now()
		_, err = f.WriteString("---\n" + probe(name))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fatalf(b, "%v", err)
		}
		s.waitEntity(name, 15*time.Minute, backends...)
		r.stock = append(r.stock, time.Since(written))
	}
	if v.samples > 0 {
		// Later variants read the root as generated.
		raw, err := os.ReadFile(repo.native)
		if err != nil {
			fatalf(b, "%v", err)
		}
		if i := strings.Index(string(raw), "---\n"); i >= 0 {
			writeFile(b, repo.native, string(raw[:i]))
		}
	}
	if v.steady {
		cpu := idleCPU(b, nil, backends...)
		r.cpu = &cpu
	}
	return r
}

// waitCount waits until the catalog holds n entities besides Locations
// (the stock side has one per native file).
func (s *stack) waitCount(n int, timeout time.Duration, watch ...*process) {
	total := func(query string) (int, error) {
		var res struct {
			TotalItems int `json:"totalItems"`
		}
		err := getJSON(s.catalog.baseURL+"/api/catalog/entities/by-query?limit=1"+query, s.catalog.token, &res)
		return res.TotalItems, err
	}
	eventually(s.t, timeout, fmt.Sprintf("%d entities in the catalog", n), func() error {
		all, err := total("")
		if err != nil {
			return err
		}
		locations, err := total("&filter=kind=location")
		if err != nil {
			return err
		}
		if all-locations < n {
			return fmt.Errorf("%d entities besides Locations", all-locations)
		}
		return nil
	}, watch...)
}

// waitEntity waits until the catalog API serves component name, looking
// every 100 ms (eventually's 500 ms would blur the event path's figure).
func (s *stack) waitEntity(name string, timeout time.Duration, watch ...*process) {
	deadline := time.Now().Add(timeout)
	for {
		var e entity
		err := getJSON(s.catalog.baseURL+"/api/catalog/entities/by-name/component/default/"+url.PathEscape(name), s.catalog.token, &e)
		if err == nil {
			return
		}
		for _, p := range watch {
			if p.Exited() {
				fatalf(s.t, "%s in the catalog: %s exited (%v) while waiting: %v", name, p.name, p.Err(), err)
			}
		}
		if time.Now().After(deadline) {
			fatalf(s.t, "%s in the catalog: not within %s: %v", name, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// probe is a new service as a native catalog-info file: the one-entity
// change whose way to the catalog the freshness figures time.
func probe(name string) string {
	return fmt.Sprintf("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: %s\n  description: Added by the benchmark.\nspec:\n  type: service\n  lifecycle: experimental\n  owner: group:default/team-0\n", name)
}

// idleWindow is how long idleCPU watches (BENCH_IDLE_WINDOW).
var idleWindow = 2 * time.Minute

// idleCPU measures the CPU the engine (nil for none), the backends and
// every PostgreSQL process use over idleWindow after a quarter of it to
// settle, per hour.
func idleCPU(b *testing.B, eng *process, backends ...*process) cpuPerHour {
	time.Sleep(idleWindow / 4) // let the last changes settle
	pid := func(p *process) int {
		if p == nil {
			return 0
		}
		return p.Pid()
	}
	backendCPU := func() float64 {
		var sum float64
		for _, p := range backends {
			sum += procCPU(pid(p))
		}
		return sum
	}
	b0, e0, p0 := backendCPU(), procCPU(pid(eng)), postgresCPU(b)
	time.Sleep(idleWindow)
	b1, e1, p1 := backendCPU(), procCPU(pid(eng)), postgresCPU(b)
	scale := float64(time.Hour) / float64(idleWindow)
	return cpuPerHour{backend: (b1 - b0) * scale, engine: (e1 - e0) * scale, postgres: (p1 - p0) * scale}
}

// procCPU is the user+system CPU seconds of a process (0 for pid 0).
func procCPU(pid int) float64 {
	if pid == 0 {
		return 0
	}
	return statSeconds(pid, 11, 12) // utime, stime
}

// statSeconds sums fields of /proc/pid/stat, counted after the command
// name, in clock ticks, as seconds (0 when the process is gone).
func statSeconds(pid int, fields ...int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) in parens.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	var sum float64
	for _, i := range fields {
		v, _ := strconv.ParseFloat(f[i], 64)
		sum += v
	}
	return sum / 100 // USER_HZ
}

// postgresCPU is the CPU of the benchmark's own PostgreSQL servers: every
// process of the postgres user descending from a server this process
// started (others on the machine, say another test's, do not count), plus
// what each server's exited children used (cutime+cstime of the
// postmaster), so connections that close during the window still count.
func postgresCPU(b *testing.B) float64 {
	u, err := user.Lookup("postgres")
	if err != nil {
		return 0
	}
	entries, _ := os.ReadDir("/proc")
	owned := map[int]int{} // pid -> ppid
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		uid, ppid := "", 0
		for _, l := range strings.Split(string(status), "\n") {
			f := strings.Fields(l)
			switch {
			case len(f) > 1 && f[0] == "Uid:":
				uid = f[1]
			case len(f) > 1 && f[0] == "PPid:":
				ppid, _ = strconv.Atoi(f[1])
			}
		}
		if uid == u.Uid {
			owned[pid] = ppid
		}
	}
	self := os.Getpid()
	// ours reports whether pid's chain of postgres parents starts at a
	// server this process started.
	ours := func(pid int) bool {
		for range 4 {
			ppid, ok := owned[pid]
			if !ok {
				return false
			}
			if ppid == self {
				return true
			}
			pid = ppid
		}
		return false
	}
	var sum float64
	for pid, ppid := range owned {
		if !ours(pid) {
			continue
		}
		sum += procCPU(pid)
		if ppid == self {
			sum += procChildrenCPU(pid)
		}
	}
	return sum
}

// procChildrenCPU is the CPU seconds of a process's exited, waited-for
// children (cutime + cstime).
func procChildrenCPU(pid int) float64 { return statSeconds(pid, 13, 14) }
