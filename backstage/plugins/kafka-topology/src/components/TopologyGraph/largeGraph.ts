import { EdgeData, NodeData } from '../../api';
import { flowPositions } from './flowLayout';
import { COLORS, NODE_SIZE } from './style';
import { MAX_FIT_ZOOM } from './types';
import { fitViewport } from './viewport';

/** A node as the large graph draws it: a box in layout units. */
export type LargeNode = {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
  shape: 'rect' | 'circle' | 'header';
  color: string;
  label: string;
  data: NodeData;
};

/** An edge between two nodes, by their index. */
export type LargeEdge = { source: number; target: number; produces: boolean };

export type LargeGraph = {
  nodes: LargeNode[];
  edges: LargeEdge[];
  /** Each node's index by its id. */
  index: Map<string, number>;
  /** Each node's incident edges, by index. */
  incident: number[][];
};

/** Where the graph is on the canvas: screen = layout * zoom + (x, y). */
export type View = { zoom: number; x: number; y: number };

/** Zoom bounds: a topology of 100,000 topics still fits. */
export const MIN_ZOOM = 0.001;
export const MAX_ZOOM = 4;
/** Label sizes on screen, px; labels under MIN_LABEL_PX are not drawn. */
const LABEL_PX = 11;
const HEADER_PX = 16;
const MIN_LABEL_PX = 7;
/** A node smaller than this on screen is still this easy to click, px. */
const MIN_HIT_PX = 8;
/** Edges' opacity: thousands overlap. */
const EDGE_ALPHA = 0.35;
const FADED_ALPHA = 0.12;

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

/** How each type of node is drawn. */
const SHAPES: Record<NodeData['type'], LargeNode['shape']> = {
  cluster: 'header',
  topic: 'rect',
  application: 'circle',
};

/**
 * The large graph's model: the flow layout's positions, clusters as
 * headers above their blocks, each node's box at the size Cytoscape draws
 * it, and each produce or consume edge once (edges to nodes the graph does
 * not hold are left out).
 */
export function buildLargeGraph(
  nodeData: NodeData[],
  edgeData: EdgeData[],
): LargeGraph {
  const positions = flowPositions(nodeData, edgeData, { headers: true });
  const index = new Map<string, number>();
  const nodes = nodeData.map((d, i): LargeNode => {
    index.set(d.id, i);
    const p = positions.get(d.id) ?? { x: 0, y: 0 };
    const size = NODE_SIZE[d.type === 'cluster' ? 'header' : d.type];
    return {
      id: d.id,
      x: p.x,
      y: p.y,
      w: size.w,
      h: size.h,
      shape: SHAPES[d.type],
      color: nodeColor(d),
      label: d.label,
      data: d,
    };
  });
  const incident: number[][] = nodes.map(() => []);
  const edges: LargeEdge[] = [];
  const seen = new Set<string>();
  for (const e of edgeData) {
    const source = index.get(e.source);
    const target = index.get(e.target);
    const key = `${e.source}\u0000${e.target}`;
    if (source === undefined || target === undefined || seen.has(key)) {
      continue;
    }
    seen.add(key);
    incident[source].push(edges.length);
    incident[target].push(edges.length);
    edges.push({ source, target, produces: e.kind === 'produces' });
  }
  return { nodes, edges, index, incident };
}

/** A node and its neighbours, with the edges between them: a selection. */
export function neighbourhood(graph: LargeGraph, node: number) {
  const nodes = new Set([node]);
  const edges = new Set(graph.incident[node]);
  for (const e of edges) {
    nodes.add(graph.edges[e].source);
    nodes.add(graph.edges[e].target);
  }
  return { nodes, edges };
}

/** The view that shows the whole graph on a width x height canvas. */
export function fitView(
  graph: LargeGraph,
  width: number,
  height: number,
  padding: number,
): View {
  const { zoom, pan } = fitViewport(graph.nodes, width, height, {
    padding,
    minZoom: MIN_ZOOM,
    maxZoom: MAX_FIT_ZOOM,
  });
  return { zoom, x: pan.x, y: pan.y };
}

/** The view zoomed by factor about the screen point (px, py), bounded. */
export function zoomAt(view: View, factor: number, px: number, py: number) {
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.zoom * factor));
  const k = zoom / view.zoom;
  return { zoom, x: px - (px - view.x) * k, y: py - (py - view.y) * k };
}

/** Where a node's centre is on the screen. */
export const toScreen = (view: View, n: { x: number; y: number }) => ({
  x: n.x * view.zoom + view.x,
  y: n.y * view.zoom + view.y,
});

/**
 * The node under the screen point (px, py), if any: the nearest whose box
 * (at least MIN_HIT_PX on screen) holds the point.
 */
export function nodeAt(
  graph: LargeGraph,
  view: View,
  px: number,
  py: number,
): number | undefined {
  const x = (px - view.x) / view.zoom;
  const y = (py - view.y) / view.zoom;
  const least = MIN_HIT_PX / 2 / view.zoom;
  let best: number | undefined;
  let bestDistance = Infinity;
  graph.nodes.forEach((n, i) => {
    const dx = Math.abs(x - n.x);
    const dy = Math.abs(y - n.y);
    if (dx > Math.max(n.w / 2, least) || dy > Math.max(n.h / 2, least)) {
      return;
    }
    const distance = dx * dx + dy * dy;
    if (distance < bestDistance) {
      best = i;
      bestDistance = distance;
    }
  });
  return best;
}

/**
 * Draws the graph on a canvas context of width x height CSS pixels (its
 * transform maps CSS pixels to the canvas's), at a view, with an optional
 * selection: its nodes and edges drawn in full over everything else,
 * faded. Edges are batched in one path per direction, nodes in one path
 * per colour and shape: a few dozen draw calls for any size of graph. Only
 * what is on screen is drawn, and labels only where they are readable
 * (headers always).
 */
export function drawLargeGraph(
  ctx: CanvasRenderingContext2D,
  graph: LargeGraph,
  view: View,
  width: number,
  height: number,
  selection?: { nodes: Set<number>; edges: Set<number> },
) {
  const { zoom } = view;
  // What is on screen, in layout units (with room for the biggest node).
  const margin = NODE_SIZE.header.w / 2;
  const x1 = -view.x / zoom - margin;
  const y1 = -view.y / zoom - margin;
  const x2 = (width - view.x) / zoom + margin;
  const y2 = (height - view.y) / zoom + margin;
  const visible = (n: LargeNode) =>
    n.x >= x1 && n.x <= x2 && n.y >= y1 && n.y <= y2;

  ctx.clearRect(0, 0, width, height);
  const base = ctx.getTransform();
  ctx.save();
  ctx.transform(zoom, 0, 0, zoom, view.x, view.y);
  ctx.lineWidth = 1 / zoom;
  // The faded edges first, so that a selection's are drawn over them.
  for (const active of [false, true]) {
    for (const produces of [true, false]) {
      if (active && !selection) continue;
      ctx.beginPath();
      graph.edges.forEach((e, i) => {
        if (e.produces !== produces) return;
        if (selection && selection.edges.has(i) !== active) return;
        const s = graph.nodes[e.source];
        const t = graph.nodes[e.target];
        if (!visible(s) && !visible(t)) {
          // Both ends off screen: the line may still cross it.
          if (
            Math.max(s.x, t.x) < x1 ||
            Math.min(s.x, t.x) > x2 ||
            Math.max(s.y, t.y) < y1 ||
            Math.min(s.y, t.y) > y2
          ) {
            return;
          }
        }
        ctx.moveTo(s.x, s.y);
        ctx.lineTo(t.x, t.y);
      });
      ctx.strokeStyle = produces ? COLORS.produces : COLORS.consumes;
      let alpha = selection ? FADED_ALPHA : EDGE_ALPHA;
      if (active) alpha = 1;
      ctx.globalAlpha = alpha;
      ctx.lineWidth = (active ? 2 : 1) / zoom;
      ctx.stroke();
    }
  }

  // Nodes, one path per colour, kind (header or not) and fade.
  type Group = { faded: boolean; header: boolean; color: string; path: Path2D };
  const groups = new Map<string, Group>();
  graph.nodes.forEach((n, i) => {
    if (!visible(n)) return;
    const faded = selection !== undefined && !selection.nodes.has(i);
    const header = n.shape === 'header';
    const key = `${faded} ${header} ${n.color}`;
    let group = groups.get(key);
    if (!group) {
      group = { faded, header, color: n.color, path: new Path2D() };
      groups.set(key, group);
    }
    if (n.shape === 'circle') {
      group.path.moveTo(n.x + n.w / 2, n.y);
      group.path.arc(n.x, n.y, n.w / 2, 0, 2 * Math.PI);
    } else {
      group.path.rect(n.x - n.w / 2, n.y - n.h / 2, n.w, n.h);
    }
  });
  // The faded first, so that a selection's nodes are drawn over them.
  const ordered = [...groups.values()].sort(
    (a, b) => Number(b.faded) - Number(a.faded),
  );
  for (const { faded, header, color, path } of ordered) {
    ctx.globalAlpha = faded ? FADED_ALPHA : 1;
    if (header) {
      // A header: the cluster's box, its name drawn over it; filled in
      // drift's colour when the cluster cannot be reached.
      ctx.fillStyle = color === COLORS.clusterBorder ? COLORS.cluster : color;
      ctx.fill(path);
      ctx.strokeStyle = COLORS.clusterBorder;
      ctx.lineWidth = 1 / zoom;
      ctx.stroke(path);
    } else {
      ctx.fillStyle = color;
      ctx.fill(path);
    }
  }
  ctx.restore();

  // Labels: headers at a fixed size on screen, names growing with the
  // zoom up to 16 px.
  ctx.save();
  ctx.setTransform(base);
  ctx.fillStyle = '#263238';
  ctx.textAlign = 'center';
  const nodeLabels = LABEL_PX * zoom >= MIN_LABEL_PX;
  graph.nodes.forEach((n, i) => {
    if (!visible(n)) return;
    const header = n.shape === 'header';
    if (!header && !nodeLabels) return;
    const faded = selection !== undefined && !selection.nodes.has(i);
    if (faded && !header) return;
    const p = toScreen(view, n);
    if (header) {
      ctx.font = `bold ${HEADER_PX}px sans-serif`;
      ctx.textBaseline = 'middle';
      ctx.globalAlpha = 1;
      ctx.fillText(n.label, p.x, p.y);
    } else {
      ctx.font = `${Math.min(LABEL_PX * zoom, 16)}px sans-serif`;
      ctx.textBaseline = 'top';
      ctx.fillText(n.label, p.x, p.y + (n.h / 2) * zoom + 3);
    }
  });
  ctx.restore();
}
