import { CanvasGraph } from './CanvasGraph';
import { CytoscapeGraph } from './CytoscapeGraph';
import { GraphProps, isLarge } from './types';

export type TopologyGraphProps = Omit<GraphProps, 'height'> & {
  height?: number | string;
};

/**
 * The topology drawn on a canvas: a large graph (over LARGE_GRAPH nodes
 * and edges) by CanvasGraph, every other by CytoscapeGraph. The container
 * is [data-testid="kafka-graph"]; its data-renderer says which.
 */
export const TopologyGraph = ({
  height = '70vh',
  ...props
}: TopologyGraphProps) =>
  isLarge(props.topology) ? (
    <CanvasGraph {...props} height={height} />
  ) : (
    <CytoscapeGraph {...props} height={height} />
  );
