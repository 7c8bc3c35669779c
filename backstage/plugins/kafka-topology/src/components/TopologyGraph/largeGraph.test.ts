import { EdgeData, NodeData } from '../../api';
import { NODES } from '../../__testUtils__/fakeApi';
import { flowPositions } from './flowLayout';
import {
  buildLargeGraph,
  drawLargeGraph,
  fitView,
  neighbourhood,
  nodeAt,
  nodeColor,
  toScreen,
  zoomAt,
} from './largeGraph';
import { COLORS } from './style';

const edge = (
  source: string,
  target: string,
  kind: EdgeData['kind'],
  pattern = '',
): EdgeData => ({
  id: `e:${source}->${target}:${pattern}`,
  source,
  target,
  kind,
  pattern,
  patternType: 'literal',
});

const ORDERS = 'topic:acme-events/orders.v1';
const EDGES = [
  edge('app:order-service', ORDERS, 'produces'),
  edge(ORDERS, 'app:billing', 'consumes'),
];

describe('buildLargeGraph', () => {
  it('places every node where the flow layout puts it, clusters as headers, with its data for the panel', () => {
    const graph = buildLargeGraph(NODES, EDGES);
    const flow = flowPositions(NODES, EDGES, { headers: true });
    expect(graph.nodes).toHaveLength(NODES.length);
    for (const n of NODES) {
      const node = graph.nodes[graph.index.get(n.id)!];
      expect({ x: node.x, y: node.y }).toEqual(flow.get(n.id));
      expect(node.data).toBe(n);
    }
    const shapes = graph.nodes.map(n => [n.id, n.shape, n.w, n.h]);
    expect(shapes).toEqual([
      ['cluster:acme-events', 'header', 240, 28],
      [ORDERS, 'rect', 28, 16],
      ['topic:acme-events/payments.v1', 'rect', 28, 16],
      ['app:order-service', 'circle', 22, 22],
      ['app:billing', 'circle', 22, 22],
    ]);
  });

  it('keeps each produce and consume edge once, and none to a node it does not hold', () => {
    const graph = buildLargeGraph(NODES, [
      ...EDGES,
      // The same pair again (a second pattern matching the same topic).
      edge('app:order-service', ORDERS, 'produces', 'orders.*'),
      edge('app:order-service', 'topic:elsewhere/gone', 'produces'),
    ]);
    const at = (i: number) => graph.nodes[i].id;
    expect(
      graph.edges.map(e => [at(e.source), at(e.target), e.produces]),
    ).toEqual([
      ['app:order-service', ORDERS, true],
      [ORDERS, 'app:billing', false],
    ]);
  });

  it("selects a node's neighbourhood: the node, its neighbours both ways and the edges between", () => {
    const graph = buildLargeGraph(NODES, EDGES);
    const { nodes, edges } = neighbourhood(graph, graph.index.get(ORDERS)!);
    expect([...nodes].map(i => graph.nodes[i].id).sort()).toEqual(
      ['app:billing', 'app:order-service', ORDERS].sort(),
    );
    expect(edges.size).toBe(2);
    const billing = neighbourhood(graph, graph.index.get('app:billing')!);
    expect([...billing.nodes].map(i => graph.nodes[i].id).sort()).toEqual(
      ['app:billing', ORDERS].sort(),
    );
  });
});

describe('the view', () => {
  const graph = buildLargeGraph(NODES, EDGES);

  it('fits the graph into the canvas with its padding, and no larger than 1.25', () => {
    const view = fitView(graph, 800, 600, 30);
    for (const n of graph.nodes) {
      const p = toScreen(view, n);
      expect(p.x - (n.w / 2) * view.zoom).toBeGreaterThanOrEqual(29.9);
      expect(p.x + (n.w / 2) * view.zoom).toBeLessThanOrEqual(770.1);
      expect(p.y - (n.h / 2) * view.zoom).toBeGreaterThanOrEqual(29.9);
      expect(p.y + (n.h / 2) * view.zoom).toBeLessThanOrEqual(570.1);
    }
    expect(view.zoom).toBeLessThanOrEqual(1.25);
  });

  it('zooms about a point, which stays where it is, within bounds', () => {
    const view = fitView(graph, 800, 600, 30);
    const node = graph.nodes[graph.index.get(ORDERS)!];
    const before = toScreen(view, node);
    const zoomed = zoomAt(view, 2, before.x, before.y);
    expect(zoomed.zoom).toBeCloseTo(view.zoom * 2);
    const after = toScreen(zoomed, node);
    expect(after.x).toBeCloseTo(before.x);
    expect(after.y).toBeCloseTo(before.y);
    expect(zoomAt(view, 1e6, 0, 0).zoom).toBe(4);
    expect(zoomAt(view, 1e-6, 0, 0).zoom).toBe(0.001);
  });

  it('finds the node under a point, a tiny node within 4 px, and none on the background', () => {
    const view = fitView(graph, 800, 600, 30);
    const i = graph.index.get('app:billing')!;
    const p = toScreen(view, graph.nodes[i]);
    expect(nodeAt(graph, view, p.x + 2, p.y - 2)).toBe(i);
    const far = { zoom: 0.02, x: 400, y: 300 };
    const q = toScreen(far, graph.nodes[i]);
    expect(nodeAt(graph, far, q.x + 3, q.y)).toBe(i);
    expect(nodeAt(graph, view, 1, 1)).toBeUndefined();
  });
});

/** A 2D context that records what is drawn (jsdom has no canvas). */
class Recorder {
  strokes: { style: string; alpha: number; lines: number }[] = [];
  fills: { style: string; alpha: number; shapes: number }[] = [];
  texts: string[] = [];
  globalAlpha = 1;
  strokeStyle = '';
  fillStyle = '';
  lineWidth = 1;
  font = '';
  textAlign = '';
  textBaseline = '';
  private lines = 0;
  getTransform = () => new DOMMatrix();
  setTransform = () => {};
  transform = () => {};
  save = () => {};
  restore = () => {};
  clearRect = () => {};
  beginPath = () => {
    this.lines = 0;
  };
  moveTo = () => {};
  lineTo = () => {
    this.lines++;
  };
  stroke = (p?: FakePath) => {
    if (p) return;
    this.strokes.push({
      style: this.strokeStyle,
      alpha: this.globalAlpha,
      lines: this.lines,
    });
  };
  fill = (p: FakePath) => {
    this.fills.push({
      style: this.fillStyle,
      alpha: this.globalAlpha,
      shapes: p.shapes,
    });
  };
  fillText = (text: string) => {
    this.texts.push(text);
  };
}

class FakePath {
  shapes = 0;
  moveTo() {}
  arc() {
    this.shapes++;
  }
  rect() {
    this.shapes++;
  }
}

describe('drawLargeGraph', () => {
  const graph = buildLargeGraph(NODES, EDGES);
  /** What drawLargeGraph draws on a width x height canvas (800 x 600). */
  const draw = (
    view: { zoom: number; x: number; y: number },
    selection?: ReturnType<typeof neighbourhood>,
    { of = graph, width = 800, height = 600 } = {},
  ) => {
    const ctx = new Recorder();
    drawLargeGraph(
      ctx as unknown as CanvasRenderingContext2D,
      of,
      view,
      width,
      height,
      selection,
    );
    return ctx;
  };
  beforeAll(() => {
    (globalThis as { Path2D?: unknown }).Path2D = FakePath;
    (globalThis as { DOMMatrix?: unknown }).DOMMatrix ??= class {};
  });

  it('draws every node and edge in view, each direction in its colour, labels only once readable', () => {
    const view = fitView(graph, 800, 600, 30);
    const near = draw(view);
    expect(near.fills.reduce((n, f) => n + f.shapes, 0)).toBe(NODES.length);
    expect(
      near.strokes.map(s => [s.style, s.lines]).filter(([, n]) => n),
    ).toEqual([
      [COLORS.produces, 1],
      [COLORS.consumes, 1],
    ]);
    expect(near.texts).toEqual(
      expect.arrayContaining(['acme-events', 'orders.v1', 'billing']),
    );
    // Zoomed out to a hundredth: names are too small to read, but the
    // cluster's header stays.
    const far = draw(zoomAt(view, 0.02, 400, 300));
    expect(far.texts).toEqual(['acme-events']);
  });

  it('draws a line whose two ends are off screen when it crosses the screen', () => {
    const orders = graph.nodes[graph.index.get(ORDERS)!];
    const producer = graph.nodes[graph.index.get('app:order-service')!];
    // A 10 px wide window, zoomed in, halfway along the produce edge.
    const zoom = 4;
    const mid = {
      x: (orders.x + producer.x) / 2,
      y: (orders.y + producer.y) / 2,
    };
    const view = { zoom, x: 5 - mid.x * zoom, y: 5 - mid.y * zoom };
    const ctx = draw(view, undefined, { width: 10, height: 10 });
    expect(
      ctx.strokes.filter(s => s.lines).map(s => [s.style, s.lines]),
    ).toEqual([[COLORS.produces, 1]]);
    // Both ends are off the 10 x 10 screen.
    for (const end of [orders, producer]) {
      const p = toScreen(view, end);
      expect(Math.max(Math.abs(p.x - 5), Math.abs(p.y - 5))).toBeGreaterThan(
        100,
      );
    }
  });

  it("fills a cluster that cannot be reached in drift's colour", () => {
    const cluster = { ...(NODES[0] as NodeData), live: 'unreachable' };
    const g = buildLargeGraph([cluster as NodeData, ...NODES.slice(1)], []);
    const ctx = draw(fitView(g, 800, 600, 30), undefined, { of: g });
    expect(ctx.fills.map(f => f.style)).toContain(COLORS.drift);
  });

  it('draws nothing that is off screen', () => {
    const away = draw({ zoom: 1, x: 100_000, y: 100_000 });
    expect(away.fills.reduce((n, f) => n + f.shapes, 0)).toBe(0);
    expect(away.strokes.every(s => s.lines === 0)).toBe(true);
    expect(away.texts).toEqual([]);
  });

  it('fades all but a selection, and labels only what it holds', () => {
    const view = fitView(graph, 800, 600, 30);
    const billing = neighbourhood(graph, graph.index.get('app:billing')!);
    const ctx = draw(view, billing);
    const full = ctx.fills.filter(f => f.alpha === 1);
    expect(full.reduce((n, f) => n + f.shapes, 0)).toBe(2);
    const strong = ctx.strokes.filter(s => s.alpha === 1 && s.lines);
    expect(strong).toEqual([{ style: COLORS.consumes, alpha: 1, lines: 1 }]);
    expect(ctx.texts.sort()).toEqual(['acme-events', 'billing', 'orders.v1']);
  });
});

describe('nodeColor', () => {
  const topic = NODES[1] as Extract<NodeData, { type: 'topic' }>;
  const app = NODES[4] as Extract<NodeData, { type: 'application' }>;

  it('colours topics, applications by kind and services of the repository as the legend does', () => {
    expect(nodeColor(topic)).toBe(COLORS.topic);
    expect(nodeColor({ ...app, kind: 'stream' })).toBe(COLORS.stream);
    expect(nodeColor({ ...app, kind: 'user', entityRef: 'component:x' })).toBe(
      COLORS.service,
    );
    // A kind a newer engine may send.
    const newer = { ...app, kind: 'something-new' as typeof app.kind };
    expect(nodeColor(newer)).toBe(COLORS.service);
  });

  it('fills drift in its colour, which a border too thin to see at this zoom would not show', () => {
    expect(nodeColor({ ...topic, drift: 'mismatch' })).toBe(COLORS.drift);
    expect(nodeColor({ ...topic, drift: 'undeclared' })).toBe(
      COLORS.undeclared,
    );
    expect(nodeColor({ ...topic, declared: false })).toBe(`${COLORS.topic}66`);
    expect(
      nodeColor({ ...(NODES[0] as NodeData), live: 'unreachable' } as NodeData),
    ).toBe(COLORS.drift);
  });
});
