import { useApi } from '@backstage/frontend-plugin-api';
import { useEffect, useState } from 'react';
import { KafkaTopology, kafkaTopologyApiRef, TopologyQuery } from '../api';

/**
 * The topology for query, fetched again when it changes; the previous one
 * stays while the next loads. skip: do not fetch (the page's overview).
 */
export function useTopology(query: TopologyQuery, skip = false) {
  const api = useApi(kafkaTopologyApiRef);
  const [state, setState] = useState<{
    value?: KafkaTopology;
    error?: Error;
    loading: boolean;
  }>({ loading: !skip });
  const key = JSON.stringify(query);

  useEffect(() => {
    if (skip) {
      setState({ loading: false });
      return undefined;
    }
    let current = true;
    setState(prev => ({ ...prev, loading: true }));
    api
      .getKafkaTopology(JSON.parse(key))
      .then(value => current && setState({ value, loading: false }))
      .catch(
        error =>
          current && setState(prev => ({ ...prev, error, loading: false })),
      );
    return () => {
      current = false;
    };
  }, [api, key, skip]);
  return state;
}
