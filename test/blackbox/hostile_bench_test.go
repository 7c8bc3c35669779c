package blackbox

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/testrepo"
)

// BenchmarkHostile measures, for each hostile file of the hardening issue
// (testrepo.HostileCases, the files TestHostileFile uses), the real
// engine's peak RSS (VmHWM of the process, from its start to the end of
// its first sync) and that sync's duration, with a repository of the good
// files plus that one file, read by a dir source and, for the files that
// are not config, by a git source (a real git smart-HTTP server) too. The
// row case=none is the good files alone. `make bench SECTIONS=hostile`
// runs it (go run ./bench/report -sections hostile) and renders the table
// of docs/benchmarks.md.
//
// Metrics: peak-RSS-MB; sync-ms (the run's own duration, from
// last-sync); entities (the entities the engine serves after it);
// stopped: 1 when the engine was killed before its run ended, because its
// peak RSS passed BENCH_HOSTILE_CAP_MB (default 2048) or the run took
// longer than BENCH_HOSTILE_TIMEOUT (a Go duration, default 5m): then
// peak-RSS-MB is a lower bound and there is no sync-ms.
func BenchmarkHostile(b *testing.B) {
	limit := int64(2048) << 20
	if v := os.Getenv("BENCH_HOSTILE_CAP_MB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("BENCH_HOSTILE_CAP_MB=%q: want a number of MB", v)
		}
		limit = n << 20
	}
	timeout := 5 * time.Minute
	if v := os.Getenv("BENCH_HOSTILE_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("BENCH_HOSTILE_TIMEOUT=%q: %v", v, err)
		}
		timeout = d
	}
	cases := []*testrepo.HostileCase{nil}
	for _, c := range testrepo.HostileCases() {
		cases = append(cases, &c)
	}
	for _, c := range cases {
		name, kinds := "none", []hostileSourceKind{hostileDir, hostileGit}
		if c != nil {
			name = c.Name
			kinds = []hostileSourceKind{hostileDir}
			if hostileWants[c.Name].git {
				kinds = append(kinds, hostileGit)
			}
		}
		for _, kind := range kinds {
			b.Run("case="+name+"/source="+string(kind), func(b *testing.B) {
				for range b.N {
					b.StopTimer()
					repo := hostileRepo(b, c)
					src := hostileSourceConfig(b, kind, repo)
					b.StartTimer()
					e := hostileEngine(b, src)
					w := hostileWatchRSS(b, e, limit)
					st, err := hostileAwaitRun(e, w, 0, timeout)
					peak := w.Peak()
					b.StopTimer()
					e.Stop()
					// The figures of the last iteration (-benchtime 1x: the only one).
					b.ReportMetric(0, "ns/op") // the engine's start and the set-up, not a figure
					b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
					if err != nil {
						b.Logf("%s/%s: stopped: %v", name, kind, err)
						b.ReportMetric(1, "stopped")
						continue
					}
					b.ReportMetric(0, "stopped")
					if st.LastRun.DurationSeconds != nil {
						b.ReportMetric(*st.LastRun.DurationSeconds*1000, "sync-ms")
					}
					b.ReportMetric(float64(st.EntityCount), "entities")
					b.Logf("%s/%s: run %s, peak RSS %s, %d entities", name, kind, st.LastRun.Outcome, hostileMB(peak), st.EntityCount)
				}
			})
		}
	}
}
