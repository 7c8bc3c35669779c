import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  CatalogFilterBlueprint,
  EntityCardBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import SyncIcon from '@material-ui/icons/Sync';
import { z } from 'zod/v4';
import { CentralConfigEngineClient } from '@central-config/backstage-plugin-central-config-common';
import { centralConfigApiRef } from './api';
import { isCentralConfigEntity } from './components/EntitySyncCard';
import { DEFAULT_STALE_AFTER_INTERVALS } from './components/SyncStatusCard';
import { rootRouteRef } from './routes';

/** The engine client: reads through the proxy, syncs through our backend. */
export const centralConfigApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: centralConfigApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new CentralConfigEngineClient(deps),
    }),
});

/** The sync status page, at /central-config, in the sidebar. */
export const syncStatusPage = PageBlueprint.make({
  params: {
    path: '/central-config',
    title: 'Sync status',
    icon: <SyncIcon />,
    routeRef: rootRouteRef,
    loader: () =>
      import('./components/SyncStatusPage').then(m => <m.SyncStatusPage />),
  },
});

/** Where an entity came from, on entities the engine published. */
export const entitySyncCard = EntityCardBlueprint.make({
  name: 'sync',
  params: {
    type: 'info',
    filter: isCentralConfigEntity,
    loader: () =>
      import('./components/EntitySyncCard').then(m => <m.EntitySyncCard />),
  },
});

/**
 * The sources' state on the catalog index, above its filters. Config:
 * staleAfterIntervals (default 3).
 */
export const catalogSyncStatusCard = CatalogFilterBlueprint.makeWithOverrides({
  name: 'sync-status',
  configSchema: {
    staleAfterIntervals: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_STALE_AFTER_INTERVALS),
  },
  factory(originalFactory, { config }) {
    return originalFactory({
      loader: () =>
        import('./components/SyncStatusCard').then(m => (
          <m.SyncStatusCard staleAfterIntervals={config.staleAfterIntervals} />
        )),
    });
  },
});

/**
 * The central-config frontend plugin: the sync status page, the catalog
 * card and the entity card.
 *
 * @public
 */
export default createFrontendPlugin({
  pluginId: 'central-config',
  routes: { root: rootRouteRef },
  extensions: [
    centralConfigApi,
    syncStatusPage,
    entitySyncCard,
    catalogSyncStatusCard,
  ],
});
