import type { EdgeData, NodeData } from '../../api';

/** Horizontal distance between the sub-columns of one column. */
const SUB = 150;
/** Extra gap between two columns (one sub-column apart: 260). */
const COLUMN_GAP = 110;
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
 *
 * A long column wraps into sub-columns so that each block is about as
 * wide as it is tall: thousands of topics become a square, not a line.
 */
export function flowPositions(
  nodes: NodeData[],
  edges: EdgeData[],
  options: {
    /**
     * Also place each cluster node, as a header above its block (for
     * graphs drawn without compound nodes).
     */
    headers?: boolean;
  } = {},
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
    const longest = Math.max(1, ...columns.map(c => c.length));
    // wrap sub-columns per column: rows * ROW about 4 * wrap * SUB.
    const wrap = Math.max(
      1,
      Math.round(Math.sqrt((longest * ROW) / (4 * SUB))),
    );
    const rows = Math.ceil(longest / wrap);
    const columnWidth = wrap * SUB + COLUMN_GAP;
    for (let c = 0; c < columns.length; c++) {
      // Centre shorter columns against the tallest one.
      const own = Math.ceil(columns[c].length / wrap);
      const start = top + ((rows - own) * ROW) / 2;
      for (let i = 0; i < columns[c].length; i++) {
        positions.set(columns[c][i].id, {
          x: c * columnWidth + (i % wrap) * SUB,
          y: start + Math.floor(i / wrap) * ROW,
        });
      }
    }
    if (options.headers && key !== '') {
      positions.set(key, {
        x: (columns.length * columnWidth - COLUMN_GAP - SUB) / 2,
        y: top - ROW,
      });
    }
    top += rows * ROW + CLUSTER_GAP;
  }
  return positions;
}
