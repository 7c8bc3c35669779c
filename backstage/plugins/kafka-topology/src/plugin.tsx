import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import DeviceHubIcon from '@material-ui/icons/DeviceHub';
import { z } from 'zod/v4';
import { CentralConfigEngineClient, kafkaTopologyApiRef } from './api';
import { hasKafkaContent } from './components/EntityKafkaContent';
import { DEFAULT_INITIAL_LIMIT } from './components/KafkaTopologyPage';
import { rootRouteRef } from './routes';

/** The engine's Kafka endpoints, through the proxy. */
export const kafkaTopologyApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: kafkaTopologyApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new CentralConfigEngineClient(deps),
    }),
});

/**
 * The topology page, at /kafka, in the sidebar. Config: initialLimit, the
 * topics and applications above which it opens on a cluster overview.
 */
export const kafkaTopologyPage = PageBlueprint.makeWithOverrides({
  configSchema: {
    initialLimit: z.number().int().positive().default(DEFAULT_INITIAL_LIMIT),
  },
  factory(originalFactory, { config }) {
    return originalFactory({
      path: '/kafka',
      title: 'Kafka topology',
      icon: <DeviceHubIcon />,
      routeRef: rootRouteRef,
      loader: () =>
        import('./components/KafkaTopologyPage').then(m => (
          <m.KafkaTopologyPage initialLimit={config.initialLimit} />
        )),
    });
  },
});

/** A tab on Components and topic Resources: their neighbourhood. */
export const entityKafkaContent = EntityContentBlueprint.make({
  name: 'kafka',
  params: {
    path: 'kafka',
    title: 'Kafka',
    filter: hasKafkaContent,
    loader: () =>
      import('./components/EntityKafkaContent').then(m => (
        <m.EntityKafkaContent />
      )),
  },
});

/**
 * The Kafka topology plugin: a page and an entity tab.
 *
 * @public
 */
export default createFrontendPlugin({
  pluginId: 'kafka-topology',
  routes: { root: rootRouteRef },
  extensions: [kafkaTopologyApi, kafkaTopologyPage, entityKafkaContent],
});
