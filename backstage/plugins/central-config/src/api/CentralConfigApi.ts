import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  LastSync,
  SyncRun,
  SyncRunList,
  TriggeredRuns,
} from '@central-config/backstage-plugin-central-config-common';

/**
 * The central-config engine as the frontend sees it: reads through the
 * Backstage proxy (/api/proxy/central-config), runs started through the
 * central-config backend plugin, which checks the permission.
 *
 * @public
 */
export interface CentralConfigApi {
  /** Every source's status and what the catalogs applied. */
  getLastSync(): Promise<LastSync>;
  /** One page of run history, newest first. */
  getRuns(options: {
    source?: string;
    before?: number;
    limit?: number;
  }): Promise<SyncRunList>;
  /** One run, to follow a run started with syncNow. */
  getRun(id: number): Promise<SyncRun>;
  /** Starts a run of one source now. */
  syncNow(source: string): Promise<TriggeredRuns>;
}

/** @public */
export const centralConfigApiRef = createApiRef<CentralConfigApi>({
  id: 'plugin.central-config.service',
});
