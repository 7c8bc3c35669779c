// Command report runs the benchmarks of central-config and writes
// docs/benchmarks.md from their results (`make bench`).
//
//	go run ./bench/report                        # every section, then the doc
//	go run ./bench/report -sections engine,api   # some sections; the others keep their last results
//	go run ./bench/report -render                # only rewrite the doc from bench/results
//	go run ./bench/report -sections stock -append  # more runs of a section, added to its results
//	go run ./bench/report -sections hostile        # the engine's memory with each hostile file (no Backstage needed)
//
// Each section runs its benchmarks (Go benchmarks, and bench/api.sh for
// the API under load) and saves their output, in the Go benchmark format
// with the date, commit and machine as configuration lines, to
// bench/results/<section>.txt, replacing that section's previous results
// only when every command of it succeeded. The doc is then rendered from
// bench/report/benchmarks.md.tmpl with the tables and goal verdicts
// computed from every section's results: medians with min and max over
// the runs, ratios pair by pair. The same tables are printed.
//
// The benchmarks start their own servers (git, PostgreSQL, engine,
// Backstage, Chromium) and stop them; the Backstage sections need the app
// built (`make bench` does that first). Run on a quiet machine.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// section is a group of benchmarks whose results share a file.
type section struct {
	name string
	// commands to run in order; count is -count.
	commands func(count int) []command
}

type command struct {
	argv []string
	env  []string
}

func goBench(extra ...string) []string {
	return append([]string{"go", "test", "-run", "^$", "-benchtime", "1x"}, extra...)
}

var sections = []section{
	{"engine", func(count int) []command {
		c := strconv.Itoa(count)
		return []command{
			{argv: goBench("-bench", "^BenchmarkSync$", "-count", c, "-timeout", "90m", "./internal/syncer")},
			{argv: []string{"go", "test", "-run", "^$", "-bench", "^BenchmarkMap$", "-benchtime", "3x", "-count", c, "./internal/mapping"}},
		}
	}},
	{"api", func(count int) []command {
		out := make([]command, count)
		for i := range out {
			out[i] = command{argv: []string{"bash", "bench/api.sh"}, env: []string{"BENCH_FORMAT=benchfmt", "BENCH_RATES=1000 2000"}}
		}
		return out
	}},
	{"stock", func(count int) []command {
		return []command{{argv: goBench("-tags", "backstage", "-bench", "^BenchmarkOursVsStock$", "-count", strconv.Itoa(count), "-timeout", "240m", "./backstage/test/integration")}}
	}},
	{"kafka", func(int) []command {
		// The benchmark repeats every figure itself (-benchtime 5x).
		return []command{{argv: []string{"go", "test", "-tags", "backstage", "-run", "^$", "-bench", "^BenchmarkKafkaTopologyPage$", "-benchtime", "5x", "-timeout", "60m", "./backstage/test/integration"}}}
	}},
	{"hostile", func(count int) []command {
		return []command{{argv: goBench("-bench", "^BenchmarkHostile$", "-count", strconv.Itoa(count), "-timeout", "60m", "./test/blackbox")}}
	}},
}

func main() {
	names := make([]string, 0, len(sections))
	for _, s := range sections {
		names = append(names, s.name)
	}
	only := flag.String("sections", strings.Join(names, ","), "sections to run: "+strings.Join(names, ", "))
	count := flag.Int("count", 3, "runs of each benchmark (the Go benchmarks' -count; the API load test's repetitions)")
	stockCount := flag.Int("stock-count", 1, "runs of the side-by-side benchmark (about 40 minutes each)")
	render := flag.Bool("render", false, "only render the doc from the saved results")
	appendRuns := flag.Bool("append", false, "add the new runs to the sections' saved results instead of replacing them (more runs per figure)")
	results := flag.String("results", "bench/results", "folder of the results files")
	tmpl := flag.String("template", "bench/report/benchmarks.md.tmpl", "the doc's template")
	out := flag.String("out", "docs/benchmarks.md", "the doc to write")
	flag.Parse()

	if !*render {
		want := strings.Split(*only, ",")
		for _, w := range want {
			if !slices.Contains(names, w) {
				fail(fmt.Errorf("-sections: unknown section %q (have %s)", w, strings.Join(names, ", ")))
			}
		}
		for _, s := range sections {
			if !slices.Contains(want, s.name) {
				continue
			}
			n := *count
			if s.name == "stock" {
				n = *stockCount
			}
			if err := run(s, n, *results, *appendRuns); err != nil {
				fail(err)
			}
		}
	}
	res, err := ReadResults(*results)
	if err != nil {
		fail(err)
	}
	doc, err := Render(res, *tmpl)
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		fail(err)
	}
	fmt.Print(res.Summary())
	fmt.Fprintf(os.Stderr, "report: wrote %s\n", *out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "report:", err)
	os.Exit(1)
}

// run runs a section's commands, streaming their output, and saves what
// they print on stdout to <results>/<name>.txt when all succeeded,
// replacing the file or, with add, appending to it.
func run(s section, count int, results string, add bool) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "date: %s\ncommit: %s\nmachine: %s\nload-before: %s\n",
		time.Now().UTC().Format(time.RFC3339), commit(), machine(), loadAverage())
	for _, c := range s.commands(count) {
		fmt.Fprintf(os.Stderr, "report: %s: %s\n", s.name, strings.Join(c.argv, " "))
		start := time.Now()
		cmd := exec.Command(c.argv[0], c.argv[1:]...)
		cmd.Env = append(os.Environ(), c.env...)
		cmd.Stdout = io.MultiWriter(&buf, os.Stderr)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %s: %w (results of this section not saved)", s.name, strings.Join(c.argv, " "), err)
		}
		fmt.Fprintf(os.Stderr, "report: %s: done in %s\n", s.name, time.Since(start).Round(time.Second))
	}
	if err := os.MkdirAll(results, 0o755); err != nil {
		return err
	}
	path := filepath.Join(results, s.name+".txt")
	if add {
		old, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		buf = *bytes.NewBuffer(append(old, buf.Bytes()...))
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func commit() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func machine() string {
	mem := "unknown memory"
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(string(raw), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
		}
	}
	return fmt.Sprintf("%d CPUs, %s, %s/%s", runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH)
}

func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(raw))
	return strings.Join(f[:min(3, len(f))], " ")
}

// Render executes the doc's template over the results.
func Render(res *Results, path string) ([]byte, error) {
	t, err := template.New(filepath.Base(path)).Funcs(template.FuncMap{
		"about": res.About,
	}).ParseFiles(path)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, res); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// About says when and where a section's results were taken.
func (r *Results) About(section string) string {
	s := r.Sections[section]
	if s == nil {
		return "not run yet"
	}
	date := s.Config["date"]
	if t, err := time.Parse(time.RFC3339, date); err == nil {
		date = t.Format("2006-01-02 15:04 UTC")
	}
	machine := s.Config["machine"]
	if cpu := s.Config["cpu"]; cpu != "" {
		machine += " (" + cpu + ")"
	}
	more := ""
	if s.Invocations > 1 {
		more = fmt.Sprintf("; runs added later by %d more invocation(s), whose dates and commands are in bench/results/%s.txt", s.Invocations-1, section)
	}
	return fmt.Sprintf("%s, commit %s, %s, load average before %s%s", date, s.Config["commit"], machine, s.Config["load-before"], more)
}

// Summary is what `make bench` prints: every table.
func (r *Results) Summary() string {
	var b strings.Builder
	for _, t := range []struct {
		title string
		body  func() string
	}{
		{"Goals", r.GoalsTable},
		{"Engine alone", r.EngineTable},
		{"Map 100k entities", r.MapTable},
		{"API under load", r.APITable},
		{"Bulk to queryable", r.BulkTable},
		{"Commit to catalog", r.FreshnessTable},
		{"Idle CPU", r.IdleTable},
		{"Catalog tuning, bulk", r.TuningTable},
		{"Kafka topology", r.KafkaTable},
		{"Hostile files", r.HostileTable},
	} {
		fmt.Fprintf(&b, "\n## %s\n\n%s", t.title, t.body())
	}
	return b.String()
}
