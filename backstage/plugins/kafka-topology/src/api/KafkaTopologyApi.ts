import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  KafkaClusterSummary,
  KafkaTopology,
  TopologyQuery,
} from '@central-config/backstage-plugin-central-config-common';

/**
 * The engine's Kafka topology, read through the Backstage proxy
 * (/api/proxy/central-config). CentralConfigEngineClient of
 * @central-config/backstage-plugin-central-config-common implements it.
 *
 * @public
 */
export interface KafkaTopologyApi {
  getKafkaTopology(query?: TopologyQuery): Promise<KafkaTopology>;
  getKafkaClusters(): Promise<KafkaClusterSummary[]>;
}

/** @public */
export const kafkaTopologyApiRef = createApiRef<KafkaTopologyApi>({
  id: 'plugin.kafka-topology.service',
});
