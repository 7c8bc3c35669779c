import Graph from 'graphology';
import Sigma from 'sigma';
import { layerFill, pathLine, sdfCircle, sdfSquare } from 'sigma/rendering';
import { useEffect, useRef } from 'react';
import { EdgeData, NodeData } from '../../api';
import { flowPositions } from './flowLayout';
import { COLORS, NODE_SIZE } from './style';
import { FIT_PADDING, GraphProps, measure } from './types';

let webgl2: boolean | undefined;

/**
 * Whether this browser can draw with WebGL2 (sigma.js needs it; without a
 * GPU some browsers have none). Asked once; the probe's context is
 * released at once, as a page may hold only a few.
 */
export function hasWebGL2(): boolean {
  if (webgl2 === undefined) {
    try {
      const gl = document.createElement('canvas').getContext('webgl2');
      webgl2 = !!gl;
      gl?.getExtension('WEBGL_lose_context')?.loseContext();
    } catch {
      webgl2 = false;
    }
  }
  return webgl2;
}

/** Hex colour with an alpha byte: how edges of a large graph are drawn. */
const EDGE_ALPHA = '59';

type NodeAttributes = {
  x: number;
  y: number;
  size: number;
  color: string;
  shape: 'circle' | 'square';
  label: string;
  header: boolean;
  data: NodeData;
};

type EdgeAttributes = { color: string; solid: string };

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

/**
 * A large topology drawn with sigma.js on WebGL2: the flow layout (the
 * same as Cytoscape's for large graphs), clusters as headers, topics as
 * squares, applications as circles, drift filled in its colour. Its first
 * frame takes a tenth of Cytoscape's for the same 15,000 elements (see
 * docs/benchmarks.md): sigma keeps every node and edge in a few GPU
 * buffers instead of a styled object each. Clicking a node selects it and
 * fades everything but its neighbourhood, as Cytoscape's graph does. At
 * its first frame, the container gets data-rendered-nodes and the page the
 * mark "kafka-topology-painted" and measures "kafka-graph-create" (the
 * graph, its layout and sigma's start-up, which draws the first frame).
 * Tests reach the sigma instance as the container's kafkaSigma property.
 */
export const WebGLGraph = ({
  topology,
  onSelect,
  onReady,
  height,
}: GraphProps) => {
  const container = useRef<HTMLDivElement>(null);
  const select = useRef(onSelect);
  select.current = onSelect;
  const ready = useRef(onReady);
  ready.current = onReady;

  useEffect(() => {
    if (!container.current) return undefined;
    const el = container.current;
    const start = performance.now();
    el.removeAttribute('data-rendered-nodes');
    const graph = buildGraph(
      topology.elements.nodes.map(n => n.data),
      topology.elements.edges.map(e => e.data),
    );
    const renderer = new Sigma(graph, el, {
      primitives: {
        nodes: { shapes: [sdfCircle(), sdfSquare()], layers: [layerFill()] },
        edges: { paths: [pathLine()] },
      },
      customNodeState: { isActive: false },
      customEdgeState: { isActive: false },
      customGraphState: { hasSelection: false },
      styles: {
        nodes: [
          {
            x: { attribute: 'x' },
            y: { attribute: 'y' },
            size: { attribute: 'size' },
            color: { attribute: 'color' },
            shape: { attribute: 'shape' },
            label: { attribute: 'label' },
            labelColor: '#263238',
            labelSize: 11,
            labelPosition: 'below',
            cursor: 'pointer',
          },
          {
            whenData: 'header',
            then: {
              labelVisibility: 'visible',
              labelSize: 16,
              labelPosition: 'right',
            },
          },
          {
            when: (_attributes, state, graphState) =>
              graphState.hasSelection && !state.isActive,
            then: { opacity: 0.15, labelVisibility: 'hidden' },
          },
          {
            whenState: 'isActive',
            then: { labelVisibility: 'visible' },
          },
        ],
        edges: [
          { color: { attribute: 'color' }, size: 1 },
          {
            when: (_attributes, state, graphState) =>
              graphState.hasSelection && !state.isActive,
            then: { opacity: 0.1 },
          },
          {
            whenState: 'isActive',
            then: { color: { attribute: 'solid' }, size: 2 },
          },
        ],
      },
      settings: {
        // Nodes grow and shrink with the zoom, as in Cytoscape.
        zoomToSizeRatioFunction: (ratio: number) => ratio,
        minEdgeThickness: 0.5,
        enableCameraRotation: false,
        stagePadding: FIT_PADDING,
        labelRenderedSizeThreshold: 7,
        allowInvalidContainer: true,
      },
    });
    measure('kafka-graph-create', start);
    el.setAttribute('data-rendered-nodes', String(graph.order));
    el.setAttribute('data-layout', 'flow');
    performance.mark?.('kafka-topology-painted');
    Object.defineProperty(el, 'kafkaSigma', {
      value: renderer,
      configurable: true,
    });

    let active: { nodes: string[]; edges: string[] } = { nodes: [], edges: [] };
    const clear = () => {
      renderer.setNodesState(active.nodes, { isActive: false });
      renderer.setEdgesState(active.edges, { isActive: false });
      renderer.setGraphState({ hasSelection: false });
      active = { nodes: [], edges: [] };
    };
    renderer.on('clickNode', ({ node }) => {
      clear();
      active = {
        nodes: [node, ...graph.neighbors(node)],
        edges: graph.edges(node),
      };
      renderer.setNodesState(active.nodes, { isActive: true });
      renderer.setEdgesState(active.edges, { isActive: true });
      renderer.setGraphState({ hasSelection: true });
      select.current(graph.getNodeAttribute(node, 'data'));
    });
    renderer.on('clickStage', () => {
      clear();
      select.current(undefined);
    });

    const camera = renderer.getCamera();
    ready.current?.({
      fit: () => camera.reset(),
      zoom: factor =>
        factor >= 1
          ? camera.zoomIn({ factor })
          : camera.zoomOut({ factor: 1 / factor }),
    });
    return () => {
      renderer.kill();
      delete (el as { kafkaSigma?: Sigma }).kafkaSigma;
    };
  }, [topology]);

  return (
    <div
      ref={container}
      data-testid="kafka-graph"
      data-renderer="webgl"
      style={{ width: '100%', height, background: '#fafafa' }}
    />
  );
};
