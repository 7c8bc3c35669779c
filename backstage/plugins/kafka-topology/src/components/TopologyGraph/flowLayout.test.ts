import { EdgeData, NodeData } from '../../api';
import { flowPositions } from './flowLayout';

const cluster = (name: string): NodeData => ({
  id: `cluster:${name}`,
  type: 'cluster',
  label: name,
  declared: true,
});
const topic = (on: string, name: string): NodeData => ({
  id: `topic:${on}/${name}`,
  type: 'topic',
  label: name,
  parent: `cluster:${on}`,
  declared: true,
});
const app = (name: string, parent?: string): NodeData => ({
  id: `app:${name}`,
  type: 'application',
  label: name,
  kind: 'service',
  parent: parent && `cluster:${parent}`,
});
const edge = (
  source: string,
  target: string,
  kind: EdgeData['kind'],
): EdgeData => ({
  id: `e:${source}->${target}`,
  source,
  target,
  kind,
  pattern: '',
  patternType: 'literal',
});

describe('flowPositions', () => {
  it('puts producers left of their topics, consumers right, and unproduced topics first, cluster by cluster', () => {
    const nodes = [
      cluster('a'),
      cluster('b'),
      topic('a', 'orders'),
      topic('b', 'payments'),
      app('checkout', 'a'),
      app('billing', 'a'),
      app('ledger', 'b'),
      app('audit'),
    ];
    const edges = [
      edge('app:checkout', 'topic:a/orders', 'produces'),
      edge('topic:a/orders', 'app:billing', 'consumes'),
      edge('topic:b/payments', 'app:ledger', 'consumes'),
      edge('topic:a/orders', 'app:audit', 'consumes'),
    ];
    const p = flowPositions(nodes, edges);

    expect(p.get('app:checkout')!.x).toBeLessThan(p.get('topic:a/orders')!.x);
    expect(p.get('topic:a/orders')!.x).toBeLessThan(p.get('app:billing')!.x);
    // A topic nobody in the graph produces to comes first, left of the
    // application that reads it.
    expect(p.get('topic:b/payments')!.x).toBeLessThan(p.get('app:ledger')!.x);
    expect(p.get('topic:b/payments')!.x).toBeLessThan(p.get('app:checkout')!.x);
    // Cluster b's block starts below all of cluster a's rows.
    expect(p.get('topic:b/payments')!.y).toBeGreaterThan(
      p.get('app:billing')!.y,
    );
    // The application on no single cluster comes last.
    const ys = [...p.values()].map(v => v.y);
    expect(p.get('app:audit')!.y).toBe(Math.max(...ys));
    // Compound clusters get no position of their own; headers go above
    // their block.
    expect(p.has('cluster:a')).toBe(false);
    const flat = flowPositions(nodes, edges, { headers: true });
    expect(flat.get('cluster:b')!.y).toBeLessThan(
      flat.get('topic:b/payments')!.y,
    );
    expect(flat.get('cluster:b')!.y).toBeGreaterThan(
      flat.get('app:billing')!.y,
    );
  });

  it('wraps thousands of topics into a block about as wide as it is tall', () => {
    const nodes: NodeData[] = [cluster('big')];
    const edges: EdgeData[] = [];
    for (let i = 0; i < 2000; i++) {
      nodes.push(topic('big', `t${i}`));
      nodes.push(app(`p${i}`, 'big'));
      edges.push(edge(`app:p${i}`, `topic:big/t${i}`, 'produces'));
    }
    const p = [...flowPositions(nodes, edges).values()];
    const width = Math.max(...p.map(v => v.x)) - Math.min(...p.map(v => v.x));
    const height = Math.max(...p.map(v => v.y)) - Math.min(...p.map(v => v.y));
    expect(height / width).toBeGreaterThan(0.5);
    expect(height / width).toBeLessThan(2);
    // Producers still left of the topics they produce to.
    const flow = flowPositions(nodes, edges);
    expect(flow.get('app:p1999')!.x).toBeLessThan(flow.get('topic:big/t0')!.x);
  });
});
