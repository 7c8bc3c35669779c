package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/central-config/central-config/internal/testrepo"
)

// The tables of docs/benchmarks.md, one function per table, each reading
// the results of its section. A table whose section never ran says so.

// table renders a markdown table.
func table(header []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

func notRun(section string) string {
	return fmt.Sprintf("_No results yet: run `make bench SECTIONS=%s`._\n", section)
}

// sizes are the N (the "N=..." second name part) of a section's
// benchmarks named base/N=.../..., in the order run.
func (r *Results) sizes(section, base string) []string {
	s := r.Sections[section]
	if s == nil {
		return nil
	}
	var sizes []string
	seen := map[string]bool{}
	for _, name := range s.Names {
		parts := strings.Split(name, "/")
		if len(parts) >= 3 && parts[0] == base && strings.HasPrefix(parts[1], "N=") && !seen[parts[1]] {
			seen[parts[1]] = true
			sizes = append(sizes, parts[1])
		}
	}
	return sizes
}

// EngineTable: full, unchanged and one-file sync per N and store.
func (r *Results) EngineTable() string {
	sizes := r.engineSizes()
	if len(sizes) == 0 {
		return notRun("engine")
	}
	var rows [][]string
	for _, n := range sizes {
		for _, st := range []string{"sqlite", "postgres"} {
			name := "Sync/" + n + "/" + st
			get := func(unit string) Stat { return r.Stat("engine", name, unit) }
			rows = append(rows, []string{
				sizeTitle(n), storeTitle(st),
				get("full-ms").Scaled(0.001).String() + " s",
				get("entities/s").String(),
				get("unchanged-ms").String() + " ms",
				get("one-file-ms").String() + " ms",
				Format(get("full-peak-RSS-MB").Median) + " / " + Format(get("one-file-peak-RSS-MB").Median) + " MB",
				Format(get("full-written-MB").Median) + " MB / " + Format(get("unchanged-written-MB").Median*1000) + " kB / " + Format(get("one-file-written-MB").Median) + " MB",
				fmt.Sprint(get("full-ms").N),
			})
		}
	}
	return table([]string{"Entities", "Store", "Full sync", "Entities/s (full)", "Unchanged", "One file changed", "Peak RSS, full / one file (median)", "Written, full / unchanged / one file (median)", "Runs"}, rows)
}

// sizeTitle turns "N=10000" into "10,000".
func sizeTitle(n string) string {
	v, err := strconv.ParseFloat(strings.TrimPrefix(n, "N="), 64)
	if err != nil {
		return n
	}
	return Format(v)
}

func storeTitle(s string) string {
	if s == "postgres" {
		return "PostgreSQL"
	}
	return "SQLite"
}

// MapTable: decode, map and validate 100k entities in memory.
func (r *Results) MapTable() string {
	st := r.Stat("engine", "Map", "entities/s")
	if !st.Valid() {
		return notRun("engine")
	}
	return table([]string{"Entities/s", "Time per 100k entities", "Runs"}, [][]string{{
		st.String(), Summarize(invert(r.Values("engine", "Map", "entities/s"), 100_000)).String() + " s", fmt.Sprint(st.N),
	}})
}

func invert(values []float64, k float64) []float64 {
	out := make([]float64, 0, len(values))
	for _, v := range values {
		if v != 0 {
			out = append(out, k/v)
		}
	}
	return out
}

// APITable: the engine API under load from bench/loadgen.
func (r *Results) APITable() string {
	s := r.Sections["api"]
	if s == nil {
		return notRun("api")
	}
	titles := map[string]string{
		"last-sync":    "GET /central-config/last-sync",
		"entities-304": "GET /central-config/entities (If-None-Match, 304)",
	}
	var rows [][]string
	for _, name := range s.Names {
		parts := strings.Split(name, "/")
		if len(parts) != 3 || parts[0] != "API" {
			continue
		}
		endpoint := strings.TrimPrefix(parts[1], "endpoint=")
		get := func(unit string) Stat { return r.Stat("api", name, unit) }
		rows = append(rows, []string{
			titles[endpoint], sizeTitle(strings.TrimPrefix(parts[2], "rate=")),
			get("req/s").String(), get("p50-ms").String(), get("p99-ms").String(), get("max-ms").String(),
			Format(Summarize(r.Values("api", name, "errors")).Max), fmt.Sprint(get("p99-ms").N),
		})
	}
	return table([]string{"Endpoint", "Rate (req/s)", "Achieved (req/s)", "p50 (ms)", "p99 (ms)", "Max (ms)", "Errors (worst run)", "Runs"}, rows)
}

func (r *Results) engineSizes() []string { return r.sizes("engine", "Sync") }

func (r *Results) stockSizes() []string { return r.sizes("stock", "OursVsStock") }

// biggest is the largest N with freshness figures (the detailed one).
func (r *Results) biggest() string {
	var n string
	for _, size := range r.stockSizes() {
		if r.Stat("stock", "OursVsStock/"+size+"/central-config", "fresh-event-p50-s").Valid() ||
			r.Stat("stock", "OursVsStock/"+size+"/central-config", "idle-total-cpu-s/h").Valid() {
			n = size
		}
	}
	return n
}

func ours(n string) string  { return "OursVsStock/" + n + "/central-config" }
func stock(n string) string { return "OursVsStock/" + n + "/stock" }

// BulkTable: time until all N entities are queryable, ours and stock.
func (r *Results) BulkTable() string {
	sizes := r.stockSizes()
	if len(sizes) == 0 {
		return notRun("stock")
	}
	var rows [][]string
	for _, n := range sizes {
		rows = append(rows, []string{
			sizeTitle(n),
			r.Stat("stock", ours(n), "bulk-s").With("s"),
			r.Stat("stock", stock(n), "bulk-s").With("s"),
			r.Ratio("stock", stock(n), "bulk-s", ours(n), "bulk-s").String() + "x",
			r.Stat("stock", ours(n), "ready-s").String() + " s / " + r.Stat("stock", stock(n), "ready-s").String() + " s",
			r.Stat("stock", ours(n), "handed-over-s").With("s"),
			fmt.Sprint(r.Stat("stock", ours(n), "bulk-s").N),
		})
	}
	return table([]string{"Entities", "central-config", "Stock file location", "Stock / ours (pair by pair)", "Backend up, ours / stock", "Provider handed all over (ours)", "Runs"}, rows)
}

// WebhookFreshness reports whether the freshness figures come from the
// push webhook (with the 1 s poll as a figure of its own), as the
// benchmark measures them since 2026-12-05.
func (r *Results) WebhookFreshness() bool {
	n := r.biggest()
	return n != "" && r.Stat("stock", ours(n), "fresh-poll1s-p50-s").Valid()
}

// FreshnessTable: commit to catalog for one new service.
func (r *Results) FreshnessTable() string {
	n := r.biggest()
	if n == "" || !r.Stat("stock", ours(n), "fresh-event-p50-s").Valid() {
		return notRun("stock")
	}
	row := func(path, name, metric string) []string {
		p50, p95 := r.Stat("stock", name, "fresh-"+metric+"-p50-s"), r.Stat("stock", name, "fresh-"+metric+"-p95-s")
		lo, hi := r.Stat("stock", name, "fresh-"+metric+"-min-s"), r.Stat("stock", name, "fresh-"+metric+"-max-s")
		samples := Summarize(r.Values("stock", name, "fresh-"+metric+"-samples"))
		return []string{path, p50.String() + " s", p95.String() + " s", Format(lo.Min) + "–" + Format(hi.Max) + " s", fmt.Sprintf("%.0f per run, %d run(s)", samples.Median, samples.N)}
	}
	rows := [][]string{row("central-config, engine event (the fast path)", ours(n), "event")}
	if r.WebhookFreshness() {
		rows = [][]string{
			row("central-config, GitHub's push webhook to the engine, its event to the provider (the fast path)", ours(n), "event"),
			row("central-config, the same event, the engine polling git every 1 s instead of the webhook", ours(n), "poll1s"),
		}
	}
	rows = append(rows,
		row("central-config, polling only (provider every 60 s, engine every 1 s)", ours(n), "polling"),
		row("stock, location refresh (default processing interval)", stock(n), "refresh"))
	return fmt.Sprintf("At %s entities.\n\n", Format(r.Stat("stock", ours(n), "entities").Median)) +
		table([]string{"Path", "Median", "p95", "Min–max", "Samples"}, rows) +
		fmt.Sprintf("\nStock's refresh takes %sx the event path's time (medians, run by run).\n",
			r.Ratio("stock", stock(n), "fresh-refresh-p50-s", ours(n), "fresh-event-p50-s"))
}

// idleUnits are the steady-state metrics, per process kind.
var idleUnits = []struct{ title, unit string }{
	{"Backstage backend", "idle-backend-cpu-s/h"},
	{"engine", "idle-engine-cpu-s/h"},
	{"PostgreSQL", "idle-postgres-cpu-s/h"},
	{"total", "idle-total-cpu-s/h"},
}

// IdleTable: CPU seconds per hour with nothing changing, at default
// catalog settings and with each tuning.
func (r *Results) IdleTable() string {
	n := r.biggest()
	if n == "" || !r.Stat("stock", ours(n), "idle-total-cpu-s/h").Valid() {
		return notRun("stock")
	}
	var rows [][]string
	for _, v := range r.variants(n) {
		for _, u := range idleUnits {
			if u.unit == "idle-engine-cpu-s/h" && !r.Stat("stock", ours(n)+v.suffix, u.unit).Valid() {
				continue
			}
			rows = append(rows, []string{v.title, u.title,
				r.Stat("stock", ours(n)+v.suffix, u.unit).String(),
				r.Stat("stock", stock(n)+v.suffix, u.unit).String(),
				r.Ratio("stock", ours(n)+v.suffix, u.unit, stock(n)+v.suffix, u.unit).String(),
			})
		}
		rows = append(rows, []string{v.title, "Backstage + PostgreSQL",
			Summarize(r.Sum("stock", ours(n)+v.suffix, "idle-backend-cpu-s/h", "idle-postgres-cpu-s/h")).String(),
			Summarize(r.Sum("stock", stock(n)+v.suffix, "idle-backend-cpu-s/h", "idle-postgres-cpu-s/h")).String(),
			r.backstageIdleRatio(ours(n)+v.suffix, stock(n)+v.suffix).String(),
		})
	}
	return fmt.Sprintf("At %s entities, CPU seconds per hour over the idle window.\n\n", Format(r.Stat("stock", ours(n), "entities").Median)) +
		table([]string{"Catalog settings", "Process", "central-config", "Stock", "Ours / stock"}, rows)
}

// backstageIdleRatio is ours/stock of backend + PostgreSQL CPU, pass by
// pass, for two variants (benchmark names).
func (r *Results) backstageIdleRatio(oursName, stockName string) Stat {
	s := r.Sections["stock"]
	if s == nil {
		return Stat{}
	}
	o, st := s.Runs[oursName], s.Runs[stockName]
	sum := func(run map[string]float64) (float64, bool) {
		b, ok1 := run["idle-backend-cpu-s/h"]
		p, ok2 := run["idle-postgres-cpu-s/h"]
		return b + p, ok1 && ok2
	}
	var ratios []float64
	for i := range min(len(o), len(st)) {
		x, ok1 := sum(o[i])
		y, ok2 := sum(st[i])
		if ok1 && ok2 && y != 0 {
			ratios = append(ratios, x/y)
		}
	}
	return Summarize(ratios)
}

type variant struct{ title, suffix string }

// variants are the default settings and each tuning that ran at n.
func (r *Results) variants(n string) []variant {
	out := []variant{{"default", ""}}
	if r.Sections["stock"] == nil {
		return out
	}
	for _, name := range r.Sections["stock"].Names {
		if t, ok := strings.CutPrefix(name, ours(n)+"/tuning="); ok {
			var titles []string // "a+b" combines tunings
			for _, part := range strings.Split(t, "+") {
				titles = append(titles, tuningTitles[part])
			}
			out = append(out, variant{strings.Join(titles, " and "), "/tuning=" + t})
		}
	}
	return out
}

var tuningTitles = map[string]string{
	"processing":   "`processingInterval: { minutes: 30 }`",
	"stitching":    "`stitchingStrategy.pollingInterval: { milliseconds: 100 }`",
	"stitching250": "`stitchingStrategy.pollingInterval: { milliseconds: 250 }`",
	"replicas":     "two backend replicas on one PostgreSQL",
}

// TuningTable: bulk time with each catalog tuning.
func (r *Results) TuningTable() string {
	n := r.biggest()
	if n == "" {
		return notRun("stock")
	}
	var rows [][]string
	for _, v := range r.variants(n) {
		rows = append(rows, []string{v.title,
			r.Stat("stock", ours(n)+v.suffix, "bulk-s").With("s"),
			r.Stat("stock", stock(n)+v.suffix, "bulk-s").With("s"),
			r.Ratio("stock", ours(n)+v.suffix, "bulk-s", stock(n), "bulk-s").String(),
		})
	}
	return table([]string{"Catalog settings", "central-config", "Stock", "Ours / stock at default settings"}, rows)
}

// KafkaTable: the topology API and page.
func (r *Results) KafkaTable() string {
	const name = "KafkaTopologyPage"
	if !r.Stat("kafka", name, "api-all-ms").Valid() {
		return notRun("kafka")
	}
	var rows [][]string
	for _, k := range kafkaFigures {
		med := r.Stat("kafka", name, k.key+"-ms")
		if !med.Valid() {
			continue
		}
		lo, hi := r.Stat("kafka", name, k.key+"-min-ms"), r.Stat("kafka", name, k.key+"-max-ms")
		rows = append(rows, []string{k.title, Format(med.Median) + " ms", Format(lo.Min) + "–" + Format(hi.Max) + " ms", k.goal})
	}
	return table([]string{"Figure", "Median", "Min–max", "Goal"}, rows)
}

var kafkaFigures = []struct{ key, title, goal string }{
	{"api-all", "API, whole topology, engine", "< 200 ms"},
	{"api-all-proxy", "API, whole topology, through the Backstage proxy", ""},
	{"api-one-cluster", "API, one cluster, engine", ""},
	{"page-overview", "Page, opening view (cluster overview, the default above 1,500 nodes)", "< 3 s"},
	{"page-one-cluster", "Page, one cluster (`/kafka?cluster=prod-eu`)", "≤ 1 s"},
	{"page-everything", "Page, everything (`/kafka?all=1`)", "≤ 1.5 s"},
}

// hostileGoalMB is the goal for every hostile file: the engine's
// peak RSS while it syncs a repository holding one.
const hostileGoalMB = 300

// hostileRow is one benchmark of the hostile section: a case (or "none")
// read by a source kind.
type hostileRow struct{ name, caseName, source string }

// hostileRows are the section's benchmarks named
// Hostile/case=NAME/source=KIND, in the order run.
func (r *Results) hostileRows() []hostileRow {
	s := r.Sections["hostile"]
	if s == nil {
		return nil
	}
	var rows []hostileRow
	for _, name := range s.Names {
		parts := strings.Split(name, "/")
		if len(parts) != 3 || parts[0] != "Hostile" {
			continue
		}
		c, ok1 := strings.CutPrefix(parts[1], "case=")
		src, ok2 := strings.CutPrefix(parts[2], "source=")
		if ok1 && ok2 {
			rows = append(rows, hostileRow{name, c, src})
		}
	}
	return rows
}

// hostileVerdict is one row's figures against the goal: met when every
// run ended its sync (none stopped at the benchmark's cap) under the goal.
type hostileVerdict struct {
	peak    Stat
	stopped int
	met     bool
}

func (r *Results) hostileVerdict(row hostileRow) hostileVerdict {
	v := hostileVerdict{peak: r.Stat("hostile", row.name, "peak-RSS-MB")}
	for _, s := range r.Values("hostile", row.name, "stopped") {
		if s != 0 {
			v.stopped++
		}
	}
	v.met = v.peak.Valid() && v.stopped == 0 && v.peak.Max < hostileGoalMB
	return v
}

// String is the peak RSS cell: the figure, or a lower bound when the
// benchmark stopped the engine at its cap.
func (v hostileVerdict) String() string {
	if v.stopped > 0 {
		return fmt.Sprintf("> %s MB (stopped at the cap in %d of %d runs)", Format(v.peak.Max), v.stopped, v.peak.N)
	}
	return v.peak.With("MB")
}

// hostileTitle says what a case is, from the generator of the files.
func hostileTitle(name string) string {
	if name == "none" {
		return "none: the good files alone"
	}
	if c, ok := testrepo.HostileCaseNamed(name); ok {
		return fmt.Sprintf("%s: %s, `%s`", c.Name, c.Title, c.Path)
	}
	return name
}

// HostileTable: the engine's peak RSS and sync duration with each hostile
// file.
func (r *Results) HostileTable() string {
	rows := r.hostileRows()
	if len(rows) == 0 {
		return notRun("hostile")
	}
	var out [][]string
	for _, row := range rows {
		v := r.hostileVerdict(row)
		verdict := "**NOT met**"
		if v.met {
			verdict = "met"
		}
		out = append(out, []string{
			hostileTitle(row.caseName), row.source, v.String(), verdict,
			r.Stat("hostile", row.name, "sync-ms").With("ms"),
			r.Stat("hostile", row.name, "entities").String(),
			fmt.Sprint(v.peak.N),
		})
	}
	return table([]string{"Hostile file", "Source", "Peak RSS", fmt.Sprintf("Under %d MB (every run)", hostileGoalMB), "Sync", "Entities served", "Runs"}, out)
}
