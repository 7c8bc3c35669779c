import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { CentralConfigEntityProvider } from '../providers/CentralConfigEntityProvider';

/**
 * Registers a central-config entity provider with the catalog for each
 * engine `catalog.providers.centralConfig` configures (one engine, or a map
 * of named instances).
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
        const providers = await CentralConfigEntityProvider.fromConfig(config, {
          logger,
          scheduler,
          database,
          events,
        });
        if (providers.length === 0) {
          logger.info(
            'catalog.providers.centralConfig is not configured: the central-config entity provider is off',
          );
          return;
        }
        catalog.addEntityProvider(providers);
      },
    });
  },
});
