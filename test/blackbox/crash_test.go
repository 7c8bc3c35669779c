package blackbox

import (
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/enginetest"
	"github.com/central-config/central-config/internal/testrepo"
)

// hangingServer accepts connections and never answers, as a git host that
// stalls does; it returns its address.
func hangingServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

type runJSON struct {
	ID         int64   `json:"id"`
	Outcome    string  `json:"outcome"`
	FinishedAt *string `json:"finishedAt"`
	Reason     *string `json:"reason"`
}

// TestARunOfAKilledEngineIsClosedAsAbandonedAfterTheRestart: an engine
// killed (kill -9) in the middle of a run leaves that run's row running;
// the restarted engine's first run of the source closes it as abandoned
// with a reason, so the history, the status and the Sync now button do not
// wait for it for ever.
func TestARunOfAKilledEngineIsClosedAsAbandonedAfterTheRestart(t *testing.T) {
	dir := t.TempDir()
	hanging := hangingServer(t)
	first := enginetest.Start(t, enginetest.Options{Dir: dir, Config: `centralConfig:
  sources:
    - id: central
      git: {url: "http://` + hanging + `/config.git"}
      schedule: {frequency: {hours: 1}, initialDelay: {hours: 1}, timeout: {hours: 1}}
  database: {connection: "{{dir}}/engine.db"}
  cacheDir: "{{dir}}/cache"
  server: {token: test-token}
`})
	runPath := "/central-config/syncs/" + strconv.FormatInt(startRun(t, first), 10)
	first.Eventually(10*time.Second, "the run is fetching", func() error {
		var lastSync struct {
			Sources []struct {
				RunningRunID *int64 `json:"runningRunId"`
			} `json:"sources"`
		}
		if err := first.GetJSON("/central-config/last-sync", &lastSync); err != nil {
			return err
		}
		if len(lastSync.Sources) != 1 || lastSync.Sources[0].RunningRunID == nil {
			return errorf("no run in progress yet")
		}
		return nil
	})
	first.Kill()

	repo := t.TempDir()
	testrepo.WriteFile(t, filepath.Join(repo, "teams.yaml"), "apiVersion: central-config.io/v1\nteams:\n  - name: payments\n")
	second := enginetest.Start(t, enginetest.Options{Dir: dir, Config: `centralConfig:
  sources:
    - id: central
      dir: {path: "` + repo + `"}
  database: {connection: "{{dir}}/engine.db"}
  cacheDir: "{{dir}}/cache"
  server: {token: test-token}
`})
	second.Eventually(20*time.Second, "the killed engine's run is closed", func() error {
		var run runJSON
		if err := second.GetJSON(runPath, &run); err != nil {
			return err
		}
		if run.Outcome != "abandoned" || run.FinishedAt == nil || run.Reason == nil {
			return errorf("run %+v", run)
		}
		return nil
	})
}
