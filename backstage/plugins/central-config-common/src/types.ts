// The engine's status API, as internal/httpapi/openapi.yaml describes it:
// names for the generated schemas (generated/openapi.ts, yarn generate).
// Times are ISO 8601 strings; absent values are null.
import { components } from './generated/openapi';

type Schemas = components['schemas'];

/**
 * GET /central-config/last-sync: every source's status and what the
 * catalogs applied.
 *
 * @public
 */
export type LastSync = Schemas['LastSync'];

/**
 * One configured source of the engine.
 *
 * @public
 */
export type SourceStatus = Schemas['SourceStatus'];

/**
 * A source's state: a run is in progress (syncing), no run finished yet
 * (never), the last run failed (failed), files have errors and keep their
 * last good entities (degraded), or everything is published (synced).
 *
 * @public
 */
export type SourceState = SourceStatus['state'];

/**
 * One sync run of a source.
 *
 * @public
 */
export type SyncRun = Schemas['Run'];

/** @public */
export type RunOutcome = SyncRun['outcome'];

/** @public */
export type RunTrigger = SyncRun['trigger'];

/**
 * What a run did: entities and locations are what the source publishes
 * after the run, Location entities apart from the others.
 *
 * @public
 */
export type RunCounts = Schemas['Counts'];

/**
 * A problem in one file of the config repository.
 *
 * @public
 */
export type FileError = Schemas['FileError'];

/**
 * What a Backstage catalog reported it applied.
 *
 * @public
 */
export type CatalogAck = Schemas['CatalogAck'];

/**
 * GET /central-config/syncs: one page of runs, newest first.
 *
 * @public
 */
export type SyncRunList = Schemas['RunList'];

/**
 * POST /central-config/sync: the runs that will do the work.
 *
 * @public
 */
export type TriggeredRuns = Schemas['TriggerResponse'];

/**
 * The annotations the engine writes on every entity it publishes.
 *
 * @public
 */
export const CENTRAL_CONFIG_ANNOTATIONS = {
  source: 'central-config.io/source',
  file: 'central-config.io/file',
  revision: 'central-config.io/revision',
} as const;
