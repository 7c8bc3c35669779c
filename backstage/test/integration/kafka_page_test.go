//go:build backstage

package integration

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// kafkaTopology is the part of GET /central-config/kafka/topology the test
// compares with what the page draws.
type kafkaTopology struct {
	Elements struct {
		Nodes []struct {
			Data struct {
				ID        string `json:"id"`
				Type      string `json:"type"`
				Label     string `json:"label"`
				EntityRef string `json:"entityRef"`
			} `json:"data"`
		} `json:"nodes"`
	} `json:"elements"`
}

func (e engine) kafkaTopology(query url.Values) (kafkaTopology, error) {
	var k kafkaTopology
	err := getJSON(e.baseURL+"/central-config/kafka/topology?"+query.Encode(), e.token, &k)
	return k, err
}

// cyNodes is the number of nodes the page's Cytoscape instance holds.
const cyNodes = `String(document.querySelector('[data-testid="kafka-graph"]')?._cyreg?.cy?.nodes().length ?? -1)`

// TestKafkaTopologyPageInChromium draws the example repository's Kafka
// topology: the Cytoscape instance holds every node the engine serves, a
// search narrows it to what the engine's search keeps, a click on a topic
// opens its panel with its catalog entity, and a service's Kafka tab
// shows its neighbourhood. Every step is a screenshot.
func TestKafkaTopologyPageInChromium(t *testing.T) {
	summarizeFailures(t)
	s, _ := newStack(t, stackOptions{engineFrequency: "{ hours: 1 }", backendConfig: browserBackendConfig})
	b := newBrowser(t, s.p.root)
	eng := s.startEngine()
	backend := s.startBackend()
	s.requireCatalogMatches("every engine entity in the catalog", 2*time.Minute, eng, backend)

	all, err := s.engine.kafkaTopology(url.Values{})
	if err != nil {
		fatalf(t, "%v", err)
	}
	if len(all.Elements.Nodes) < 5 {
		fatalf(t, "the example repository's topology has %d nodes; the test needs a real one", len(all.Elements.Nodes))
	}

	b.signIn(s.catalog.baseURL + "/kafka")
	waitNodes := func(shot string, want int) {
		t.Helper()
		eventually(t, 60*time.Second, fmt.Sprintf("%d nodes drawn", want), func() error {
			got := b.evalString(cyNodes)
			if got != strconv.Itoa(want) {
				return fmt.Errorf("the graph holds %s nodes", got)
			}
			return nil
		})
		b.screenshot(shot)
	}
	waitNodes("topology", len(all.Elements.Nodes))
	b.waitText("legend", []string{"Kafka topology", "produces to", "consumed by"})

	// A topic with a catalog entity: search for it, then click it.
	var topicID, topicLabel, topicRef string
	for _, n := range all.Elements.Nodes {
		if n.Data.Type == "topic" && n.Data.EntityRef != "" {
			topicID, topicLabel, topicRef = n.Data.ID, n.Data.Label, n.Data.EntityRef
			break
		}
	}
	if topicID == "" {
		fatalf(t, "no topic with a catalog entity in the example topology")
	}
	narrowed, err := s.engine.kafkaTopology(url.Values{"search": {topicLabel}})
	if err != nil {
		fatalf(t, "%v", err)
	}
	if len(narrowed.Elements.Nodes) >= len(all.Elements.Nodes) {
		fatalf(t, "searching %q keeps all %d nodes; pick a narrower topic", topicLabel, len(all.Elements.Nodes))
	}
	b.run("search", chromedp.SendKeys(chromedp.CSS(`input[aria-label="Search"]`), topicLabel))
	waitNodes("searched", len(narrowed.Elements.Nodes))

	// A real click at the node's place on the canvas.
	xy := b.evalString(fmt.Sprintf(`(() => {
		const el = document.querySelector('[data-testid="kafka-graph"]');
		const n = el._cyreg.cy.getElementById(%q);
		const p = n.renderedPosition(), r = el.getBoundingClientRect();
		return (r.left + p.x) + ',' + (r.top + p.y);
	})()`, topicID))
	var x, y float64
	if _, err := fmt.Sscanf(xy, "%g,%g", &x, &y); err != nil {
		fatalf(t, "node position %q: %v", xy, err)
	}
	b.run("click the topic", chromedp.MouseClickXY(x, y))
	t.Logf("clicked %s at %g,%g; selected: %s", topicID, x, y,
		b.evalString(`document.querySelector('[data-testid="kafka-graph"]')._cyreg.cy.$(':selected').map(n => n.id()).join(',')`))
	b.waitText("topic-panel", []string{"In the catalog", "Partitions", "Show its neighbourhood"})
	// The panel links the topic's Resource entity page.
	refName := topicRef[strings.LastIndex(topicRef, "/")+1:]
	if href := b.evalString(`document.querySelector('[data-testid="kafka-node-panel"] a')?.getAttribute('href') || ''`); href != "/catalog/default/resource/"+refName {
		errorf(t, "the panel links %q, want the entity page of %s", href, topicRef)
	}

	// A service's Kafka tab: its neighbourhood.
	var app, appRef string
	for _, n := range all.Elements.Nodes {
		if n.Data.Type == "application" && strings.HasPrefix(n.Data.EntityRef, "component:default/") {
			app, appRef = n.Data.ID, n.Data.EntityRef
			break
		}
	}
	if app == "" {
		fatalf(t, "no application linked to a service in the example topology")
	}
	around, err := s.engine.kafkaTopology(url.Values{"focus": {app}, "depth": {"1"}})
	if err != nil {
		fatalf(t, "%v", err)
	}
	name := strings.TrimPrefix(appRef, "component:default/")
	b.run("open the service's Kafka tab", chromedp.Navigate(s.catalog.baseURL+"/catalog/default/component/"+name+"/kafka"))
	waitNodes("entity-tab", len(around.Elements.Nodes))
}
