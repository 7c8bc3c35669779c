// The engine's status API as its OpenAPI file (internal/httpapi/openapi.yaml
// in the repository root) describes it. Times are ISO 8601 strings; absent
// values are null.

/**
 * A source's state: a run is in progress (syncing), no run finished yet
 * (never), the last run failed (failed), files have errors and keep their
 * last good entities (degraded), or everything is published (synced).
 *
 * @public
 */
export type SourceState =
  | 'never'
  | 'syncing'
  | 'failed'
  | 'degraded'
  | 'synced';

/** @public */
export type RunOutcome =
  | 'succeeded'
  | 'degraded'
  | 'failed'
  | 'unchanged'
  | 'running'
  | 'abandoned';

/** @public */
export type RunTrigger = 'schedule' | 'webhook' | 'manual' | 'startup';

/**
 * A problem in one file of the config repository.
 *
 * @public
 */
export interface FileError {
  file: string;
  line?: number;
  column?: number;
  /** info: nothing to fix (e.g. a placeholder of a URL left for Backstage). */
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  /** The file in the repository's web view, at the revision that has it. */
  url: string | null;
}

/**
 * What a run did. entities and locations are what the source publishes
 * after the run, Location entities apart from the others; added, changed,
 * removed and unchanged count both.
 *
 * @public
 */
export interface RunCounts {
  files: number;
  /** Published entities, Locations not included. */
  entities: number;
  /** Published Location entities (absolute targets the catalog reads). */
  locations: number;
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
}

/**
 * One sync run of a source.
 *
 * @public
 */
export interface SyncRun {
  id: number;
  source: string;
  trigger: RunTrigger;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
  outcome: RunOutcome;
  revision: string | null;
  /** The commit in the repository's web view, when the source has one. */
  revisionUrl: string | null;
  previousRevision: string | null;
  counts: RunCounts;
  errors: FileError[];
  errorCount: number;
  warningCount: number;
  /** Why the run failed, in words. */
  reason: string | null;
  /** The generation this run published, or 0. */
  generation: number;
  /** Further identical unchanged runs collapsed into this one. */
  repeats: number;
}

/**
 * One configured source of the engine.
 *
 * @public
 */
export interface SourceStatus {
  id: string;
  state: SourceState;
  /** The revision published. */
  revision: string | null;
  revisionUrl: string | null;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastSuccessRevision: string | null;
  nextDueAt: string | null;
  consecutiveFailures: number;
  /** Published entities, Locations not included. */
  entityCount: number;
  /** Published Location entities, counted apart from entityCount. */
  locationCount: number;
  intervalSeconds: number;
  /** The run in progress or requested, if any. */
  runningRunId: number | null;
  /** The last finished run. */
  lastRun: SyncRun | null;
  errorCount: number;
  warningCount: number;
  /** Files whose newest version has errors. */
  failedFiles: number;
  /** The source's current file problems. */
  fileErrors: FileError[];
}

/**
 * What a Backstage catalog reported it applied.
 *
 * @public
 */
export interface CatalogAck {
  consumer: string;
  generation: number;
  ackedAt: string | null;
  /** The consumer acknowledged a generation older than the engine's. */
  lagging: boolean;
}

/**
 * GET /central-config/last-sync.
 *
 * @public
 */
export interface LastSync {
  /** The engine's current generation. */
  generation: number;
  sources: SourceStatus[];
  catalog: { acks: CatalogAck[] };
}

/**
 * GET /central-config/syncs: one page of runs, newest first.
 *
 * @public
 */
export interface SyncRunList {
  runs: SyncRun[];
  /** The URL of the next page, or null on the last. */
  next: string | null;
}

/**
 * POST /central-config/sync: the runs that will do the work.
 *
 * @public
 */
export interface TriggeredRuns {
  runs: { source: string; runId: number }[];
}

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
