import { useApi } from '@backstage/frontend-plugin-api';
import { useRef } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { KafkaTopology, kafkaTopologyApiRef, TopologyQuery } from '../api';

/**
 * The topology for query, fetched again when it changes; the previous one
 * stays while the next loads, and when it fails (beside the error, which
 * the page shows above it). skip: do not fetch (the page's overview).
 */
export function useTopology(query: TopologyQuery, skip = false) {
  const api = useApi(kafkaTopologyApiRef);
  const key = JSON.stringify(query);
  const state = useAsyncRetry(
    async () => (skip ? undefined : api.getKafkaTopology(JSON.parse(key))),
    [api, key, skip],
  );
  // useAsyncRetry forgets its value when a read fails; the graph stays.
  const shown = useRef<KafkaTopology>();
  if (skip) shown.current = undefined;
  else if (state.value) shown.current = state.value;
  return { ...state, value: shown.current };
}

/** Every Kafka cluster the engine knows, with its counts. */
export function useKafkaClusters() {
  const api = useApi(kafkaTopologyApiRef);
  return useAsyncRetry(() => api.getKafkaClusters(), [api]);
}
