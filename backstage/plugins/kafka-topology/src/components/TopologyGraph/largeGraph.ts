import Graph from 'graphology';
import { EdgeData, NodeData } from '../../api';
import { flowPositions } from './flowLayout';
import { COLORS, NODE_SIZE } from './style';

/** Hex colour with an alpha byte: how edges of a large graph are drawn. */
const EDGE_ALPHA = '59';

export type NodeAttributes = {
  x: number;
  y: number;
  size: number;
  color: string;
  shape: 'circle' | 'square';
  label: string;
  header: boolean;
  data: NodeData;
};

export type EdgeAttributes = { color: string; solid: string };

/**
 * The fill of a node: its type's or kind's colour, as the Cytoscape style
 * has it; a topic's drift and an unreachable cluster (a border there, too
 * thin to see at a large graph's zoom) fill the node in drift's colour.
 */
export function nodeColor(d: NodeData): string {
  switch (d.type) {
    case 'cluster':
      return d.live === 'unreachable' ? COLORS.drift : COLORS.clusterBorder;
    case 'topic':
      if (d.drift) {
        return d.drift === 'undeclared' ? COLORS.undeclared : COLORS.drift;
      }
      return d.declared ? COLORS.topic : `${COLORS.topic}66`;
    default:
      if (d.entityRef) return COLORS.service;
      return (COLORS as Record<string, string>)[d.kind] ?? COLORS.service;
  }
}

/**
 * The graphology graph sigma draws: the flow layout's positions (y up, as
 * sigma's graph space has it), sizes in the layout's units so that a node
 * is as big against its neighbours as Cytoscape draws it, and the
 * engine's node data for the details panel. Edges between the same two
 * nodes are drawn once.
 */
export function buildGraph(nodes: NodeData[], edges: EdgeData[]) {
  const positions = flowPositions(nodes, edges, { headers: true });
  const graph = new Graph<NodeAttributes, EdgeAttributes>({
    type: 'directed',
    multi: false,
  });
  for (const d of nodes) {
    const p = positions.get(d.id) ?? { x: 0, y: 0 };
    const header = d.type === 'cluster';
    graph.addNode(d.id, {
      x: p.x,
      y: -p.y,
      size: header
        ? NODE_SIZE.header.h / 2
        : NODE_SIZE[d.type as 'topic' | 'application'].w / 2,
      color: nodeColor(d),
      shape: d.type === 'application' ? 'circle' : 'square',
      label: d.label,
      header,
      data: d,
    });
  }
  for (const e of edges) {
    if (
      !graph.hasNode(e.source) ||
      !graph.hasNode(e.target) ||
      graph.hasEdge(e.source, e.target)
    ) {
      continue;
    }
    const solid = e.kind === 'produces' ? COLORS.produces : COLORS.consumes;
    graph.addEdgeWithKey(e.id, e.source, e.target, {
      color: solid + EDGE_ALPHA,
      solid,
    });
  }
  return graph;
}
