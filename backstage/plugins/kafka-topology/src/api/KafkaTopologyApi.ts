import {
  createApiRef,
  DiscoveryApi,
  FetchApi,
} from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { KafkaClusterSummary, KafkaTopology, TopologyQuery } from './types';

/**
 * The engine's Kafka topology, read through the Backstage proxy
 * (/api/proxy/central-config).
 *
 * @public
 */
export interface KafkaTopologyApi {
  getTopology(query?: TopologyQuery): Promise<KafkaTopology>;
  getClusters(): Promise<KafkaClusterSummary[]>;
}

/** @public */
export const kafkaTopologyApiRef = createApiRef<KafkaTopologyApi>({
  id: 'plugin.kafka-topology.service',
});

/**
 * KafkaTopologyApi over HTTP.
 *
 * @public
 */
export class KafkaTopologyClient implements KafkaTopologyApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  getTopology(query: TopologyQuery = {}): Promise<KafkaTopology> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const q = params.toString();
    return this.read(`/kafka/topology${q ? `?${q}` : ''}`);
  }

  async getClusters(): Promise<KafkaClusterSummary[]> {
    const body = await this.read<{ clusters: KafkaClusterSummary[] }>(
      '/kafka/clusters',
    );
    return body.clusters;
  }

  private async read<T>(path: string): Promise<T> {
    const proxy = await this.options.discoveryApi.getBaseUrl('proxy');
    const response = await this.options.fetchApi.fetch(
      `${proxy}/central-config${path}`,
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}
