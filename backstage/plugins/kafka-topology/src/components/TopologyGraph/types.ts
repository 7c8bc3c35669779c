import { KafkaTopology, NodeData } from '../../api';

/** The layouts a user can pick. */
export type LayoutName = 'fcose' | 'flow';

/**
 * Above this many elements (nodes and edges) a graph is large: the force
 * layout is too slow to wait for, so it is drawn with the flow layout,
 * clusters as headers, by CanvasGraph (Cytoscape.js needs about a second
 * for each 5,000 elements before its first frame).
 */
export const LARGE_GRAPH = 1500;

/** Whether a topology is drawn as a large graph. */
export const isLarge = (t: KafkaTopology) =>
  t.elements.nodes.length + t.elements.edges.length > LARGE_GRAPH;

/** The padding around a graph fitted to its canvas, in pixels. */
export const FIT_PADDING = 30;

/** The largest zoom a fit gives (a small graph would be drawn huge). */
export const MAX_FIT_ZOOM = 1.25;

/** What the toolbar does to a drawn graph, whichever draws it. */
export type GraphControls = {
  /** Shows the whole graph. */
  fit: () => void;
  /** Zooms about the canvas's centre: > 1 in, < 1 out. */
  zoom: (factor: number) => void;
};

/** The props of each renderer. */
export type GraphProps = {
  topology: KafkaTopology;
  layout: LayoutName;
  /** A node was clicked (undefined: the background). */
  onSelect: (node: NodeData | undefined) => void;
  /** Gives the parent the graph's controls once it is drawn. */
  onReady?: (controls: GraphControls) => void;
  height: number | string;
};

/** Records a performance measure from start to now; returns now. */
export const measure = (name: string, start: number) => {
  const end = performance.now();
  performance.measure?.(name, { start, end });
  return end;
};
