import { ResponseError } from '@backstage/errors';
import { KafkaClusterSummary, KafkaTopology, TopologyQuery } from './kafka';
import { LastSync, SyncRun, SyncRunList, TriggeredRuns } from './types';

/**
 * The engine did not answer: Backstage could not be reached, or its proxy
 * answered 502, 503 or 504 without the engine's error body (it could not
 * reach the engine, or no engine is configured). The pages say what to do
 * instead of showing a stack of HTTP details. Test for it with
 * {@link isEngineUnreachableError}, not `instanceof`: an app may hold two
 * copies of this package.
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

/**
 * Whether `error` is an {@link EngineUnreachableError}, by its name, so that
 * it holds for an error made by another copy of this package.
 *
 * @public
 */
export function isEngineUnreachableError(
  error: unknown,
): error is EngineUnreachableError {
  return (error as Error | undefined)?.name === 'EngineUnreachableError';
}

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
    if (response.ok) {
      return (await response.json()) as T;
    }
    const detail = await response.text().catch(() => '');
    const engine = engineError(detail);
    if (engine) {
      // The engine answered, even with a 503 (kafka-unavailable, not-ready,
      // too-many-connections): its code and message say what is wrong.
      const error = await ResponseError.fromResponse(
        consumed(response, {
          error: { name: engine.code, message: engine.message },
          response: { statusCode: response.status },
        }),
      );
      error.message = `The central-config engine answered HTTP ${response.status} ${engine.code}: ${engine.message}`;
      throw error;
    }
    if (UNREACHABLE.has(response.status)) {
      throw new EngineUnreachableError(
        `The central-config engine does not answer (HTTP ${response.status})${
          detail ? `: ${summarize(detail)}` : ''
        }`,
        response.status,
      );
    }
    throw await ResponseError.fromResponse(consumed(response, detail));
  }
}

// The engine's own error body, {"error":{"code","message"}} (Backstage's
// errors have a name and no code).
function engineError(
  body: string,
): { code: string; message: string } | undefined {
  try {
    const error = JSON.parse(body)?.error;
    if (typeof error?.code === 'string' && typeof error?.message === 'string') {
      return { code: error.code, message: error.message };
    }
  } catch {
    // not JSON: not the engine's body
  }
  return undefined;
}

// The response with its body already read, for ResponseError.fromResponse.
function consumed(response: Response, body: unknown) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    headers: response.headers,
    ok: response.ok,
    redirected: response.redirected,
    status: response.status,
    statusText: response.statusText,
    type: response.type,
    url: response.url,
    text: async () => text,
  };
}

// The message of a Backstage error body (its proxy's), else the text itself.
function summarize(body: string): string {
  try {
    const parsed = JSON.parse(body);
    return parsed?.error?.message ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}
