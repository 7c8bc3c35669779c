import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { readCentralConfigEntityProviderConfig } from '@central-config/backstage-plugin-central-config-node';
import { centralConfigPermissions } from '@central-config/backstage-plugin-central-config-common';
import { createRouter } from './service/router';

/**
 * Registers the central-config.sync.run permission and the route that
 * starts sync runs. It talks to the engine that
 * catalog.providers.centralConfig names, with that token: one place
 * configures the engine connection.
 *
 * @public
 */
export const centralConfigPlugin = createBackendPlugin({
  pluginId: 'central-config',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auditor: coreServices.auditor,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
      },
      async init({
        config,
        logger,
        auditor,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
      }) {
        permissionsRegistry.addPermissions(centralConfigPermissions);
        const engine = readCentralConfigEntityProviderConfig(config);
        if (!engine) {
          logger.info(
            'catalog.providers.centralConfig is not configured: Sync now answers 503',
          );
        }
        httpRouter.use(
          await createRouter({
            engine: engine && { baseUrl: engine.baseUrl, token: engine.token },
            logger,
            auditor,
            httpAuth,
            permissions,
          }),
        );
      },
    });
  },
});
