package syncer

import (
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/central-config/central-config/internal/logtest"
	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/store"
)

// TestEveryLineOfARunCarriesItsRunAndSource captures the syncer's slog
// output at debug level over a succeeded, a degraded and an unchanged
// run: every line names the source and the run it belongs to, each run's
// lines share its id, and duplicate attributes never appear.
func TestEveryLineOfARunCarriesItsRunAndSource(t *testing.T) {
	sink := &logtest.Buffer{}
	log := slog.New(slog.NewJSONHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEngine(t, func(o *Options) { o.Log = log })
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a")})
	first := e.sync(store.Succeeded)
	e.repo.Commit("main", map[string]string{"svc.yaml": "apiVersion: central-config.io/v1\nservices: [\n"})
	second := e.sync(store.Degraded)
	third := e.sync(store.Unchanged)

	byRun := map[int64][]string{}
	for _, l := range sink.JSONLines(t) {
		if l["source"] != "main" {
			t.Errorf("a line without source=main: %v", l)
		}
		id, ok := l["run"].(float64)
		if !ok {
			t.Errorf("a line without a run id: %v", l)
			continue
		}
		byRun[int64(id)] = append(byRun[int64(id)], l["msg"].(string))
	}
	for _, run := range []store.Run{first, second, third} {
		msgs := byRun[run.ID]
		if len(msgs) < 3 || msgs[0] != "sync started" {
			t.Errorf("run %d (%s) logged %q; want its start, its steps and its end under its id", run.ID, run.Outcome, msgs)
		}
		delete(byRun, run.ID)
	}
	if len(byRun) != 0 {
		t.Errorf("lines under ids of no run: %v", byRun)
	}
	// slog's With never replaces an attribute: one "run" key per line.
	for line := range strings.SplitSeq(sink.String(), "\n") {
		if strings.Count(line, `"run":`) > 1 || strings.Count(line, `"source":`) > 1 {
			t.Errorf("duplicate attributes: %s", line)
		}
	}
}

// TestARunWhoseSpoolDiskIsFullSucceedsWithTheJSONInMemory: with TMPDIR on
// a 64 KiB tmpfs, the entity spool fills up mid-run; the runs still
// publish every entity (the JSON waits in memory), the first says so at
// Warn, naming TMPDIR and the error, later ones at Debug, and each is
// counted. It needs root to mount the tmpfs.
func TestARunWhoseSpoolDiskIsFullSucceedsWithTheJSONInMemory(t *testing.T) {
	dir := t.TempDir()
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).Run(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	sink := &logtest.Buffer{}
	var fallbacks atomic.Int64
	e := newEngine(t, func(o *Options) {
		o.Log = slog.New(slog.NewJSONHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.Metrics = &Metrics{ObserveSpoolFallback: func(string) { fallbacks.Add(1) }}
	})
	names := make([]string, 1500)
	for i := range names {
		names[i] = fmt.Sprintf("service-%04d", i)
	}
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services(names...)})
	t.Setenv("TMPDIR", dir)
	e.sync(store.Succeeded)
	// Every service changes: the next run spools them all again.
	e.repo.Commit("main", map[string]string{"svc.yaml": strings.ReplaceAll(services(names...), "owner: payments", "owner: payments\n    lifecycle: experimental")})
	e.sync(store.Succeeded)
	published := publishedEntities(t, e.store)
	if n := len(published); n < 1500 {
		t.Fatalf("published %d entities; want the 1,500 services and the team", n)
	}
	if spec, _ := published["component:default/service-1499"]["spec"].(map[string]any); spec["lifecycle"] != "experimental" {
		t.Fatalf("the second run's service-1499 was published as %v", published["component:default/service-1499"])
	}
	if got := fallbacks.Load(); got != 2 {
		t.Fatalf("counted %d fallbacks; want one per run", got)
	}
	if warned, debugged := spoolFallbackLines(t, sink, "TMPDIR "+dir, "no space left on device"); warned != 1 || debugged != 1 {
		t.Fatalf("the fallback was logged %d times at Warn and %d at Debug; want once each", warned, debugged)
	}
}

// TestARunWithoutAWritableTMPDIRSucceedsWithTheJSONInMemory: when no
// spool file can be made at all (TMPDIR is missing or read-only), the
// runs succeed; the first says why at Warn, later ones at Debug.
func TestARunWithoutAWritableTMPDIRSucceedsWithTheJSONInMemory(t *testing.T) {
	sink := &logtest.Buffer{}
	var fallbacks atomic.Int64
	e := newEngine(t, func(o *Options) {
		o.Log = slog.New(slog.NewJSONHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.Metrics = &Metrics{ObserveSpoolFallback: func(string) { fallbacks.Add(1) }}
	})
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a")})
	missing := filepath.Join(t.TempDir(), "gone")
	t.Setenv("TMPDIR", missing)
	e.sync(store.Succeeded)
	e.repo.Commit("main", map[string]string{"svc.yaml": services("a", "b")})
	e.sync(store.Succeeded)
	if _, ok := publishedEntities(t, e.store)["component:default/b"]; !ok || fallbacks.Load() != 2 {
		t.Fatalf("b published: %v, fallbacks counted: %d; want it published and two", ok, fallbacks.Load())
	}
	if warned, debugged := spoolFallbackLines(t, sink, "TMPDIR "+missing, "no such file or directory"); warned != 1 || debugged != 1 {
		t.Fatalf("the fallback was logged %d times at Warn and %d at Debug; want once each", warned, debugged)
	}
}

// spoolFallbackLines counts the log lines that say a run's entities wait
// in memory, by level, checking each names the folder and the error.
func spoolFallbackLines(t *testing.T, sink *logtest.Buffer, folder, cause string) (warned, debugged int) {
	t.Helper()
	for _, l := range sink.JSONLines(t) {
		msg, _ := l["msg"].(string)
		if !strings.Contains(msg, "they wait for the commit in memory") {
			continue
		}
		if errText, _ := l["error"].(string); !strings.Contains(errText, folder) || !strings.Contains(errText, cause) {
			t.Errorf("the fallback's error does not name %s and %s: %v", folder, cause, l)
		}
		switch l["level"] {
		case "WARN":
			warned++
		case "DEBUG":
			debugged++
		}
	}
	return warned, debugged
}

// TestASpoolFailureIsNotBlamedOnTheDatabase: a run whose entity spool
// cannot be read back says so in its reason, naming TMPDIR, rather than
// sending the reader to the database.
func TestASpoolFailureIsNotBlamedOnTheDatabase(t *testing.T) {
	err := fmt.Errorf("writing component:default/a: %w", &mapping.SpoolError{Dir: "/var/tmp", Err: fmt.Errorf("reading: %w", syscall.EIO)})
	code, got := storeErrorKind(err)
	if !strings.Contains(got, "entity spool (TMPDIR /var/tmp): reading: input/output error") || strings.Contains(got, "database") ||
		code != store.ReasonSpoolFailed {
		t.Fatalf("reason %q (%s); want the spool, its folder and its error (%s)", got, code, store.ReasonSpoolFailed)
	}
}
