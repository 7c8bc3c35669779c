export { TopologyGraph, LARGE_GRAPH } from './TopologyGraph';
export type { LayoutName } from './TopologyGraph';
export { COLORS } from './style';
