import cytoscape, { ElementDefinition } from 'cytoscape';
import fcose from 'cytoscape-fcose';
import { useEffect, useRef } from 'react';
import useLatest from 'react-use/esm/useLatest';
import { NodeData } from '../../api';
import { flowPositions } from './flowLayout';
import { stylesheet } from './style';
import { FIT_PADDING, GraphProps, MAX_FIT_ZOOM, measure } from './types';

cytoscape.use(fcose);

const MIN_ZOOM = 0.05;

/**
 * The topology drawn with Cytoscape.js: clusters as compound nodes, topics,
 * applications, produce and consume edges, with the layout picked: every
 * graph up to LARGE_GRAPH elements (CanvasGraph draws larger ones).
 * Clicking a node selects it and fades everything but its neighbourhood.
 * At its first frame, the container gets data-rendered-nodes (the count
 * Cytoscape holds) and the page a performance mark
 * "kafka-topology-painted", for tests and benchmarks, with the measures
 * "kafka-graph-create" (the elements and Cytoscape's start-up with its
 * layout) and "kafka-graph-first-frame" (from there to the first frame).
 */
export const CytoscapeGraph = ({
  topology,
  layout,
  onSelect,
  onReady,
  height,
}: GraphProps) => {
  const container = useRef<HTMLDivElement>(null);
  const select = useLatest(onSelect);
  const ready = useLatest(onReady);

  useEffect(() => {
    if (!container.current) return undefined;
    const el = container.current;
    const start = performance.now();
    const { nodes, edges } = topology.elements;
    const positions =
      layout === 'flow'
        ? flowPositions(
            nodes.map(n => n.data),
            edges.map(e => e.data),
          )
        : undefined;
    const elements: ElementDefinition[] = [
      ...nodes.map(n => ({
        group: 'nodes' as const,
        data: { ...n.data },
        position: positions?.get(n.data.id),
      })),
      ...edges.map(e => ({ group: 'edges' as const, data: { ...e.data } })),
    ];
    const layoutOptions: cytoscape.LayoutOptions =
      layout === 'flow'
        ? { name: 'preset', fit: true, padding: FIT_PADDING }
        : ({
            name: 'fcose',
            quality: nodes.length > 300 ? 'draft' : 'default',
            animate: false,
            randomize: true,
            nodeDimensionsIncludeLabels: true,
            packComponents: true,
            fit: true,
            padding: FIT_PADDING,
          } as cytoscape.LayoutOptions);
    el.removeAttribute('data-rendered-nodes');
    const cy = cytoscape({
      container: el,
      elements,
      style: stylesheet,
      minZoom: MIN_ZOOM,
      maxZoom: 3,
      layout: layoutOptions,
    });
    // A small graph fitted to the screen would be drawn huge.
    if (cy.zoom() > MAX_FIT_ZOOM) {
      cy.zoom(MAX_FIT_ZOOM);
      cy.center();
    }
    el.setAttribute('data-layout', layout);
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
  }, [topology, layout, select, ready]);

  return (
    <div
      ref={container}
      data-testid="kafka-graph"
      data-renderer="cytoscape"
      style={{ width: '100%', height, background: '#fafafa' }}
    />
  );
};
