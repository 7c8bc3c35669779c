package syncer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"

	"github.com/central-config/central-config/internal/store"
)

// logSink collects JSON log lines written from several goroutines.
type logSink struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logSink) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON log line: %s", sc.Bytes())
		}
		out = append(out, m)
	}
	return out
}

// TestEveryLineOfARunCarriesItsRunAndSource captures the syncer's slog
// output at debug level over a succeeded, a degraded and an unchanged
// run: every line names the source and the run it belongs to, each run's
// lines share its id, and duplicate attributes never appear.
func TestEveryLineOfARunCarriesItsRunAndSource(t *testing.T) {
	sink := &logSink{}
	log := slog.New(slog.NewJSONHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEngine(t, func(o *Options) { o.Log = log })
	e.repo.Commit("main", map[string]string{"teams.yaml": teamFile, "svc.yaml": services("a")})
	first := e.sync(store.Succeeded)
	e.repo.Commit("main", map[string]string{"svc.yaml": "apiVersion: central-config.io/v1\nservices: [\n"})
	second := e.sync(store.Degraded)
	third := e.sync(store.Unchanged)

	byRun := map[int64][]string{}
	for _, l := range sink.lines(t) {
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
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for line := range bytes.SplitSeq(sink.b.Bytes(), []byte("\n")) {
		if bytes.Count(line, []byte(`"run":`)) > 1 || bytes.Count(line, []byte(`"source":`)) > 1 {
			t.Errorf("duplicate attributes: %s", line)
		}
	}
}
