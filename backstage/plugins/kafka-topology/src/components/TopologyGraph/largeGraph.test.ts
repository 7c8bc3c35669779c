import { EdgeData, NodeData } from '../../api';
import { NODES } from '../../__testUtils__/fakeApi';
import { flowPositions } from './flowLayout';
import { buildGraph, nodeColor } from './largeGraph';
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

const EDGES = [
  edge('app:order-service', 'topic:acme-events/orders.v1', 'produces'),
  edge('topic:acme-events/orders.v1', 'app:billing', 'consumes'),
];

describe('buildGraph', () => {
  it('places every node where the flow layout puts it, y up, with its data for the panel', () => {
    const graph = buildGraph(NODES, EDGES);
    const flow = flowPositions(NODES, EDGES, { headers: true });
    expect(graph.order).toBe(NODES.length);
    for (const n of NODES) {
      const a = graph.getNodeAttributes(n.id);
      expect({ x: a.x, y: -a.y }).toEqual(flow.get(n.id));
      expect(a.data).toBe(n);
      expect(a.label).toBe(n.label);
    }
  });

  it('draws topics as squares, applications as circles and clusters as labelled headers, sized as Cytoscape draws them', () => {
    const graph = buildGraph(NODES, EDGES);
    const orders = graph.getNodeAttributes('topic:acme-events/orders.v1');
    const billing = graph.getNodeAttributes('app:billing');
    const cluster = graph.getNodeAttributes('cluster:acme-events');
    expect([orders.shape, orders.size, orders.header]).toEqual([
      'square',
      14,
      false,
    ]);
    expect([billing.shape, billing.size, billing.header]).toEqual([
      'circle',
      11,
      false,
    ]);
    expect([cluster.shape, cluster.header]).toEqual(['square', true]);
  });

  it('draws each produce and consume edge once, in its direction colour, and skips edges to nodes it does not hold', () => {
    const graph = buildGraph(NODES, [
      ...EDGES,
      // The same pair again (a second pattern matching the same topic).
      edge(
        'app:order-service',
        'topic:acme-events/orders.v1',
        'produces',
        'orders.*',
      ),
      edge('app:order-service', 'topic:elsewhere/gone', 'produces'),
    ]);
    expect(graph.size).toBe(2);
    const produces = graph.getEdgeAttributes(
      graph.edge('app:order-service', 'topic:acme-events/orders.v1')!,
    );
    const consumes = graph.getEdgeAttributes(
      graph.edge('topic:acme-events/orders.v1', 'app:billing')!,
    );
    expect(produces.solid).toBe(COLORS.produces);
    expect(consumes.solid).toBe(COLORS.consumes);
    // Thousands of edges overlap: each is drawn see-through.
    expect(produces.color.startsWith(COLORS.produces)).toBe(true);
    expect(produces.color).toHaveLength(9);
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
