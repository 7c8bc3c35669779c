import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The sync status page. */
export const rootRouteRef = createRouteRef();
