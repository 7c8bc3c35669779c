import cytoscape, { ElementDefinition } from 'cytoscape';
import fcose from 'cytoscape-fcose';
import { useEffect, useRef } from 'react';
import { NodeData } from '../../api';
import { flowPositions } from './flowLayout';
import { NODE_SIZE, stylesheet } from './style';
import { FIT_PADDING, GraphProps, isLarge, LayoutName, measure } from './types';
import { fitViewport } from './viewport';

cytoscape.use(fcose);

/** The largest zoom a fit may give. */
const MAX_FIT_ZOOM = 1.25;
const MIN_ZOOM = 0.05;

/**
 * The topology drawn with Cytoscape.js: clusters as compound nodes, topics,
 * applications, produce and consume edges. It draws every graph up to
 * LARGE_GRAPH elements, and bigger ones (flat, flow layout) only where the
 * browser has no WebGL2 for WebGLGraph. Clicking a node selects it and
 * fades everything but its neighbourhood. At its first frame, the
 * container gets data-rendered-nodes (the count Cytoscape holds) and the
 * page a performance mark "kafka-topology-painted", for tests and
 * benchmarks, with the measures "kafka-graph-create" (the elements and
 * Cytoscape's start-up with its layout) and "kafka-graph-first-frame"
 * (from there to the first frame).
 */
export const CytoscapeGraph = ({
  topology,
  layout,
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
    const { nodes, edges } = topology.elements;
    const large = isLarge(topology);
    const effective: LayoutName = large ? 'flow' : layout;
    const positions =
      effective === 'flow'
        ? flowPositions(
            nodes.map(n => n.data),
            edges.map(e => e.data),
            { headers: large },
          )
        : undefined;
    // A big graph is drawn flat: compound clusters cost Cytoscape about
    // 40% of its start-up, so clusters become headers above their blocks,
    // and edges the cheapest kind (straight, no arrows: the columns give
    // the direction). Its viewport is computed here from the positions,
    // so that Cytoscape starts without a fit (a pass over every element's
    // bounding box and the style it needs).
    const viewport =
      large && positions
        ? fitViewport(
            nodes.map(n => {
              const p = positions.get(n.data.id) ?? { x: 0, y: 0 };
              const size =
                NODE_SIZE[n.data.type === 'cluster' ? 'header' : n.data.type];
              // A drift border is 3 px wide.
              return { ...p, w: size.w + 3, h: size.h + 3 };
            }),
            el.clientWidth,
            el.clientHeight,
            {
              padding: FIT_PADDING,
              minZoom: MIN_ZOOM,
              maxZoom: MAX_FIT_ZOOM,
            },
          )
        : undefined;
    const elements: ElementDefinition[] = [
      ...nodes.map(n => {
        const data: Record<string, unknown> = { ...n.data };
        if (large) delete data.parent;
        return {
          group: 'nodes' as const,
          data,
          position: positions?.get(n.data.id),
          classes: large && n.data.type === 'cluster' ? 'header' : undefined,
        };
      }),
      ...edges.map(e => ({
        group: 'edges' as const,
        data: { ...e.data },
        classes: large ? 'fast' : undefined,
      })),
    ];
    let layoutOptions: cytoscape.LayoutOptions;
    if (viewport) {
      // The nodes have their positions already: set none again (each set
      // costs an event and a bounding box update).
      layoutOptions = {
        name: 'preset',
        fit: false,
        positions: (() => undefined) as unknown as () => cytoscape.Position,
      };
    } else if (effective === 'flow') {
      layoutOptions = { name: 'preset', fit: true, padding: FIT_PADDING };
    } else {
      layoutOptions = {
        name: 'fcose',
        quality: nodes.length > 300 ? 'draft' : 'default',
        animate: false,
        randomize: true,
        nodeDimensionsIncludeLabels: true,
        packComponents: true,
        fit: true,
        padding: FIT_PADDING,
      } as cytoscape.LayoutOptions;
    }
    el.removeAttribute('data-rendered-nodes');
    const cy = cytoscape({
      container: el,
      elements,
      style: stylesheet,
      minZoom: MIN_ZOOM,
      maxZoom: 3,
      zoom: viewport?.zoom,
      pan: viewport?.pan,
      // Big graphs: draw a bitmap while panning and zooming.
      textureOnViewport: large,
      hideEdgesOnViewport: large,
      pixelRatio: large ? 1 : 'auto',
      layout: layoutOptions,
    });
    // A small graph fitted to the screen would be drawn huge.
    if (!viewport && cy.zoom() > MAX_FIT_ZOOM) {
      cy.zoom(MAX_FIT_ZOOM);
      cy.center();
    }
    el.setAttribute('data-layout', effective);
    const created = measure('kafka-graph-create', start);
    // The first frame Cytoscape draws: what a user sees first.
    cy.one('render', () => {
      el.setAttribute('data-rendered-nodes', String(cy.nodes().length));
      performance.mark?.('kafka-topology-painted');
      measure('kafka-graph-first-frame', created);
    });

    cy.on('tap', event => {
      cy.elements().removeClass('faded');
      if (event.target === cy || !event.target.isNode?.()) {
        select.current(undefined);
        return;
      }
      const node = event.target;
      const keep = node.closedNeighborhood().union(node.ancestors());
      cy.elements().not(keep).not(keep.ancestors()).addClass('faded');
      select.current(node.data() as NodeData);
    });
    ready.current?.({
      fit: () => cy.fit(undefined, FIT_PADDING),
      zoom: factor =>
        cy.zoom({
          level: cy.zoom() * factor,
          renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 },
        }),
    });
    return () => cy.destroy();
  }, [topology, layout]);

  return (
    <div
      ref={container}
      data-testid="kafka-graph"
      data-renderer="cytoscape"
      style={{ width: '100%', height, background: '#fafafa' }}
    />
  );
};
