import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The Kafka topology page. */
export const rootRouteRef = createRouteRef();
