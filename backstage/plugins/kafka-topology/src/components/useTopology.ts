import { useApi } from '@backstage/frontend-plugin-api';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { kafkaTopologyApiRef, TopologyQuery } from '../api';

/**
 * The topology for query, fetched again when it changes; the previous one
 * stays while the next loads. skip: do not fetch (the page's overview).
 */
export function useTopology(query: TopologyQuery, skip = false) {
  const api = useApi(kafkaTopologyApiRef);
  const key = JSON.stringify(query);
  return useAsyncRetry(
    async () => (skip ? undefined : api.getKafkaTopology(JSON.parse(key))),
    [api, key, skip],
  );
}

/** Every Kafka cluster the engine knows, with its counts. */
export function useKafkaClusters() {
  const api = useApi(kafkaTopologyApiRef);
  return useAsyncRetry(() => api.getKafkaClusters(), [api]);
}
