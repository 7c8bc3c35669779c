//go:build backstage

package integration

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
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
		Edges []struct {
			Data struct {
				Source string `json:"source"`
				Target string `json:"target"`
			} `json:"data"`
		} `json:"edges"`
	} `json:"elements"`
}

// kafkaStack starts the engine and the Backstage backend (built
// frontend) on one PostgreSQL, syncing files (nil: the example
// repository), and waits until the catalog holds every entity the engine
// publishes.
func kafkaStack(t testing.TB, files map[string]string, wait time.Duration) *stack {
	t.Helper()
	s, _ := newStack(t, stackOptions{engineFrequency: "{ hours: 1 }", backendConfig: browserBackendConfig, files: files})
	eng := s.startEngine()
	backend := s.startBackend()
	s.requireCatalogMatches("every engine entity in the catalog", wait, eng, backend)
	return s
}

// generatedKafka is a generated repository of entities (bench/genrepo's)
// with a Kafka topology of 3 clusters, topics and apps.
func generatedKafka(entities, topics, apps int) map[string]string {
	files := map[string]string{}
	for _, f := range append(testrepo.Generate(entities), testrepo.GenerateKafka(topics, apps, testrepo.Teams(entities))) {
		files[f.Path] = string(f.Content)
	}
	return files
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
	s := kafkaStack(t, nil, 2*time.Minute)
	b := newBrowser(t, s.p.root)

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
// Cytoscape (over 1,500 nodes and edges) in Debian's Chromium: the
// plugin's own canvas holds every node the engine serves and fills the
// canvas with the graph in colour; the wheel zooms in about the pointer;
// a click on a topic selects it, fades all but its neighbourhood and
// opens its panel; Fit shows the whole graph again.
func TestLargeKafkaTopologyInChromium(t *testing.T) {
	summarizeFailures(t)
	s := kafkaStack(t, generatedKafka(100, 800, 200), 2*time.Minute)
	b := newBrowser(t, s.p.root)
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
		if got != "canvas "+strconv.Itoa(len(all.Elements.Nodes)) {
			return fmt.Errorf("the graph (renderer and nodes) is %q, want canvas %d", got, len(all.Elements.Nodes))
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
	if topicID == "" {
		fatalf(t, "no topic with a catalog entity in the generated topology")
	}
	// Zoom in on the topic with the wheel, at its place; then a real click
	// there.
	position := func() (x, y float64) {
		t.Helper()
		xy := b.evalString(fmt.Sprintf(`(() => {
			const el = document.querySelector('[data-testid="kafka-graph"]');
			const p = el.kafkaGraph.position(%q), r = el.getBoundingClientRect();
			return (r.left + p.x) + ',' + (r.top + p.y);
		})()`, topicID))
		if _, err := fmt.Sscanf(xy, "%g,%g", &x, &y); err != nil {
			fatalf(t, "node position %q: %v", xy, err)
		}
		return x, y
	}
	zoom := func() float64 {
		t.Helper()
		v := b.evalString(`String(document.querySelector('[data-testid="kafka-graph"]').kafkaGraph.view().zoom)`)
		z, err := strconv.ParseFloat(v, 64)
		if err != nil || z <= 0 {
			fatalf(t, "the graph's zoom is %q", v)
		}
		return z
	}
	x, y := position()
	fitted := zoom()
	// Zooming in 8 times needs room under the largest zoom, 4.
	if fitted > 0.4 {
		fatalf(t, "the graph opens at zoom %g: too small a topology to zoom into 8 times", fitted)
	}
	// A wheel event's point is in whole pixels.
	px, py := math.Round(x), math.Round(y)
	for range 8 {
		// The protocol requires deltaX, which cdproto leaves out when 0.
		b.run("wheel", chromedp.MouseEvent(chromedp.MouseWheel, px, py, func(p *input.DispatchMouseEventParams) { p.DeltaX, p.DeltaY = 0.01, -300 }))
	}
	eventually(t, 10*time.Second, "zoomed in", func() error {
		if z := zoom(); z < 8*fitted {
			return fmt.Errorf("zoom %g, fitted %g", z, fitted)
		}
		return nil
	})
	// The point under the pointer stays: the topic moves away from it by
	// the zoom's factor.
	k := zoom() / fitted
	wantX, wantY := px+(x-px)*k, py+(y-py)*k
	if x, y = position(); math.Abs(x-wantX) > 1 || math.Abs(y-wantY) > 1 {
		errorf(t, "zoomed %.1fx about %g,%g: the topic is at %g,%g, want %g,%g", k, px, py, x, y, wantX, wantY)
	}
	b.screenshot("large-zoomed")
	b.run("click the topic", chromedp.MouseClickXY(x, y))
	b.waitText("large-topic-panel", []string{"In the catalog", "Partitions", "Show its neighbourhood"})
	active := b.evalString(`document.querySelector('[data-testid="kafka-graph"]').kafkaGraph.active().sort().join(' ')`)
	want := []string{topicID}
	for _, e := range all.Elements.Edges {
		if e.Data.Source == topicID {
			want = append(want, e.Data.Target)
		}
		if e.Data.Target == topicID {
			want = append(want, e.Data.Source)
		}
	}
	slices.Sort(want)
	want = slices.Compact(want)
	if active != strings.Join(want, " ") {
		errorf(t, "after the click, the nodes drawn in full are %q, want the topic and its neighbours %q", active, want)
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
// ("canvas 1003"), read from the container's attributes.
const renderedNodes = `(() => {
  const el = document.querySelector('[data-testid="kafka-graph"]');
  return el ? el.getAttribute('data-renderer') + ' ' + el.getAttribute('data-rendered-nodes') : '';
})()`

// fittedOnCanvas is empty when the large graph's view is the fit of the
// whole graph (zoom within 1%, pan within 1 px) and every node's centre is
// inside the canvas; else what is wrong.
const fittedOnCanvas = `(() => {
  const el = document.querySelector('[data-testid="kafka-graph"]');
  const g = el && el.kafkaGraph;
  if (!g) return 'not drawn on the canvas';
  const view = g.view(), fit = g.fitView(), r = el.getBoundingClientRect();
  const problems = [];
  if (Math.abs(view.zoom / fit.zoom - 1) > 0.01 || Math.abs(view.x - fit.x) > 1 || Math.abs(view.y - fit.y) > 1) {
    problems.push('at ' + JSON.stringify(view) + ', the fit is ' + JSON.stringify(fit));
  }
  const outside = g.ids().filter(id => {
    const p = g.position(id);
    return p.x < 0 || p.y < 0 || p.x > r.width || p.y > r.height;
  });
  if (outside.length) problems.push('with ' + outside.length + ' nodes outside the canvas, such as ' + outside[0]);
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
