import { ResponseError } from '@backstage/errors';
import { KafkaClusterSummary, KafkaTopology, TopologyQuery } from './kafka';
import { LastSync, SyncRun, SyncRunList, TriggeredRuns } from './types';

/**
 * The engine did not answer: Backstage could not be reached, its proxy
 * could not reach the engine (502, 504), or no engine is configured (503).
 * The pages say what to do instead of showing a stack of HTTP details.
 *
 * @public
 */
export class EngineUnreachableError extends Error {
  name = 'EngineUnreachableError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/**
 * What the client needs from its host: a `fetch` (in the browser Backstage's
 * fetchApi, which adds the user's token) and the base URL of a Backstage
 * plugin (Backstage's discoveryApi).
 *
 * @public
 */
export type CentralConfigEngineClientOptions = {
  fetchApi: {
    fetch(input: string, init?: RequestInit): Promise<Response>;
  };
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  /**
   * The path of the engine's entry under Backstage's proxy; default
   * `/central-config` (proxy.endpoints./central-config).
   */
  proxyPath?: string;
};

/**
 * What to check when the engine cannot be reached, for the pages'
 * messages.
 *
 * @public
 */
export const ENGINE_UNREACHABLE_ADVICE =
  "Check that the engine runs (central-config serve; make run starts one) and that Backstage's proxy target (proxy.endpoints./central-config, CENTRAL_CONFIG_URL) points at it.";

const UNREACHABLE = new Set([502, 503, 504]);

/**
 * The central-config engine as Backstage's frontend reads it: the status,
 * the run history and the Kafka topology through the Backstage proxy
 * (/api/proxy/central-config, which adds the engine token on the server),
 * and Sync now through the central-config backend plugin
 * (/api/central-config/sync, which checks the permission).
 *
 * @public
 */
export class CentralConfigEngineClient {
  private readonly proxyPath: string;

  constructor(private readonly options: CentralConfigEngineClientOptions) {
    this.proxyPath = options.proxyPath ?? '/central-config';
  }

  /** Every source's status and what the catalogs applied. */
  getLastSync(): Promise<LastSync> {
    return this.read('/last-sync');
  }

  /** One page of run history, newest first. */
  getRuns(options: {
    source?: string;
    before?: number;
    limit?: number;
  }): Promise<SyncRunList> {
    return this.read('/syncs', options);
  }

  /** One run, to follow a run started with syncNow. */
  getRun(id: number): Promise<SyncRun> {
    return this.read(`/syncs/${encodeURIComponent(String(id))}`);
  }

  /** Starts a run of one source now, or of every source without one. */
  async syncNow(source?: string): Promise<TriggeredRuns> {
    const base = await this.options.discoveryApi.getBaseUrl('central-config');
    return this.send(`${base}/sync`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(source === undefined ? {} : { source }),
    });
  }

  /** The Kafka topology, filtered by `query`. */
  getKafkaTopology(query: TopologyQuery = {}): Promise<KafkaTopology> {
    return this.read('/kafka/topology', query);
  }

  /** Every Kafka cluster, declared or referenced, with its counts. */
  async getKafkaClusters(): Promise<KafkaClusterSummary[]> {
    const body = await this.read<{ clusters: KafkaClusterSummary[] }>(
      '/kafka/clusters',
    );
    return body.clusters;
  }

  private async read<T>(
    path: string,
    query: Record<string, string | number | undefined> = {},
  ): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const q = params.toString();
    const proxy = await this.options.discoveryApi.getBaseUrl('proxy');
    return this.send(`${proxy}${this.proxyPath}${path}${q ? `?${q}` : ''}`, {});
  }

  private async send<T>(url: string, init: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await this.options.fetchApi.fetch(url, init);
    } catch (error) {
      throw new EngineUnreachableError(
        `Backstage cannot be reached: ${(error as Error).message}`,
      );
    }
    if (UNREACHABLE.has(response.status)) {
      const detail = await response.text().catch(() => '');
      throw new EngineUnreachableError(
        `The central-config engine does not answer (HTTP ${response.status})${
          detail ? `: ${summarize(detail)}` : ''
        }`,
        response.status,
      );
    }
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}

// The message of a Backstage or engine error body, else the text itself.
function summarize(body: string): string {
  try {
    const parsed = JSON.parse(body);
    return parsed?.error?.message ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}
