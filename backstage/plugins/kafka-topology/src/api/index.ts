export * from './KafkaTopologyApi';
export {
  CentralConfigEngineClient,
  EngineUnreachableError,
  type ApplicationNodeData,
  type ClusterNodeData,
  type Drift,
  type EdgeData,
  type KafkaClusterSummary,
  type KafkaTopology,
  type NodeData,
  type TopicNodeData,
  type TopologyQuery,
} from '@central-config/backstage-plugin-central-config-common';
