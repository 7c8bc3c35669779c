import type { EdgeData, NodeData } from '../../api';

/** Horizontal gap between the producer, topic and consumer columns. */
const COLUMN = 260;
/** Vertical gap between rows, and between clusters. */
const ROW = 42;
const CLUSTER_GAP = 90;

type Position = { x: number; y: number };

/**
 * A left-to-right layout, producer -> topic -> consumer, in four columns:
 * topics nobody in the graph produces to (what flows in from outside, or
 * what a focused service reads), the applications that produce, the topics
 * they produce to, and the applications that only consume. Each cluster is
 * a block of rows of its own, so compound clusters never overlap;
 * applications on no single cluster get a last block. Linear in the size
 * of the graph, so it is also the layout for graphs too big for a force
 * layout.
 */
export function flowPositions(
  nodes: NodeData[],
  edges: EdgeData[],
): Map<string, Position> {
  const producers = new Set<string>();
  const produced = new Set<string>();
  for (const e of edges) {
    if (e.kind === 'produces') {
      producers.add(e.source);
      produced.add(e.target);
    }
  }
  type Block = NodeData[][];
  const blocks = new Map<string, Block>();
  const block = (key: string) => {
    let b = blocks.get(key);
    if (!b) {
      b = [[], [], [], []];
      blocks.set(key, b);
    }
    return b;
  };
  for (const n of nodes) {
    if (n.type === 'cluster') {
      block(n.id);
      continue;
    }
    const b = block(n.parent ?? '');
    if (n.type === 'topic') b[produced.has(n.id) ? 2 : 0].push(n);
    else b[producers.has(n.id) ? 1 : 3].push(n);
  }
  const positions = new Map<string, Position>();
  let top = 0;
  // Clusters in the engine's order (sorted), the block of no cluster last.
  const keys = [...blocks.keys()].sort((a, b) =>
    a === '' || b === '' ? Number(a === '') - Number(b === '') : 0,
  );
  for (const key of keys) {
    const columns = blocks.get(key)!;
    const rows = Math.max(1, ...columns.map(c => c.length));
    for (let c = 0; c < columns.length; c++) {
      // Centre shorter columns against the tallest one.
      const start = top + ((rows - columns[c].length) * ROW) / 2;
      for (let i = 0; i < columns[c].length; i++) {
        positions.set(columns[c][i].id, { x: c * COLUMN, y: start + i * ROW });
      }
    }
    top += rows * ROW + CLUSTER_GAP;
  }
  return positions;
}
