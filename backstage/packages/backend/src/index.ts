/*
 * The central-config Backstage backend: the catalog fed by the central-config
 * engine, and only the plugins the portal uses. See docs/backstage.md.
 */

import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

// Serves the frontend bundle (packages/app) from the backend.
backend.add(import('@backstage/plugin-app-backend'));

// /api/proxy: the frontend reaches the engine through it; the engine token is
// added server side (proxy.endpoints in app-config.yaml).
backend.add(import('@backstage/plugin-proxy-backend'));

// Sign-in: the guest provider only.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

// The catalog, with the central-config entity provider, and catalog
// processing errors written to the log.
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import(
    '@central-config/backstage-plugin-catalog-backend-module-central-config'
  ),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));
// Template entities (scaffolder.backstage.io/v1beta3), which a config
// repository may hold: without it the catalog refuses them.
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);

// Events: the HTTP ingress (/api/events/http/<topic>, topics in
// events.http.topics) through which the engine announces new generations.
backend.add(import('@backstage/plugin-events-backend'));

// Sync now: POST /api/central-config/sync starts engine runs for users the
// central-config.sync.run permission allows.
backend.add(import('@central-config/backstage-plugin-central-config-backend'));

// Permissions, with a policy that allows everything (see docs/backstage.md).
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import('@backstage/plugin-permission-backend-module-allow-all-policy'),
);

backend.start();
