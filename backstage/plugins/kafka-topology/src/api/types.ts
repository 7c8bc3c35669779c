// The engine's Kafka API as internal/httpapi/openapi.yaml describes it
// (GET /central-config/kafka/topology and /kafka/clusters). Unknown values
// are left out by the engine.

/** @public */
export type Drift = 'missing' | 'undeclared' | 'mismatch';

/** @public */
export interface ClusterNodeData {
  id: string;
  type: 'cluster';
  label: string;
  declared: boolean;
  environment?: string;
  brokers?: number;
  bootstrap?: string;
  version?: string;
  description?: string;
  /** With live discovery: whether the cluster answered. */
  live?: 'ok' | 'unreachable';
  liveError?: string;
}

/** @public */
export interface TopicNodeData {
  id: string;
  type: 'topic';
  label: string;
  parent?: string;
  entityRef?: string;
  declared: boolean;
  cluster?: string;
  partitions?: number;
  replicas?: number;
  config?: Record<string, string>;
  owner?: string;
  description?: string;
  /** With live discovery: how the cluster differs from the declaration. */
  drift?: Drift;
  driftDetail?: string;
}

/** @public */
export interface ApplicationNodeData {
  id: string;
  type: 'application';
  label: string;
  parent?: string;
  entityRef?: string;
  kind: 'service' | 'user' | 'stream' | 'connector' | 'ksql';
  owner?: string;
  service?: string;
  system?: string;
  principal?: string;
  description?: string;
  consumerGroups?: string[];
}

/** @public */
export type NodeData = ClusterNodeData | TopicNodeData | ApplicationNodeData;

/** @public */
export interface EdgeData {
  id: string;
  source: string;
  target: string;
  kind: 'produces' | 'consumes';
  pattern: string;
  patternType: 'literal' | 'prefixed';
}

/** @public */
export interface KafkaTopology {
  elements: { nodes: { data: NodeData }[]; edges: { data: EdgeData }[] };
  counts: {
    clusters: number;
    topics: number;
    applications: number;
    edges: number;
  };
}

/** @public */
export interface KafkaClusterSummary {
  name: string;
  declared: boolean;
  environment?: string;
  brokers?: number;
  bootstrap?: string;
  version?: string;
  /** Topics on the cluster, also those referenced but not declared. */
  topics: number;
  producers: number;
  consumers: number;
  applications: number;
}

/** The filters of GET /kafka/topology; all optional. */
export interface TopologyQuery {
  cluster?: string;
  owner?: string;
  system?: string;
  search?: string;
  /** A node id to centre on. */
  focus?: string;
  depth?: number;
}
