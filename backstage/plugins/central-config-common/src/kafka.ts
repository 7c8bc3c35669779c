// The engine's Kafka API (GET /central-config/kafka/topology and
// /kafka/clusters), as internal/httpapi/openapi.yaml describes it: names for
// the generated schemas. Unknown values are left out by the engine.
import { components, operations } from './generated/openapi';

type Schemas = components['schemas'];

/**
 * GET /central-config/kafka/topology: the nodes and edges, Cytoscape.js
 * elements.
 *
 * @public
 */
export type KafkaTopology = Schemas['KafkaTopology'];

/** @public */
export type ClusterNodeData = Schemas['KafkaClusterNode'];

/** @public */
export type TopicNodeData = Schemas['KafkaTopicNode'];

/** @public */
export type ApplicationNodeData = Schemas['KafkaApplicationNode'];

/** @public */
export type NodeData = ClusterNodeData | TopicNodeData | ApplicationNodeData;

/** @public */
export type EdgeData = Schemas['KafkaEdge']['data'];

/**
 * How the cluster differs from the declaration (with live discovery).
 *
 * @public
 */
export type Drift = NonNullable<TopicNodeData['drift']>;

/**
 * One cluster of GET /central-config/kafka/clusters.
 *
 * @public
 */
export type KafkaClusterSummary = Schemas['KafkaClusterSummary'];

/**
 * The filters of GET /central-config/kafka/topology; all optional.
 *
 * @public
 */
export type TopologyQuery = NonNullable<
  operations['getKafkaTopology']['parameters']['query']
>;
