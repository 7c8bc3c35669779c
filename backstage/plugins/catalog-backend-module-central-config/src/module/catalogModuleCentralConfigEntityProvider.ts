import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { CentralConfigEntityProvider } from '../providers/CentralConfigEntityProvider';

/**
 * Registers the central-config entity provider with the catalog when
 * `catalog.providers.centralConfig` is configured.
 *
 * @public
 */
export const catalogModuleCentralConfigEntityProvider = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'central-config',
  register(env) {
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        database: coreServices.database,
        events: eventsServiceRef,
      },
      async init({ catalog, config, logger, scheduler, database, events }) {
        const provider = await CentralConfigEntityProvider.fromConfig(config, {
          logger,
          scheduler,
          database,
          events,
        });
        if (!provider) {
          logger.info(
            'catalog.providers.centralConfig is not configured: the central-config entity provider is off',
          );
          return;
        }
        catalog.addEntityProvider(provider);
      },
    });
  },
});
