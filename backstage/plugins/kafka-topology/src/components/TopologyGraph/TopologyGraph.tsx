import { CytoscapeGraph } from './CytoscapeGraph';
import { GraphProps, isLarge } from './types';
import { hasWebGL2, WebGLGraph } from './WebGLGraph';

export type TopologyGraphProps = Omit<GraphProps, 'height'> & {
  height?: number | string;
};

/**
 * The topology drawn on a canvas: a large graph (over LARGE_GRAPH nodes
 * and edges) by WebGLGraph where the browser has WebGL2, every other by
 * CytoscapeGraph. The container is [data-testid="kafka-graph"], its
 * data-renderer says which.
 */
export const TopologyGraph = ({
  height = '70vh',
  ...props
}: TopologyGraphProps) =>
  isLarge(props.topology) && hasWebGL2() ? (
    <WebGLGraph {...props} height={height} />
  ) : (
    <CytoscapeGraph {...props} height={height} />
  );
