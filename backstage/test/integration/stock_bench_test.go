//go:build backstage

package integration

import (
	"fmt"
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

	"github.com/central-config/central-config/internal/testrepo"
)

// BenchmarkOursVsStock puts central-config and stock Backstage side by side
// on the same machine, the same PostgreSQL binaries and the same entities,
// in one run (ratios are pair by pair, since the machine is shared):
//
//   - bulk: from the backend's start until all N entities are queryable
//     through the catalog API, (a) through our provider from the engine,
//     (b) through a stock `file` location of the same entities as native
//     catalog-info YAML (what `central-config render` emits);
//   - freshness: a new service from commit (or, for stock, the write of
//     its document into the location's file) to queryable in the catalog
//     API, through the engine's event, through
//     polling only (the provider's schedule), and through stock location
//     refresh at Backstage's default processing interval;
//   - steady state: CPU seconds per hour of the Backstage backend, the
//     engine and PostgreSQL when nothing changes.
//
// Run it alone on a quiet machine, once:
//
//	go test -tags backstage -run '^$' -bench OursVsStock -benchtime 1x -timeout 90m ./backstage/test/integration
//
// BENCH_SIZES (default "1000,10000") and BENCH_FRESHNESS_SAMPLES (default
// 3; 0 skips freshness and the polling variant) change the sizes and the
// samples per freshness figure; BENCH_PROCESSING_INTERVAL (e.g.
// "{ minutes: 30 }") sets catalog.processingInterval in both backends, to
// measure that tuning.
func BenchmarkOursVsStock(b *testing.B) {
	summarizeFailures(b)
	sizes := []int{1000, 10000}
	if v := os.Getenv("BENCH_SIZES"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				fatalf(b, "BENCH_SIZES: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	samples := 3
	if v := os.Getenv("BENCH_FRESHNESS_SAMPLES"); v != "" {
		samples, _ = strconv.Atoi(v)
	}
	p := repoPaths(b)
	bin := filepath.Join(b.TempDir(), "central-config")
	if out, err := exec.Command("go", "build", "-o", bin, filepath.Join(p.root, "cmd/central-config")).CombinedOutput(); err != nil {
		fatalf(b, "go build: %v\n%s", err, out)
	}
	var report []string
	row := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		report = append(report, line)
		b.Log(line)
	}
	for b.Loop() {
		for _, n := range sizes {
			files, native, count := benchRepo(b, bin, n)
			var ours, stock, polled benchResult
			b.Run(fmt.Sprintf("N=%d/central-config", n), func(b *testing.B) {
				ours = runOurs(b, files, count, samples, false, n >= 10000)
			})
			if n >= 10000 && samples > 0 {
				b.Run(fmt.Sprintf("N=%d/central-config-polling", n), func(b *testing.B) {
					polled = runOurs(b, files, count, samples, true, false)
				})
			}
			b.Run(fmt.Sprintf("N=%d/stock", n), func(b *testing.B) {
				stock = runStock(b, native, count, samples, n >= 10000)
			})
			row("N=%d (%d entities): bulk to queryable: central-config %.1f s (backend up %.1f s), stock file location %.1f s (backend up %.1f s), stock/ours %.1fx",
				n, count, ours.bulk.Seconds(), ours.ready.Seconds(), stock.bulk.Seconds(), stock.ready.Seconds(), stock.bulk.Seconds()/ours.bulk.Seconds())
			if n >= 10000 && samples > 0 {
				row("N=%d: commit -> catalog, one entity: event %s; polling only %s; stock location refresh %s; stock/ours(event) %.0fx",
					n, summary(ours.fresh), summary(polled.fresh), summary(stock.fresh), median(stock.fresh).Seconds()/median(ours.fresh).Seconds())
			}
			if n >= 10000 {
				row("N=%d: idle CPU s/hour: central-config backend %.0f + engine %.0f + PostgreSQL %.0f = %.0f; stock backend %.0f + PostgreSQL %.0f = %.0f; ours/stock %.2f",
					n, ours.cpu.backend, ours.cpu.engine, ours.cpu.postgres, ours.cpu.total(), stock.cpu.backend, stock.cpu.postgres, stock.cpu.total(), ours.cpu.total()/stock.cpu.total())
			}
		}
	}
	b.Logf("summary:\n%s", strings.Join(report, "\n"))
}

type cpuPerHour struct{ backend, engine, postgres float64 }

func (c cpuPerHour) total() float64 { return c.backend + c.engine + c.postgres }

type benchResult struct {
	ready, bulk time.Duration
	fresh       []time.Duration
	cpu         cpuPerHour
}

// benchRepo generates a repository of about n entities, renders it the way
// the engine publishes it, and writes the rendering as one native
// catalog-info.yaml for the stock location.
func benchRepo(b *testing.B, bin string, n int) (files map[string]string, native string, count int) {
	dir := b.TempDir()
	files = map[string]string{}
	for _, f := range testrepo.Generate(n) {
		files[f.Path] = string(f.Content)
		path := filepath.Join(dir, "repo", f.Path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fatalf(b, "%v", err)
		}
		writeFile(b, path, string(f.Content))
	}
	out, err := exec.Command(bin, "render", "--format", "yaml", filepath.Join(dir, "repo")).Output()
	if err != nil {
		fatalf(b, "render: %v", err)
	}
	native = filepath.Join(dir, "catalog-info.yaml")
	writeFile(b, native, string(out))
	// One document per entity, each starting with its apiVersion.
	count = strings.Count("\n"+string(out), "\napiVersion: ")
	return files, native, count
}

// tuning is the catalog config both backends get (BENCH_PROCESSING_INTERVAL).
func tuning() string {
	if v := os.Getenv("BENCH_PROCESSING_INTERVAL"); v != "" {
		return "  processingInterval: " + v + "\n"
	}
	return ""
}

func runOurs(b *testing.B, files map[string]string, count, samples int, polling, steady bool) benchResult {
	var extra string
	if t := tuning(); t != "" {
		extra = "catalog:\n" + t
	}
	// Freshness wants the engine to look every second; without freshness
	// samples the engine keeps a realistic interval for the idle figures.
	frequency := "{ seconds: 1 }"
	if samples == 0 {
		frequency = "{ minutes: 1 }"
	}
	s, repo := newStack(b, stackOptions{engineFrequency: frequency, files: files, noNotify: polling, backendConfig: extra})
	eng := s.startEngine()
	eventually(b, 5*time.Minute, "engine synced", func() error {
		ls, err := s.engine.lastSync()
		if err == nil && ls.Generation == 0 {
			err = fmt.Errorf("generation 0")
		}
		if err == nil {
			// What the engine publishes (the rendering plus what only a
			// git source adds) is what the catalog must hold.
			count = ls.Sources[0].EntityCount
		}
		return err
	}, eng)
	var r benchResult
	start := time.Now()
	backend := s.startBackend()
	r.ready = time.Since(start)
	s.waitCount(count, 20*time.Minute, eng, backend)
	r.bulk = time.Since(start)

	for i := range samples {
		name := fmt.Sprintf("bench-probe-%d", i)
		committed := time.Now()
		repo.Commit("main", map[string]string{"native/bench/" + name + "/catalog-info.yaml": probe(name)})
		s.waitEntity(name, 10*time.Minute, eng, backend)
		r.fresh = append(r.fresh, time.Since(committed))
	}
	if steady {
		r.cpu = idleCPU(b, backend, eng)
	}
	return r
}

func runStock(b *testing.B, native string, count, samples int, steady bool) benchResult {
	// The same backend with a file location and no engine: the provider's
	// polls find nothing to reach (it logs and changes nothing).
	s, _ := newStack(b, stackOptions{engineFrequency: "{ hours: 1 }", backendConfig: fmt.Sprintf(`catalog:
  locations:
    - type: file
      target: %s
`, native) + tuning()})
	var r benchResult
	start := time.Now()
	backend := s.startBackend()
	r.ready = time.Since(start)
	s.waitCount(count, 30*time.Minute, backend)
	r.bulk = time.Since(start)

	for i := range samples {
		name := fmt.Sprintf("bench-probe-%d", i)
		f, err := os.OpenFile(native, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			fatalf(b, "%v", err)
		}
		written := time.Now()
		_, err = f.WriteString("\n---\n" + probe(name))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fatalf(b, "%v", err)
		}
		s.waitEntity(name, 15*time.Minute, backend)
		r.fresh = append(r.fresh, time.Since(written))
	}
	if steady {
		r.cpu = idleCPU(b, backend, nil)
	}
	return r
}

// waitCount waits until the catalog holds n entities.
func (s *stack) waitCount(n int, timeout time.Duration, watch ...*process) {
	eventually(s.t, timeout, fmt.Sprintf("%d entities in the catalog", n), func() error {
		var res struct {
			TotalItems int `json:"totalItems"`
		}
		if err := getJSON(s.catalog.baseURL+"/api/catalog/entities/by-query?limit=1", s.catalog.token, &res); err != nil {
			return err
		}
		if res.TotalItems < n {
			return fmt.Errorf("%d entities", res.TotalItems)
		}
		return nil
	}, watch...)
}

// waitEntity waits until the catalog API serves component name.
func (s *stack) waitEntity(name string, timeout time.Duration, watch ...*process) {
	eventually(s.t, timeout, name+" in the catalog", func() error {
		var e entity
		return getJSON(s.catalog.baseURL+"/api/catalog/entities/by-name/component/default/"+url.PathEscape(name), s.catalog.token, &e)
	}, watch...)
}

// probe is a new service as a native catalog-info file: the one-entity
// change whose way to the catalog the freshness figures time.
func probe(name string) string {
	return fmt.Sprintf("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: %s\n  description: Added by the benchmark.\nspec:\n  type: service\n  lifecycle: experimental\n  owner: group:default/team-0\n", name)
}

// idleCPU measures the CPU the processes and every PostgreSQL process use
// over two quiet minutes, per hour.
func idleCPU(b *testing.B, backend, eng *process) cpuPerHour {
	time.Sleep(30 * time.Second) // let the last changes settle
	const window = 2 * time.Minute
	pid := func(p *process) int {
		if p == nil {
			return 0
		}
		return p.cmd.Process.Pid
	}
	b0, e0, p0 := procCPU(pid(backend)), procCPU(pid(eng)), postgresCPU(b)
	time.Sleep(window)
	b1, e1, p1 := procCPU(pid(backend)), procCPU(pid(eng)), postgresCPU(b)
	scale := float64(time.Hour) / float64(window)
	return cpuPerHour{backend: (b1 - b0) * scale, engine: (e1 - e0) * scale, postgres: (p1 - p0) * scale}
}

// procCPU is the user+system CPU seconds of a process (0 for pid 0).
func procCPU(pid int) float64 {
	if pid == 0 {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) in parens.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// postgresCPU is the CPU of the benchmark's PostgreSQL cluster (the only
// one on the machine): every process of the postgres user, plus what the
// server's exited children used (cutime+cstime of the postmaster, whose
// parent is no postgres process), so connections that close during the
// window still count.
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
	var sum float64
	for pid, ppid := range owned {
		sum += procCPU(pid)
		if _, child := owned[ppid]; !child {
			sum += procChildrenCPU(pid)
		}
	}
	return sum
}

// procChildrenCPU is the CPU seconds of a process's exited, waited-for
// children (cutime + cstime).
func procChildrenCPU(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	cutime, _ := strconv.ParseFloat(f[13], 64)
	cstime, _ := strconv.ParseFloat(f[14], 64)
	return (cutime + cstime) / 100
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func summary(d []time.Duration) string {
	if len(d) == 0 {
		return "n/a"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return fmt.Sprintf("median %.1f s (min %.1f, max %.1f, n=%d)", median(s).Seconds(), s[0].Seconds(), s[len(s)-1].Seconds(), len(s))
}
