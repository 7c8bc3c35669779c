import { useEffect, useRef } from 'react';
import useLatest from 'react-use/esm/useLatest';
import {
  buildLargeGraph,
  drawLargeGraph,
  fitView,
  neighbourhood,
  nodeAt,
  toScreen,
  View,
  zoomAt,
} from './largeGraph';
import { FIT_PADDING, GraphProps, measure } from './types';

/** A pointer that moves less than this between down and up clicks, px. */
const CLICK_TOLERANCE = 4;

/**
 * A large topology drawn on a 2D canvas of our own: the flow layout,
 * clusters as headers, topics as rectangles, applications as circles,
 * straight see-through edges (producers left, consumers right). Drawing
 * the 15,000 elements of 5,000 topics and 1,000 applications takes tens of
 * milliseconds on one core, where Cytoscape needs seconds (it styles each
 * element as an object) and sigma.js's WebGL about a second where the
 * browser has no GPU (docs/benchmarks.md). Wheel or the zoom buttons zoom,
 * dragging pans, a click on a node selects it and fades everything but its
 * neighbourhood, as Cytoscape's graph does; labels show once they are
 * readable. When its first frame is drawn, the container gets
 * data-rendered-nodes and the page the mark "kafka-topology-painted", with
 * the measures "kafka-graph-create" (the model and its layout) and
 * "kafka-graph-first-frame" (drawing it). Tests reach the drawn graph as
 * the container's kafkaGraph property.
 */
export const CanvasGraph = ({
  topology,
  onSelect,
  onReady,
  height,
}: GraphProps) => {
  const container = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const select = useLatest(onSelect);
  const ready = useLatest(onReady);

  useEffect(() => {
    const el = container.current;
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!el || !canvas || !ctx) return undefined;
    const start = performance.now();
    el.removeAttribute('data-rendered-nodes');
    const graph = buildLargeGraph(
      topology.elements.nodes.map(n => n.data),
      topology.elements.edges.map(e => e.data),
    );
    const created = measure('kafka-graph-create', start);

    let width = el.clientWidth;
    let heightPx = el.clientHeight;
    let view: View = fitView(graph, width, heightPx, FIT_PADDING);
    // Until the user zooms, pans or clicks, the graph stays fitted to the
    // canvas when it changes size (after a click, the details panel opens
    // beside it: the graph must not move under the pointer).
    let fitted = true;
    let selection: ReturnType<typeof neighbourhood> | undefined;
    let frame = 0;
    const draw = () => {
      frame = 0;
      const ratio = window.devicePixelRatio || 1;
      if (canvas.width !== Math.round(width * ratio)) {
        canvas.width = Math.round(width * ratio);
      }
      if (canvas.height !== Math.round(heightPx * ratio)) {
        canvas.height = Math.round(heightPx * ratio);
      }
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      drawLargeGraph(ctx, graph, view, width, heightPx, selection);
    };
    const redraw = () => {
      if (!frame) frame = requestAnimationFrame(draw);
    };
    const drawNow = () => {
      cancelAnimationFrame(frame);
      draw();
    };

    draw();
    // Reading a pixel back makes the browser rasterize the frame now: the
    // mark is when it is drawn, not when it was asked for.
    ctx.getImageData(0, 0, 1, 1);
    el.setAttribute('data-layout', 'flow');
    el.setAttribute('data-rendered-nodes', String(graph.nodes.length));
    performance.mark?.('kafka-topology-painted');
    measure('kafka-graph-first-frame', created);

    const setView = (next: View) => {
      view = next;
      fitted = false;
      redraw();
    };
    const fit = () => {
      view = fitView(graph, width, heightPx, FIT_PADDING);
      fitted = true;
      redraw();
    };
    const point = (e: { clientX: number; clientY: number }) => {
      const r = canvas.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const p = point(e);
      // Pixels; Firefox may give lines or pages.
      const unit = [1, 16, heightPx][e.deltaMode] ?? 1;
      setView(zoomAt(view, Math.exp(-e.deltaY * unit * 0.002), p.x, p.y));
    };
    let drag: { x: number; y: number; view: View; moved: boolean } | undefined;
    const onDown = (e: PointerEvent) => {
      if (e.button !== 0) return;
      const p = point(e);
      drag = { ...p, view, moved: false };
      canvas.setPointerCapture?.(e.pointerId);
    };
    const onMove = (e: PointerEvent) => {
      const p = point(e);
      // A drag whose release was lost (a context menu took it) ends here.
      if (drag && !(e.buttons & 1)) drag = undefined;
      if (!drag) {
        canvas.style.cursor =
          nodeAt(graph, view, p.x, p.y) === undefined ? 'grab' : 'pointer';
        return;
      }
      const dx = p.x - drag.x;
      const dy = p.y - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < CLICK_TOLERANCE) return;
      drag.moved = true;
      setView({ ...drag.view, x: drag.view.x + dx, y: drag.view.y + dy });
    };
    const onUp = (e: PointerEvent) => {
      if (!drag) return;
      const wasDrag = drag.moved;
      drag = undefined;
      if (wasDrag) return;
      const p = point(e);
      const hit = nodeAt(graph, view, p.x, p.y);
      selection = hit === undefined ? undefined : neighbourhood(graph, hit);
      fitted = false;
      redraw();
      select.current(hit === undefined ? undefined : graph.nodes[hit].data);
    };
    const onCancel = () => {
      drag = undefined;
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    canvas.addEventListener('pointerdown', onDown);
    canvas.addEventListener('pointermove', onMove);
    canvas.addEventListener('pointerup', onUp);
    canvas.addEventListener('pointercancel', onCancel);
    // Drawn at once on a new size: a frame later, the old bitmap would
    // show stretched meanwhile.
    const resize = new ResizeObserver(() => {
      if (el.clientWidth === width && el.clientHeight === heightPx) return;
      width = el.clientWidth;
      heightPx = el.clientHeight;
      if (fitted) view = fitView(graph, width, heightPx, FIT_PADDING);
      drawNow();
    });
    resize.observe(el);
    // A new pixel ratio (the window moved to another screen) redraws too.
    let ratioQuery: MediaQueryList | undefined;
    const watchRatio = () => {
      ratioQuery?.removeEventListener('change', onRatio);
      ratioQuery = window.matchMedia?.(
        `(resolution: ${window.devicePixelRatio || 1}dppx)`,
      );
      ratioQuery?.addEventListener('change', onRatio);
    };
    function onRatio() {
      watchRatio();
      drawNow();
    }
    watchRatio();

    Object.defineProperty(el, 'kafkaGraph', {
      configurable: true,
      value: {
        view: () => ({ ...view }),
        /** Where a node's centre is, in the container's pixels. */
        position: (id: string) => {
          const i = graph.index.get(id);
          return i === undefined ? undefined : toScreen(view, graph.nodes[i]);
        },
        /** The ids of the nodes drawn in full (all when none is selected). */
        active: () =>
          graph.nodes
            .filter((_, i) => !selection || selection.nodes.has(i))
            .map(n => n.id),
        /** The view that shows the whole graph. */
        fitView: () => fitView(graph, width, heightPx, FIT_PADDING),
        /** Every node's id. */
        ids: () => graph.nodes.map(n => n.id),
      },
    });
    ready.current?.({
      fit,
      zoom: factor => setView(zoomAt(view, factor, width / 2, heightPx / 2)),
    });
    return () => {
      cancelAnimationFrame(frame);
      resize.disconnect();
      canvas.removeEventListener('wheel', onWheel);
      canvas.removeEventListener('pointerdown', onDown);
      canvas.removeEventListener('pointermove', onMove);
      canvas.removeEventListener('pointerup', onUp);
      canvas.removeEventListener('pointercancel', onCancel);
      ratioQuery?.removeEventListener('change', onRatio);
      delete (el as { kafkaGraph?: unknown }).kafkaGraph;
    };
  }, [topology, select, ready]);

  return (
    <div
      ref={container}
      data-testid="kafka-graph"
      data-renderer="canvas"
      style={{ width: '100%', height, background: '#fafafa' }}
    >
      <canvas
        ref={canvasRef}
        role="img"
        aria-label={`Kafka topology: ${topology.elements.nodes.length} nodes and ${topology.elements.edges.length} connections, drawn as a large graph`}
        // Touch drags pan the graph, not the page.
        style={{
          display: 'block',
          width: '100%',
          height: '100%',
          touchAction: 'none',
        }}
      />
    </div>
  );
};
