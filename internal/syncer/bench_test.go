package syncer

import (
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	gitsource "github.com/central-config/central-config/internal/source/git"
	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/store"
	"github.com/central-config/central-config/internal/store/pgtest"
	"github.com/central-config/central-config/internal/store/postgres"
	"github.com/central-config/central-config/internal/store/sqlite"
	"github.com/central-config/central-config/internal/testrepo"
)

// BenchmarkSync measures the engine alone: the sync of a generated
// repository of N entities end to end (clone or fetch from a git server
// speaking smart HTTP, map, diff, commit) into each store, in three steps:
// the full first sync, an unchanged sync (no new commit), and a sync after
// a commit that changes one file of about 100 entities. For each step it
// reports the wall time, the peak RSS of the process during the step and
// the bytes the store wrote to disk; for the full sync also entities/s.
//
//	go test -run '^$' -bench '^BenchmarkSync$' -benchtime 1x -count 3 -timeout 60m ./internal/syncer
//
// BENCH_SIZES (default "1000,10000,100000") picks N; BENCH_LOG=1 prints
// the engine's run log, which times each step's parts (fetch_ms, map_ms,
// diff_ms, commit_ms). Bytes written are, on
// SQLite, the growth of this process's write_bytes less its
// cancelled_write_bytes (/proc/self/io) over the step and a WAL checkpoint
// after it (the git cache lives on tmpfs, and the run's entity spool is a
// deleted file whose pages are dropped, not written, so only the database
// counts); on PostgreSQL, the WAL the step wrote plus
// the data pages a CHECKPOINT after it flushed. Peak RSS is VmHWM, reset before each step; it
// includes the benchmark's own heap (a few MB after a GC: the generated files
// are dropped once committed to the git server).
func BenchmarkSync(b *testing.B) {
	sizes := []int{1000, 10_000, 100_000}
	if v := os.Getenv("BENCH_SIZES"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				b.Fatalf("BENCH_SIZES: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		for _, name := range []string{"sqlite", "postgres"} {
			b.Run(fmt.Sprintf("N=%d/%s", n, name), func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					syncSteps(b, name, n)
					b.StartTimer()
				}
			})
		}
	}
}

// syncSteps runs the three steps once on a repository of n entities and
// reports their metrics. The generated files are not kept once committed
// (commitGenerated), so the process's RSS is the engine's (plus the
// benchmark's few MB).
func syncSteps(b *testing.B, storeName string, n int) {
	repo := gittest.NewServer(b).NewRepo("config")
	changed, content := commitGenerated(repo, n)
	var st store.Store
	var written diskWrites
	switch storeName {
	case "sqlite":
		path := filepath.Join(b.TempDir(), "bench.db")
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		st, written = s, sqliteWrites(b, path)
	case "postgres":
		url := pgtest.Start(b).URL("bench")
		s, err := postgres.Open(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		st, written = s, postgresWrites(b, url)
	}
	defer func() { _ = st.Close() }()
	// The git cache on tmpfs: its writes are the source's, not the store's.
	cache, err := os.MkdirTemp("/dev/shm", "central-config-bench-")
	if err != nil {
		cache = b.TempDir()
	}
	defer func() { _ = os.RemoveAll(cache) }()
	src, err := gitsource.New(gitsource.Options{ID: "main", URL: repo.URL, Token: gittest.Token, CacheDir: cache})
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Store: st, Sources: []Source{{Source: src, Interval: time.Hour}}}
	if os.Getenv("BENCH_LOG") != "" {
		// The run log splits each step into fetch, map, diff and commit.
		opts.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	sy, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	step := func(name string, want store.Outcome) time.Duration {
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS()
		before := written()
		start := time.Now()
		run, err := sy.SyncOnce(ctx, "main", store.TriggerManual)
		took := time.Since(start)
		if err != nil || run.Outcome != want {
			b.Fatalf("%s: %+v %v", name, run, err)
		}
		b.ReportMetric(peakRSSMB(), name+"-peak-RSS-MB")
		b.ReportMetric(float64(written()-before)/1e6, name+"-written-MB")
		b.ReportMetric(float64(took.Microseconds())/1000, name+"-ms")
		return took
	}
	full := step("full", store.Succeeded)
	status, err := st.Status(ctx, "main")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(status.EntityCount)/full.Seconds(), "entities/s")
	b.ReportMetric(float64(status.EntityCount), "entities")
	step("unchanged", store.Unchanged)
	repo.Commit("main", map[string]string{changed: strings.Replace(content, "Service number", "Service No.", 1)})
	step("one-file", store.Succeeded)
}

// commitGenerated commits a generated repository of n entities and
// returns the path and content of the file the one-file step changes.
func commitGenerated(repo *gittest.Repo, n int) (changed, content string) {
	files := map[string]string{}
	for _, f := range testrepo.Generate(n) {
		files[f.Path] = string(f.Content)
		if changed == "" && strings.HasPrefix(f.Path, "systems/") {
			changed, content = f.Path, string(f.Content)
		}
	}
	repo.Commit("main", files)
	return changed, content
}

// diskWrites returns the bytes a store has written to disk so far.
type diskWrites func() int64

// sqliteWrites counts this process's write_bytes after checkpointing the
// WAL into the database file and truncating it, so that every step's
// pages reach the file (and are counted) within the step. Linux counts
// write_bytes when a page is dirtied; the pages of a file deleted before
// they were written out (the run's spool) are counted back in
// cancelled_write_bytes.
func sqliteWrites(b *testing.B, path string) diskWrites {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	return func() int64 {
		if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			b.Fatal(err)
		}
		return procIO(b, "write_bytes") - procIO(b, "cancelled_write_bytes")
	}
}

// postgresWrites counts the WAL the server wrote (by its insert position,
// which moves at once, unlike pg_stat_wal's counters that backends flush
// about once a second) and the data pages written by a CHECKPOINT and by
// the background writer and backends before it (pg_stat_bgwriter, which
// the checkpointer updates when the checkpoint ends). The cluster is the
// benchmark's own, so nothing else writes to it.
func postgresWrites(b *testing.B, url string) diskWrites {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close(ctx) })
	return func() int64 {
		if _, err := conn.Exec(ctx, `CHECKPOINT`); err != nil {
			b.Fatal(err)
		}
		var wal, pages int64
		err := conn.QueryRow(ctx, `SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint,
			(SELECT buffers_checkpoint + buffers_clean + buffers_backend FROM pg_stat_bgwriter)`).Scan(&wal, &pages)
		if err != nil {
			b.Fatal(err)
		}
		return wal + pages*8192
	}
}

// procIO reads one counter of /proc/self/io.
func procIO(b *testing.B, key string) int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			v, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return v
		}
	}
	b.Fatalf("/proc/self/io has no %s", key)
	return 0
}

// resetPeakRSS sets VmHWM back to the current RSS (Linux 4.0+).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

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
