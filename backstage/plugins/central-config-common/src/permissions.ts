import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Starting a sync run of the central-config engine ("Sync now" on the sync
 * status page). The backend plugin checks it before it forwards the request
 * to the engine; the frontend hides the button from users without it.
 *
 * @public
 */
export const centralConfigSyncPermission = createPermission({
  name: 'central-config.sync.run',
  attributes: { action: 'update' },
});

/**
 * Every permission of the central-config plugins.
 *
 * @public
 */
export const centralConfigPermissions = [centralConfigSyncPermission];
