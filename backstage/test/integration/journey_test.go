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

const journeyService = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: journey-service
  description: Added by the user journey test.
spec:
  type: service
  lifecycle: experimental
  owner: group:default/payments
`

// wordsBrokenInTable lists the words of the table's links (entity names,
// systems, owners) that the browser split across lines ("Carrie r"), or
// is empty. Hyphens may break a name; nothing else should.
const wordsBrokenInTable = `(() => {
  const broken = [];
  for (const a of document.querySelectorAll('tbody td a')) {
    const walker = document.createTreeWalker(a, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      for (const m of n.data.matchAll(/[^\s-]+/g)) {
        const r = document.createRange();
        r.setStart(n, m.index);
        r.setEnd(n, m.index + m[0].length);
        if (r.getClientRects().length > 1) broken.push(m[0]);
      }
    }
  }
  return broken.join(', ');
})()`

// TestUserJourneyInChromium is the product as a user meets it, in Debian's
// Chromium over the real engine and Backstage on PostgreSQL, with a
// screenshot of every step (test-output/TestUserJourneyInChromium/):
//
//   - / leads to the catalog at /catalog, which opens on all entities
//     (not "Owned"), keeps words whole in its table at 1400 px and shows
//     the sync card's line unclipped, then the example organisation;
//   - the sync status page shows the example repository's revision and
//     entity count;
//   - a commit with a new service, synced with "Sync now", is in the
//     catalog without a restart;
//   - a broken file shows as degraded with the error's line, the old
//     entities stay and their entity card says the file is broken;
//   - a fix recovers; an entity page shows where the entity came from;
//   - after both backends restart, everything is still there.
//
// The Kafka page has its own test (kafka_page_test.go).
func TestUserJourneyInChromium(t *testing.T) {
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

	// The catalog is at /catalog and / leads there; it opens on every
	// entity, not on "Owned" (a guest owns nothing), at 1400 px without
	// names broken inside a word and with the sync card's lines whole.
	b.run("a 1400 px window", chromedp.EmulateViewport(1400, 1000))
	b.signIn(s.catalog.baseURL + "/")
	b.waitText("catalog", []string{"All Components", "Config sync", "Carrier gateway"}, "No records to display")
	if loc := b.evalString(`location.pathname + location.search`); !strings.HasPrefix(loc, "/catalog?") || !strings.Contains(loc, "filters%5Buser%5D=all") {
		errorf(t, "/ leads to %q; want /catalog with the user filter all", loc)
	}
	if broken := b.evalString(wordsBrokenInTable); broken != "" {
		errorf(t, "the catalog table breaks words across lines: %s", broken)
	}
	if clipped := b.evalString(`(() => { const e = document.querySelector('[data-testid="source-example"] .MuiListItemText-root'); return !e ? 'no line' : e.scrollWidth > e.clientWidth ? e.innerText : '' })()`); clipped != "" {
		errorf(t, "the sync card's line is clipped: %q", clipped)
	}
	b.run("open /catalog", chromedp.Navigate(s.catalog.baseURL+"/catalog"))
	b.waitText("catalog-path", []string{"All Components", "Carrier gateway"}, "page not found")

	// The example organisation in the catalog, the sync card on top; the
	// redirect keeps the query.
	b.run("open the groups", chromedp.Navigate(s.catalog.baseURL+"/?filters%5Bkind%5D=group"))
	b.waitText("catalog-groups", []string{"Config sync", "last success", "payments", "fulfillment", "platform"})
	if loc := b.evalString(`location.pathname + location.search`); !strings.HasPrefix(loc, "/catalog?filters%5Bkind%5D=group") {
		errorf(t, "/?filters[kind]=group leads to %q", loc)
	}
	eventually(t, 30*time.Second, "the catalog card's line for the source", func() error {
		line := strings.Join(strings.Fields(b.evalString(`document.querySelector('[data-testid="source-example"]')?.innerText || ''`)), " ")
		if !strings.HasPrefix(line, "example: Synced last success") {
			return fmt.Errorf("it reads %q", line)
		}
		return nil
	})

	// The sync status page.
	syncNow := func(what string) {
		t.Helper()
		b.run(what, chromedp.Click(chromedp.CSS(`button[aria-label="Sync example now"]`)))
	}
	b.run("open the sync status", chromedp.Navigate(s.catalog.baseURL+"/central-config"))
	b.waitText("synced", []string{
		"Sync status", "Source example", "Synced", first[:8],
		fmt.Sprint(ls.Sources[0].EntityCount), "applied generation",
	})

	// A new service: committed, synced now, in the catalog.
	added := repo.Commit("main", map[string]string{"native/journey/catalog-info.yaml": journeyService})
	syncNow("sync the new service")
	b.waitText("new-service-synced", []string{added[:8], "succeeded: 1 added"})
	s.requireCatalogMatches("the new service in the catalog", 30*time.Second, eng, backend)
	b.run("open the new service", chromedp.Navigate(s.catalog.baseURL+"/catalog/default/component/journey-service"))
	b.waitText("new-service", []string{"journey-service", "Added by the user journey test.", "Config repository", "native/journey/catalog-info.yaml", added[:8]})

	// A broken file, synced with the button: degraded, with its error.
	b.run("back to the sync status", chromedp.Navigate(s.catalog.baseURL+"/central-config"))
	b.waitText("before-break", []string{"Synced", added[:8]})
	good := exampleFiles(t, s.p.example)["rules/legacy/inventory.yaml"]
	broken := repo.Commit("main", map[string]string{"rules/legacy/inventory.yaml": "apps: [\n  - id: broken\n"})
	syncNow("press Sync now")
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
	// The broken file's entities stay, and say so.
	b.run("open an entity of the broken file", chromedp.Navigate(s.catalog.baseURL+"/catalog/default/component/gift-card-service"))
	b.waitText("entity-of-broken-file", []string{"gift-card-service", "This file has errors; the entity shows its last good version", "rules/legacy/inventory.yaml"})

	// Fixed: synced again, no file errors.
	b.run("back to the sync status again", chromedp.Navigate(s.catalog.baseURL+"/central-config"))
	b.waitText("still-degraded", []string{"Degraded"})
	fixed := repo.Commit("main", map[string]string{"rules/legacy/inventory.yaml": good})
	syncNow("press Sync now again")
	b.waitText("recovered", []string{"Synced", fixed[:8], "succeeded: "}, "File errors (")
	runs := b.evalString(`String(document.querySelectorAll('[data-testid="run"]').length)`)
	if runs != "4" {
		errorf(t, "the run history shows %s runs, want 4 (startup, new service, degraded, fixed)", runs)
	}
	s.requireCatalogMatches("the fix in the catalog", 30*time.Second, eng, backend)
	b.run("open an entity", chromedp.Navigate(s.catalog.baseURL+"/catalog/default/component/gift-card-service"))
	b.waitText("entity-card", []string{"Config repository", "rules/legacy/inventory.yaml", fixed[:8], "Last synced"}, "This file has errors")

	// Both backends restart on the same PostgreSQL: everything is there.
	backend.stop()
	eng.stop()
	eng = s.startEngine()
	backend = s.startBackend()
	s.requireCatalogMatches("the catalog after both restarted", 2*time.Minute, eng, backend)
	b.open(s.catalog.baseURL + "/catalog/default/component/journey-service")
	b.waitText("after-restart-entity", []string{"journey-service", "Config repository", added[:8]})
	b.open(s.catalog.baseURL + "/central-config")
	b.waitText("after-restart-status", []string{"Synced", fixed[:8], "applied generation"})
}
