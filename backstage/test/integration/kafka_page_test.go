//go:build backstage

package integration

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/central-config/central-config/internal/testrepo"
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
		Edges []struct{} `json:"edges"`
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

// TestLargeKafkaTopologyInChromium draws a topology too large for
// Cytoscape (over 1,500 nodes and edges) in Debian's Chromium: it is
// drawn with WebGL, holds every node the engine serves, fills its canvas
// with the graph in colour, and a click on a topic (zoomed in to it)
// selects it, fades the rest and opens its panel; Fit shows the whole
// graph again.
func TestLargeKafkaTopologyInChromium(t *testing.T) {
	summarizeFailures(t)
	files := map[string]string{}
	for _, f := range append(testrepo.Generate(100), testrepo.GenerateKafka(800, 200, testrepo.Teams(100))) {
		files[f.Path] = string(f.Content)
	}
	s, _ := newStack(t, stackOptions{engineFrequency: "{ hours: 1 }", backendConfig: browserBackendConfig, files: files})
	b := newBrowser(t, s.p.root)
	eng := s.startEngine()
	backend := s.startBackend()
	s.requireCatalogMatches("every engine entity in the catalog", 2*time.Minute, eng, backend)
	all, err := s.engine.kafkaTopology(url.Values{})
	if err != nil {
		fatalf(t, "%v", err)
	}
	if n := len(all.Elements.Nodes) + len(all.Elements.Edges); n <= 1500 {
		fatalf(t, "the topology has %d nodes and edges; the test needs a large one", n)
	}

	b.signIn(s.catalog.baseURL + "/kafka?all=1")
	eventually(t, 60*time.Second, "the large graph drawn", func() error {
		got := b.evalString(renderedNodes)
		if got != "webgl "+strconv.Itoa(len(all.Elements.Nodes)) {
			return fmt.Errorf("the graph (renderer and nodes) is %q, want webgl %d", got, len(all.Elements.Nodes))
		}
		return nil
	})
	b.screenshot("large-topology")
	if got := b.evalString(fittedOnCanvas); got != "" {
		errorf(t, "the large graph opens %s", got)
	}
	// What the canvas shows: the graph in colour, not an empty canvas.
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(`[data-testid="kafka-graph"]`)))
	cancel()
	if err != nil {
		fatalf(t, "screenshot of the graph: %v", err)
	}
	if colored := coloredShare(t, shot); colored < 0.02 {
		errorf(t, "%.3f of the graph's canvas is in colour: nothing drawn?", colored)
	}

	var topicID string
	for _, n := range all.Elements.Nodes {
		if n.Data.Type == "topic" && n.Data.EntityRef != "" {
			topicID = n.Data.ID
			break
		}
	}
	// Zoom in on the topic, then a real click at its place on the canvas.
	xy := b.evalString(fmt.Sprintf(`(() => {
		const el = document.querySelector('[data-testid="kafka-graph"]');
		const s = el.kafkaSigma, a = s.getGraph().getNodeAttributes(%q);
		const f = s.graphToFramedGraph({ x: a.x, y: a.y });
		s.getCamera().setState({ x: f.x, y: f.y, ratio: 0.05 });
		s.refresh();
		const p = s.graphToViewport({ x: a.x, y: a.y }), r = el.getBoundingClientRect();
		return (r.left + p.x) + ',' + (r.top + p.y);
	})()`, topicID))
	var x, y float64
	if _, err := fmt.Sscanf(xy, "%g,%g", &x, &y); err != nil {
		fatalf(t, "node position %q: %v", xy, err)
	}
	b.run("click the topic", chromedp.MouseClickXY(x, y))
	b.waitText("large-topic-panel", []string{"In the catalog", "Partitions", "Show its neighbourhood"})
	state := b.evalString(fmt.Sprintf(`(() => {
		const s = document.querySelector('[data-testid="kafka-graph"]').kafkaSigma, g = s.getGraph();
		const faded = g.filterNodes(n => !s.getNodeState(n).isActive).length;
		return s.getGraphState().hasSelection + ' ' + s.getNodeState(%q).isActive + ' ' + (g.order - faded) + ' ' + (1 + g.neighbors(%q).length);
	})()`, topicID, topicID))
	var selection, selected bool
	var active, neighbourhood int
	if _, err := fmt.Sscanf(state, "%t %t %d %d", &selection, &selected, &active, &neighbourhood); err != nil {
		fatalf(t, "selection state %q: %v", state, err)
	}
	if !selection || !selected || active != neighbourhood {
		errorf(t, "after the click: selection %t, topic selected %t, %d nodes not faded, want its neighbourhood of %d", selection, selected, active, neighbourhood)
	}

	b.run("fit", chromedp.Click(chromedp.CSS(`button[aria-label="Fit"]`)))
	eventually(t, 10*time.Second, "the whole graph shown again", func() error {
		if got := b.evalString(fittedOnCanvas); got != "" {
			return fmt.Errorf("after Fit, the graph is %s", got)
		}
		return nil
	})
	b.screenshot("large-fitted")
}

// renderedNodes is the graph's renderer and the number of nodes it holds
// ("webgl 1003"), read from the container's attributes.
const renderedNodes = `(() => {
  const el = document.querySelector('[data-testid="kafka-graph"]');
  return el ? el.getAttribute('data-renderer') + ' ' + el.getAttribute('data-rendered-nodes') : '';
})()`

// fittedOnCanvas is empty when a graph drawn with WebGL shows every node
// inside its canvas and its nodes' centres span at least 85% of the width
// or height within the 30 px padding (the outermost nodes' centres lie
// their own size further in); else what is wrong.
const fittedOnCanvas = `(() => {
  const el = document.querySelector('[data-testid="kafka-graph"]');
  const s = el && el.kafkaSigma;
  if (!s) return 'not drawn with WebGL';
  const { width, height } = s.getDimensions();
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  s.getGraph().forEachNode((n, a) => {
    const p = s.graphToViewport({ x: a.x, y: a.y });
    x1 = Math.min(x1, p.x); y1 = Math.min(y1, p.y); x2 = Math.max(x2, p.x); y2 = Math.max(y2, p.y);
  });
  const problems = [];
  if (x1 < 0 || y1 < 0 || x2 > width || y2 > height) problems.push('with nodes at ' + [x1, y1, x2, y2].map(Math.round) + ' outside the ' + width + 'x' + height + ' canvas');
  const fill = Math.max((x2 - x1) / (width - 60), (y2 - y1) / (height - 60));
  if (fill < 0.85) problems.push('filling ' + fill.toFixed(2) + ' of the canvas');
  return problems.join('; ');
})()`

// coloredShare is the share of a PNG's pixels that are not grey (the
// canvas's background and labels are; nodes and edges are in colour).
func coloredShare(t testing.TB, shot []byte) float64 {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		fatalf(t, "decode screenshot: %v", err)
	}
	bounds := img.Bounds()
	colored := 0
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if max(r, g, b)-min(r, g, b) > 0x1800 {
				colored++
			}
		}
	}
	return float64(colored) / float64(bounds.Dx()*bounds.Dy())
}
