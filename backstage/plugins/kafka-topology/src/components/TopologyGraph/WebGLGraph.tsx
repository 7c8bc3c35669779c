import Sigma from 'sigma';
import { layerFill, pathLine, sdfCircle, sdfSquare } from 'sigma/rendering';
import { useEffect, useRef } from 'react';
import { buildGraph } from './largeGraph';
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

/**
 * A large topology drawn with sigma.js on WebGL2: the flow layout (the
 * same as Cytoscape's for large graphs), clusters as headers, topics as
 * squares, applications as circles, drift filled in its colour. Its first
 * frame takes a tenth of Cytoscape's for the same 15,000 elements (see
 * docs/benchmarks.md): sigma keeps every node and edge in a few GPU
 * buffers instead of a styled object each. Clicking a node selects it and
 * fades everything but its neighbourhood, as Cytoscape's graph does. When
 * its first frame is drawn, the container gets data-rendered-nodes and
 * the page the mark "kafka-topology-painted", with the measures
 * "kafka-graph-create" (the graph, its layout and sigma's start-up, which
 * issues the first frame) and "kafka-graph-first-frame" (from there until
 * the GPU has drawn it).
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
    const created = measure('kafka-graph-create', start);
    el.setAttribute('data-layout', 'flow');
    // Sigma's constructor has issued the first frame's draw calls; the
    // frame is drawn when the GPU (or, without one, the browser's software
    // GL) has run them: a fence says when.
    const gl = renderer.getWebGLContext();
    const fence = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
    gl.flush();
    let frame = 0;
    const waitForGPU = () => {
      if (fence && gl.getSyncParameter(fence, gl.SYNC_STATUS) !== gl.SIGNALED) {
        frame = requestAnimationFrame(waitForGPU);
        return;
      }
      if (fence) gl.deleteSync(fence);
      el.setAttribute('data-rendered-nodes', String(graph.order));
      performance.mark?.('kafka-topology-painted');
      measure('kafka-graph-first-frame', created);
    };
    frame = requestAnimationFrame(waitForGPU);
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
      cancelAnimationFrame(frame);
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
