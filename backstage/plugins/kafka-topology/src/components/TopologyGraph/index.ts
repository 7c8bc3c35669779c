export { TopologyGraph } from './TopologyGraph';
export { isLarge, LARGE_GRAPH } from './types';
export type { GraphControls, LayoutName } from './types';
export { COLORS } from './style';
