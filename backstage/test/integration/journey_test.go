//go:build backstage

package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The backend serves the built frontend (packages/app/dist, built by
// `make test-backstage-integration`) and lets the browser sign in as guest
// although NODE_ENV is production.
const browserBackendConfig = `auth:
  providers:
    guest:
      dangerouslyAllowOutsideDevelopment: true
`

// TestSyncStatusPageInChromium is the sync status plugin as a user meets it:
// the page shows the example repository's revision and entity count; a
// broken commit synced with "Sync now" shows the degraded state and the file
// error with its line; a fix recovers. The catalog index card and an
// entity's card show where things come from. Every step is a screenshot.
func TestSyncStatusPageInChromium(t *testing.T) {
	summarizeFailures(t)
	// The engine's own schedule is an hour: only "Sync now" explains a run.
	s, repo := newStack(t, stackOptions{engineFrequency: "{ hours: 1 }", backendConfig: browserBackendConfig})
	b := newBrowser(t, s.p.root)

	eng := s.startEngine()
	backend := s.startBackend()
	s.requireCatalogMatches("every engine entity in the catalog", 2*time.Minute, eng, backend)
	ls, err := s.engine.lastSync()
	if err != nil {
		fatalf(t, "%v", err)
	}
	first := *ls.Sources[0].Revision

	b.signIn(s.catalog.baseURL + "/central-config")
	b.waitText("synced", []string{
		"Sync status", "Source example", "Synced", first[:8],
		fmt.Sprint(ls.Sources[0].EntityCount), "applied generation",
	})

	// A broken file, synced with the button: degraded, with its error.
	good := exampleFiles(t, s.p.example)["rules/legacy/inventory.yaml"]
	broken := repo.Commit("main", map[string]string{"rules/legacy/inventory.yaml": "apps: [\n  - id: broken\n"})
	b.run("press Sync now", chromedp.Click(chromedp.CSS(`button[aria-label="Sync example now"]`)))
	b.waitText("degraded", []string{"Degraded", "File errors (1)", "rules/legacy/inventory.yaml", broken[:8], "degraded: 1 file error"})
	ls, err = s.engine.lastSync()
	if err != nil {
		fatalf(t, "%v", err)
	}
	if len(ls.Sources[0].FileErrors) != 1 || ls.Sources[0].FileErrors[0].Line == 0 {
		fatalf(t, "the engine reports %+v, want one file error with a line", ls.Sources[0].FileErrors)
	}
	fe := ls.Sources[0].FileErrors[0]
	row := b.evalString(`[...document.querySelectorAll('tr')].map(r => r.innerText).find(t => t.includes('rules/legacy/inventory.yaml')) || ''`)
	cells := strings.Split(row, "\t")
	if len(cells) < 2 || strings.TrimSpace(cells[1]) != fmt.Sprint(fe.Line) || !strings.Contains(row, fe.Message) {
		errorf(t, "the file error row is %q; want line %d and %q", row, fe.Line, fe.Message)
	}

	// Fixed: synced again, no file errors, the history shows all three runs.
	fixed := repo.Commit("main", map[string]string{"rules/legacy/inventory.yaml": good})
	b.run("press Sync now again", chromedp.Click(chromedp.CSS(`button[aria-label="Sync example now"]`)))
	b.waitText("recovered", []string{"Synced", fixed[:8], "succeeded: "}, "File errors (")
	runs := b.evalString(`String(document.querySelectorAll('[data-testid="run"]').length)`)
	if runs != "3" {
		errorf(t, "the run history shows %s runs, want 3 (startup, degraded, fixed)", runs)
	}

	// The catalog index card and the entity card.
	b.run("open the catalog", chromedp.Navigate(s.catalog.baseURL+"/"))
	b.waitText("catalog-card", []string{"Config sync", "last success"})
	line := strings.Join(strings.Fields(b.evalString(`document.querySelector('[data-testid="source-example"]')?.innerText || ''`)), " ")
	if !strings.HasPrefix(line, "example: Synced last success") {
		errorf(t, "the catalog card's line for the source reads %q", line)
	}
	b.run("open an entity", chromedp.Navigate(s.catalog.baseURL+"/catalog/default/component/gift-card-service"))
	b.waitText("entity-card", []string{"Config repository", "rules/legacy/inventory.yaml", fixed[:8], "Last synced"})
}
