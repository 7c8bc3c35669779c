import { gate } from '@internal/central-config-test-utils';
import {
  FileError,
  LastSync,
  SourceStatus,
  SyncRun,
  SyncRunList,
  TriggeredRuns,
} from '@central-config/backstage-plugin-central-config-common';
import { CentralConfigApi } from '../api';

export const REVISION = '08d188c09a32fdc734d02f8706a7741a0eedd882';
export const NEW_REVISION = '5f2a9c4e1b7d3a6f8e0c2b4d6a8f1e3c5b7d9a0f';

const minutesAgo = (m: number) =>
  new Date(Date.now() - m * 60_000).toISOString();
const minutesAhead = (m: number) =>
  new Date(Date.now() + m * 60_000).toISOString();

/** A finished run; fields as the engine serves them. */
export function run(overrides: Partial<SyncRun> = {}): SyncRun {
  return {
    id: 7,
    source: 'example',
    trigger: 'schedule',
    startedAt: minutesAgo(2),
    finishedAt: minutesAgo(2),
    durationSeconds: 0.085,
    outcome: 'succeeded',
    revision: REVISION,
    revisionUrl: `https://git.example.com/acme/config/commit/${REVISION}`,
    previousRevision: null,
    counts: {
      files: 12,
      entities: 90,
      locations: 0,
      added: 3,
      changed: 1,
      removed: 2,
      unchanged: 86,
    },
    errors: [],
    errorCount: 0,
    warningCount: 0,
    reason: null,
    reasonCode: null,
    generation: 4,
    repeats: 0,
    ...overrides,
  };
}

/** A synced source; override fields for the other states. */
export function source(overrides: Partial<SourceStatus> = {}): SourceStatus {
  return {
    id: 'example',
    state: 'synced',
    revision: REVISION,
    revisionUrl: `https://git.example.com/acme/config/commit/${REVISION}`,
    lastAttemptAt: minutesAgo(2),
    lastSuccessAt: minutesAgo(2),
    lastSuccessRevision: REVISION,
    nextDueAt: minutesAhead(3),
    consecutiveFailures: 0,
    entityCount: 90,
    locationCount: 0,
    intervalSeconds: 300,
    runningRunId: null,
    lastRun: run(),
    errorCount: 0,
    warningCount: 0,
    failedFiles: 0,
    fileErrors: [],
    ...overrides,
  };
}

/** A file error of a source; fields as the engine serves them. */
export function fileError(overrides: Partial<FileError> = {}): FileError {
  return {
    file: 'services/shipping.yaml',
    line: 3,
    column: 1,
    severity: 'error',
    code: 'yaml-syntax',
    message: 'did not find expected node content',
    url: null,
    ...overrides,
  };
}

export function lastSync(overrides: Partial<LastSync> = {}): LastSync {
  return {
    generation: 4,
    sources: [source()],
    catalog: {
      acks: [
        {
          consumer: 'backstage',
          generation: 4,
          ackedAt: minutesAgo(1),
          lagging: false,
        },
      ],
    },
    ...overrides,
  };
}

/**
 * A CentralConfigApi in memory: `status` is what getLastSync answers (or
 * throws, when an Error; `reads` counts the calls), runs answer getRuns
 * (which throws `runsError` while set), syncNow starts `next` and getRun
 * answers from `runsById`.
 */
export class FakeCentralConfigApi implements CentralConfigApi {
  status: LastSync | Error = lastSync();
  reads = 0;
  private held?: Promise<void>;

  /** Holds getLastSync's answers until the returned function is called. */
  hold(): () => void {
    const { passed, open } = gate();
    this.held = passed;
    return open;
  }
  runs: SyncRun[] = [run()];
  runsError?: Error;
  runsById = new Map<number, SyncRun>();
  syncRequests: string[] = [];
  nextRunId = 8;

  async getLastSync(): Promise<LastSync> {
    this.reads++;
    // The status when asked: a held read answers what it read then.
    const status = this.status;
    await this.held;
    if (status instanceof Error) throw status;
    return status;
  }

  /** Pages of `runs` (newest first) as the engine serves them. */
  async getRuns(options: {
    source?: string;
    before?: number;
    limit?: number;
  }): Promise<SyncRunList> {
    if (this.runsError) throw this.runsError;
    const { source: id, before, limit = this.runs.length } = options;
    const runs = this.runs.filter(
      r => (!id || r.source === id) && (before === undefined || r.id < before),
    );
    return {
      runs: runs.slice(0, limit),
      next: runs.length > limit ? String(runs[limit - 1].id) : null,
    };
  }

  async getRun(id: number): Promise<SyncRun> {
    const found = this.runsById.get(id);
    if (!found) throw new Error(`no run ${id}`);
    return found;
  }

  async syncNow(sourceId: string): Promise<TriggeredRuns> {
    this.syncRequests.push(sourceId);
    return { runs: [{ source: sourceId, runId: this.nextRunId }] };
  }
}
