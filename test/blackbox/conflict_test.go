package blackbox

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/enginetest"
	"github.com/central-config/central-config/internal/testrepo"
)

// TestTwoSourcesOfOneEntityServeOneCopyAndBothSayWhy: two sources define
// the same component; the catalog gets one copy, the first source's, and
// both sources' status name the conflict (an error on the refused copy's
// file and line, a warning on the source that keeps it).
func TestTwoSourcesOfOneEntityServeOneCopyAndBothSayWhy(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	const team = "apiVersion: central-config.io/v1\nteams:\n  - name: payments\n"
	testrepo.WriteFile(t, filepath.Join(first, "teams.yaml"), team)
	testrepo.WriteFile(t, filepath.Join(first, "svc.yaml"), "apiVersion: central-config.io/v1\nservices:\n  - name: shared\n    owner: payments\n")
	testrepo.WriteFile(t, filepath.Join(second, "svc.yaml"), "apiVersion: central-config.io/v1\nservices:\n  - name: shared\n    owner: payments\n    description: the second copy\n")
	e := enginetest.Start(t, enginetest.Options{Config: `centralConfig:
  sources:
    - id: first
      dir: {path: "` + first + `"}
      schedule: {frequency: {hours: 1}}
    - id: second
      dir: {path: "` + second + `"}
      schedule: {frequency: {hours: 1}, initialDelay: {seconds: 2}}
  database: {connection: "{{dir}}/engine.db"}
  cacheDir: "{{dir}}/cache"
  server: {token: test-token}
`})
	type fileError struct {
		File     string `json:"file"`
		Line     int    `json:"line"`
		Severity string `json:"severity"`
		Code     string `json:"code"`
		Message  string `json:"message"`
	}
	var status struct {
		Sources []struct {
			ID         string      `json:"id"`
			State      string      `json:"state"`
			FileErrors []fileError `json:"fileErrors"`
		} `json:"sources"`
	}
	e.Eventually(30*time.Second, "both sources ran and name the conflict", func() error {
		if err := e.GetJSON("/central-config/last-sync", &status); err != nil {
			return err
		}
		found := map[string]fileError{}
		for _, src := range status.Sources {
			for _, fe := range src.FileErrors {
				if fe.Code == "source-conflict" {
					found[src.ID] = fe
				}
			}
		}
		refused, kept := found["second"], found["first"]
		if refused.Severity != "error" || refused.File != "svc.yaml" || refused.Line != 3 || !strings.Contains(refused.Message, `source "first"`) {
			return errorf("the second source's status: %+v", status.Sources)
		}
		if kept.Severity != "warning" || !strings.Contains(kept.Message, `source "second"`) {
			return errorf("the first source's status: %+v", status.Sources)
		}
		return nil
	})
	code, body, err := e.Get("/central-config/entities")
	if err != nil || code != http.StatusOK {
		t.Fatalf("entities: %d %v", code, err)
	}
	if n := strings.Count(string(body), `"name":"shared"`); n != 1 || strings.Contains(string(body), "the second copy") {
		t.Fatalf("the catalog gets the first source's copy only (%d copies): %s", n, body)
	}
}
