import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { EmptyState, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { kafkaTopologyApiRef } from '../api';
import { TopologyView } from './TopologyView';
import { useTopology } from './useTopology';
import { EngineErrorPanel } from './EngineErrorPanel';

const TOPIC = 'central-config.io/kafka-topic';
const CLUSTER = 'central-config.io/kafka-cluster';

/** True for the entities the tab is on: topic Resources and Components. */
export function hasKafkaContent(entity: Entity): boolean {
  if (entity.kind.toLowerCase() === 'resource') {
    return Boolean(entity.metadata.annotations?.[TOPIC]);
  }
  return entity.kind.toLowerCase() === 'component';
}

/** The topology node of a topic Resource, from its annotations. */
function topicNode(entity: Entity): string | undefined {
  const topic = entity.metadata.annotations?.[TOPIC];
  if (!topic) return undefined;
  const cluster = entity.metadata.annotations?.[CLUSTER];
  return cluster ? `topic:${cluster}/${topic}` : `topic:${topic}`;
}

/**
 * The node of an entity: a topic Resource's from its annotations, a
 * Component's by finding the application whose entityRef it is (searched
 * by name, so only a few nodes are read).
 */
function useEntityNode(entity: Entity) {
  const api = useApi(kafkaTopologyApiRef);
  return useAsyncRetry(async () => {
    const direct = topicNode(entity);
    if (direct) return direct;
    const ref = stringifyEntityRef(entity);
    const found = await api.getKafkaTopology({ search: entity.metadata.name });
    return found.elements.nodes.find(
      n => n.data.type === 'application' && n.data.entityRef === ref,
    )?.data.id;
  }, [api, entity]);
}

/**
 * An entity's neighbourhood in the Kafka topology: the topics a service
 * produces to and consumes, or a topic's producers and consumers.
 */
export const EntityKafkaContent = () => {
  const { entity } = useEntity();
  const node = useEntityNode(entity);
  const [depth, setDepth] = useState(1);
  const [focus, setFocus] = useState<string>();
  const centre = focus ?? node.value;
  const topology = useTopology({ focus: centre, depth }, !centre);

  if (node.loading) return <Progress />;
  if (node.error) {
    return <EngineErrorPanel error={node.error} onRetry={node.retry} />;
  }
  if (!centre) {
    return (
      <EmptyState
        missing="data"
        title="Not in the Kafka topology"
        description={`No Kafka client or topic of the config repository is ${entity.metadata.name}.`}
      />
    );
  }
  return (
    <Box>
      {topology.error && (
        <Box mb={2}>
          <EngineErrorPanel error={topology.error} onRetry={topology.retry} />
        </Box>
      )}
      <TextField
        select
        label="Steps away"
        value={depth}
        onChange={e => setDepth(Number(e.target.value))}
        style={{ marginBottom: 16, minWidth: 140 }}
      >
        {[1, 2, 3].map(d => (
          <MenuItem key={d} value={d}>
            {d}
          </MenuItem>
        ))}
      </TextField>
      <TopologyView
        topology={topology.value}
        loading={topology.loading}
        layout="flow"
        onFocus={setFocus}
        height="60vh"
      />
    </Box>
  );
};
