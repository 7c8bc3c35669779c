package syncer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	gitsource "github.com/central-config/central-config/internal/source/git"
	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/store"
	"github.com/central-config/central-config/internal/store/pgtest"
	"github.com/central-config/central-config/internal/store/postgres"
	"github.com/central-config/central-config/internal/store/sqlite"
	"github.com/central-config/central-config/internal/testrepo"
)

// BenchmarkSync100k measures the sync of a generated 100k-entity
// repository end to end (read, map, diff, commit) on each store: the full
// first sync, an unchanged sync, and a sync after one file changed. It
// reports the time of each step and the process's peak RSS.
//
//	go test -run XXX -bench Sync100k -benchtime 1x ./internal/syncer
func BenchmarkSync100k(b *testing.B) {
	stores := map[string]func(b *testing.B) store.Store{
		"sqlite": func(b *testing.B) store.Store {
			st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			return st
		},
		"postgres": func(b *testing.B) store.Store {
			st, err := postgres.Open(ctx, pgtest.Start(b).URL("bench"))
			if err != nil {
				b.Fatal(err)
			}
			return st
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				repo := gittest.NewServer(b).NewRepo("config")
				files := map[string]string{}
				for _, f := range testrepo.Generate(100_000) {
					files[f.Path] = string(f.Content)
				}
				repo.Commit("main", files)
				st := stores[name](b)
				src, err := gitsource.New(gitsource.Options{ID: "main", URL: repo.URL, Token: gittest.Token, CacheDir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				sy, err := New(Options{Store: st, Sources: []Source{{Source: src, Interval: time.Hour}}})
				if err != nil {
					b.Fatal(err)
				}
				step := func(metric string, want store.Outcome) {
					start := time.Now()
					run, err := sy.SyncOnce(ctx, "main", store.TriggerManual)
					if err != nil || run.Outcome != want {
						b.Fatalf("%s: %+v %v", metric, run, err)
					}
					b.ReportMetric(float64(time.Since(start).Milliseconds()), metric+"-ms")
				}
				step("full", store.Succeeded)
				step("unchanged", store.Unchanged)
				changed := "systems/system-7.yaml"
				repo.Commit("main", map[string]string{changed: strings.Replace(files[changed], "Service number", "Service No.", 1)})
				step("one-file", store.Succeeded)
				b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
				_ = st.Close()
			}
		})
	}
}

// peakRSSMB reads the process's peak resident set size from /proc.
func peakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return float64(kb) / 1024
		}
	}
	return 0
}
