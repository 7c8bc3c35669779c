import type { StylesheetJson } from 'cytoscape';

/** The colour of each node type and application kind, also for the legend. */
export const COLORS = {
  cluster: '#eceff1',
  clusterBorder: '#90a4ae',
  topic: '#ffb74d',
  service: '#42a5f5',
  stream: '#ab47bc',
  connector: '#26a69a',
  user: '#78909c',
  ksql: '#8d6e63',
  produces: '#1e88e5',
  consumes: '#43a047',
  drift: '#e53935',
  undeclared: '#fb8c00',
};

/**
 * The size nodes are drawn at, by type, by Cytoscape's style and by the
 * large graph's canvas (header: a cluster there, a box above its block).
 */
export const NODE_SIZE = {
  topic: { w: 28, h: 16 },
  application: { w: 22, h: 22 },
  header: { w: 240, h: 28 },
};

/** Node styles by type, edges by direction, drift highlighted. */
export const stylesheet: StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'font-size': 11,
      'min-zoomed-font-size': 7,
      'text-valign': 'bottom',
      'text-margin-y': 3,
      color: '#263238',
    },
  },
  {
    selector: 'node[type = "cluster"]',
    style: {
      shape: 'round-rectangle',
      'background-color': COLORS.cluster,
      'border-color': COLORS.clusterBorder,
      'border-width': 1,
      'text-valign': 'top',
      'text-halign': 'center',
      'font-size': 14,
      'font-weight': 'bold',
      padding: '24px',
    },
  },
  {
    selector: 'node[type = "cluster"][live = "unreachable"]',
    style: {
      'border-color': COLORS.drift,
      'border-style': 'dashed',
      'border-width': 2,
    },
  },
  {
    selector: 'node[type = "topic"]',
    style: {
      shape: 'round-rectangle',
      width: NODE_SIZE.topic.w,
      height: NODE_SIZE.topic.h,
      'background-color': COLORS.topic,
    },
  },
  {
    selector: 'node[type = "topic"][!declared]',
    style: {
      'background-opacity': 0.4,
      'border-width': 1,
      'border-style': 'dashed',
      'border-color': '#757575',
    },
  },
  {
    selector: 'node[type = "application"]',
    style: {
      shape: 'ellipse',
      width: NODE_SIZE.application.w,
      height: NODE_SIZE.application.h,
      'background-color': COLORS.service,
    },
  },
  ...(['stream', 'connector', 'user', 'ksql'] as const).map(kind => ({
    selector: `node[type = "application"][kind = "${kind}"]`,
    style: { 'background-color': COLORS[kind] },
  })),
  {
    // A client that is a service of the config repository, whatever its
    // dialect calls it (a Strimzi KafkaUser is kind "user").
    selector: 'node[type = "application"][entityRef]',
    style: { 'background-color': COLORS.service },
  },
  {
    selector: 'node[drift]',
    style: { 'border-width': 3, 'border-color': COLORS.drift },
  },
  {
    selector: 'node[drift = "missing"]',
    style: { 'border-style': 'dashed' },
  },
  {
    selector: 'node[drift = "undeclared"]',
    style: { 'border-color': COLORS.undeclared, 'border-style': 'dashed' },
  },
  {
    selector: 'edge',
    style: {
      width: 1.5,
      'curve-style': 'bezier',
      'target-arrow-shape': 'triangle',
      'arrow-scale': 0.8,
    },
  },
  {
    selector: 'edge[kind = "produces"]',
    style: {
      'line-color': COLORS.produces,
      'target-arrow-color': COLORS.produces,
    },
  },
  {
    selector: 'edge[kind = "consumes"]',
    style: {
      'line-color': COLORS.consumes,
      'target-arrow-color': COLORS.consumes,
      'line-style': 'dashed',
    },
  },
  {
    selector: ':selected',
    style: {
      'border-width': 3,
      'border-color': '#212121',
      'overlay-opacity': 0,
    },
  },
  { selector: '.faded', style: { opacity: 0.15 } },
];
