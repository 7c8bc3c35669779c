import { useApi } from '@backstage/frontend-plugin-api';
import { LastSync } from '@central-config/backstage-plugin-central-config-common';
import { centralConfigApiRef } from '../api';
import { PolledState, usePolling } from './usePolling';

/** How often the status is read while shown; faster while a run is on. */
export const POLL_MS = 10_000;
export const POLL_RUNNING_MS = 1_000;

/** After a failed read, at the slow pace: a failing engine is not hurried. */
function nextRead(status: LastSync | undefined): number {
  return status?.sources.some(s => s.runningRunId !== null)
    ? POLL_RUNNING_MS
    : POLL_MS;
}

/**
 * The engine's status, read now and again every POLL_MS while the
 * component is mounted (every POLL_RUNNING_MS while a source syncs).
 */
export function useLastSync(): PolledState<LastSync> {
  const api = useApi(centralConfigApiRef);
  return usePolling(() => api.getLastSync(), nextRead, [api]);
}
